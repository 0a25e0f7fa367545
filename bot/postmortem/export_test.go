package postmortem_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/postmortem"
)

func TestExport(t *testing.T) {
	for _, name := range []string{"many_updates", "pinned_edits"} {
		t.Run(name, func(t *testing.T) {
			s, loc := stories[name](t)
			x := postmortem.Export(s.inc, s.events, s.options(loc))
			b, err := json.MarshalIndent(x, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			MustMatchGolden(t, name+".golden.json", append(b, '\n'))

			var back postmortem.ExportIncident
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			} else if back.Schema != postmortem.ExportSchema {
				t.Fatalf("schema = %q", back.Schema)
			}
		})
	}
	t.Run("DeletedTextRedacted", func(t *testing.T) {
		s, loc := stories["pinned_edits"](t)
		b, _ := json.Marshal(postmortem.Export(s.inc, s.events, s.options(loc)))
		for _, secret := range []string{"hunter2", "S3 bucket policy"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("export holds %q from a deleted message", secret)
			}
		}
	})
}
