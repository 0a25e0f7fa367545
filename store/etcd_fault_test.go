package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// TestEtcd_FrozenMember: the member the client is on is frozen (SIGSTOP:
// its connections stay open and nothing answers) while incidents are
// written. Each attempt that stalls calls the store's stall function (in
// the bot, the health watcher moves the client to another member; here
// the test does), and the request goes on there: every write succeeds
// within one attempt's timeout or so, once, and nothing is written twice.
func TestEtcd_FrozenMember(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three etcd member processes")
	}
	ctx := context.Background()
	cluster := etcdtest.StartProcesses(t, etcdtest.Options{Members: 3})
	eps := cluster.Endpoints()
	cli := cluster.Client(t)
	var mu sync.Mutex
	on := 0
	cli.SetEndpoints(eps[on])
	stalls := 0
	stall := func(time.Time) {
		mu.Lock()
		defer mu.Unlock()
		stalls++
		on = (on + 1) % len(eps)
		cli.SetEndpoints(eps[on])
	}
	const attempt = 300 * time.Millisecond
	db, err := OpenEtcd(ctx, cli, NewEtcdPrefix(), testOptions(WithAttemptTimeout(attempt), WithRequestTimeout(5*time.Second), WithStall(stall))...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	write := func(title string) (time.Duration, error) {
		start := time.Now()
		if _, err := db.CreateIncident(ctx, &incident.Incident{Title: title}, incident.Change{}); err != nil {
			return 0, fmt.Errorf("%s: %w", title, err)
		}
		return time.Since(start), nil
	}
	if _, err := write("before"); err != nil {
		t.Fatal(err)
	}

	// The member in use frozen before a write: its first read stalls.
	// (The one in use may have changed already: on a loaded machine, an
	// attempt of 300 ms can stall without any freeze.)
	mu.Lock()
	first, before := on, stalls
	mu.Unlock()
	if err := cluster.Pause(first); err != nil {
		t.Fatal(err)
	}
	took, err := write("first after the freeze")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the first write after the freeze took %s", took.Round(time.Millisecond))
	mu.Lock()
	if stalls == before {
		t.Error("no attempt stalled on the frozen member")
	}
	mu.Unlock()
	if err := cluster.Resume(first); err != nil {
		t.Fatal(err)
	}

	// Frozen at any moment of a stream of writes, the commit's included:
	// a commit without an answer is settled, never sent twice.
	var titles []string
	var streamErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			title := "stream " + string(rune('A'+i%26)) + string(rune('a'+i/26))
			titles = append(titles, title)
			if _, err := write(title); err != nil {
				streamErr = err
				return
			}
		}
	}()
	for i := range 3 {
		time.Sleep(150 * time.Millisecond)
		mu.Lock()
		frozen := on
		mu.Unlock()
		if err := cluster.Pause(frozen); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(400+100*i) * time.Millisecond)
		if err := cluster.Resume(frozen); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if streamErr != nil {
		t.Fatal(streamErr)
	}
	list, err := db.FindIncidents(ctx, incident.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inc := range list {
		got = append(got, inc.Title)
	}
	want := append([]string{"before", "first after the freeze"}, titles...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("incidents written:\n%v\nwant each once:\n%v", got, want)
	}
	mu.Lock()
	t.Logf("%d stalls in all", stalls)
	mu.Unlock()
}
