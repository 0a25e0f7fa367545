package bot_test

import (
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/bot"
)

// War rooms of several incidents are named at once, one outbound lane
// each: naming must be safe for concurrent use (a shared text transformer
// once panicked the bot when two channels were created together).
func TestFaults_ChannelNamesConcurrently(t *testing.T) {
	const want = "inc-7-cafe-deja-vu-a-lodz"
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if got := bot.ChannelName("inc", 7, "Café: déjà vu à Łódź", 0); got != want {
					t.Errorf("ChannelName = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
