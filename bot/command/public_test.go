package command_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestParse_Public(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want command.Command
	}{
		{"subscribe", command.Command{Kind: command.KindSubscribe}},
		{"subscribe all", command.Command{Kind: command.KindSubscribe, All: true}},
		{"subscribe #42 --tier closely", command.Command{Kind: command.KindSubscribe, Incident: 42, Tier: "closely"}},
		{"42 follow --tier=Informed", command.Command{Kind: command.KindSubscribe, Incident: 42, Tier: "informed"}},
		{"subscribe -t monitor all", command.Command{Kind: command.KindSubscribe, All: true, Tier: "monitor"}},
		{"unsubscribe", command.Command{Kind: command.KindUnsubscribe}},
		{"unsubscribe 7", command.Command{Kind: command.KindUnsubscribe, Incident: 7}},
		{"unfollow ALL", command.Command{Kind: command.KindUnsubscribe, All: true}},
		{"summary", command.Command{Kind: command.KindSummary}},
		{"42 customer-summary", command.Command{Kind: command.KindSummary, Incident: 42}},
	} {
		got, err := command.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in      string
		publish command.Publish
		text    string
	}{
		{"update --public Rolled back", command.PublishYes, "Rolled back"},
		{"update --internal --next 1h Rolled back", command.PublishNo, "Rolled back"},
		{"update Rolled back --no-publish", command.PublishNo, "Rolled back"},
		{"update Rolled back --next 1h --publish", command.PublishYes, "Rolled back"},
		{"update Rolled back", command.PublishDefault, "Rolled back"},
	} {
		got, err := command.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got.Text != tt.text || got.Publish != tt.publish {
			t.Errorf("Parse(%q) = text %q publish %v", tt.in, got.Text, got.Publish)
		}
	}
}

func TestParse_PublicErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"subscribe 4 all", "Give one incident number or all, not both"},
		{"42 subscribe #43", "Give one incident number or all, not both"},
		{"subscribe --tier", `"--tier" needs a value (TIER)`},
		{"subscribe soon", `Unexpected "soon"`},
		{"unsubscribe --tier closely", `Unknown flag "--tier" for unsubscribe`},
		{"subscribe -3", "Incident numbers are positive"},
		{"summary now", "takes nothing more"},
	} {
		_, err := command.Parse(tt.in)
		if incident.ErrorCode(err) != incident.EINVALID || !strings.Contains(incident.ErrorMessage(err), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}
