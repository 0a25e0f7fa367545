package postmortem_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// walkOf visits the stories' incidents in order, then fails with err if
// it is not nil.
func walkOf(err error, stories ...*story) postmortem.Walker {
	return func(ctx context.Context, fn func(*incident.Incident, []incident.Event) error) error {
		for _, s := range stories {
			if err := fn(s.inc, s.events); err != nil {
				return err
			}
		}
		return err
	}
}

func TestWriteExport(t *testing.T) {
	a := MustDeclare(t, incident.DeclareRequest{Title: "Checkout down", DeclaredBy: alice}).at(10*time.Minute).resolve(alice, "rolled back")
	b := MustDeclare(t, incident.DeclareRequest{Title: "Search slow", DeclaredBy: bob})
	o := a.options(time.UTC)
	ctx := context.Background()

	t.Run("JSON", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := postmortem.WriteExport(ctx, &buf, "json", walkOf(nil, a, b), o)
		if err != nil || n != 2 {
			t.Fatalf("WriteExport = %d, %v", n, err)
		}
		var docs []postmortem.ExportIncident
		if err := json.Unmarshal(buf.Bytes(), &docs); err != nil {
			t.Fatalf("not a JSON array: %v\n%s", err, buf.String())
		}
		if len(docs) != 2 || docs[0].Title != "Checkout down" || docs[1].Title != "Search slow" || docs[0].Schema != "incidentbot.export/v1" {
			t.Errorf("docs = %+v", docs)
		}
		// One incident at a time gives the same document as one export.
		one, _ := json.Marshal(postmortem.Export(a.inc, a.events, o))
		again, _ := json.Marshal(docs[0])
		if !bytes.Equal(one, again) {
			t.Errorf("streamed document differs:\n%s\n%s", one, again)
		}
	})
	t.Run("Markdown", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := postmortem.WriteExport(ctx, &buf, "md", walkOf(nil, a, b), o)
		if err != nil || n != 2 {
			t.Fatalf("WriteExport = %d, %v", n, err)
		}
		parts := strings.Split(buf.String(), "\n---\n\n")
		if len(parts) != 2 || !strings.HasPrefix(parts[0], "# Postmortem: #42 Checkout down") || !strings.HasPrefix(parts[1], "# Postmortem: #42 Search slow") {
			t.Errorf("markdown = %q", buf.String())
		}
	})
	t.Run("Empty", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := postmortem.WriteExport(ctx, &buf, "json", walkOf(nil), o)
		if err != nil || n != 0 || buf.String() != "[]\n" {
			t.Errorf("empty export = %d, %v, %q; want an empty array", n, err, buf.String())
		}
	})
	t.Run("WalkFails", func(t *testing.T) {
		boom := errors.New("disk on fire")
		n, err := postmortem.WriteExport(ctx, &bytes.Buffer{}, "json", walkOf(boom, a), o)
		if !errors.Is(err, boom) || n != 1 {
			t.Errorf("WriteExport = %d, %v; want 1 and the walk's error", n, err)
		}
	})
	t.Run("BadFormat", func(t *testing.T) {
		_, err := postmortem.WriteExport(ctx, &bytes.Buffer{}, "pdf", walkOf(nil, a), o)
		if err == nil || !strings.Contains(err.Error(), `"pdf"`) || !strings.Contains(err.Error(), "md or json") {
			t.Errorf("err = %v, want one naming the format and the choices", err)
		}
	})
}
