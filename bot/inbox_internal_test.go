package bot

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// TestRecovered: a request whose processing panics becomes an internal
// error, retried and then apologised for, with the stack in the log; the
// process goes on.
func TestRecovered(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	err := recovered(log, "request", 7, func() error {
		panic("a bug, not bad input")
	})
	if err == nil || !strings.Contains(err.Error(), "request 7 panicked") || incident.ErrorCode(err) != incident.EINTERNAL {
		t.Errorf("err = %v, want an internal error naming the request", err)
	}
	if !strings.Contains(buf.String(), "request panicked") || !strings.Contains(buf.String(), "inbox_internal_test.go") {
		t.Errorf("log lacks the panic and its stack:\n%s", buf.String())
	}
	want := incident.Errorf(incident.ECONFLICT, "already resolved")
	if err := recovered(log, "request", 8, func() error { return want }); !errors.Is(err, want) {
		t.Errorf("err = %v, want fn's error as is", err)
	}
}
