package playbooks_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// TestLoad_MainREADMEExample keeps the example of the repository's README
// true: it loads and validates against the default config.
func TestLoad_MainREADMEExample(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Playbooks, triage, roles and drills.*?```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README.md has no playbook example")
	}
	pbs, err := playbooks.Load(mapFS(map[string]string{"payments.yaml": string(m[1])}))
	if err != nil {
		t.Fatal(err)
	}
	if err := playbooks.Validate(pbs, defaultKnown); err != nil {
		t.Fatal(err)
	}
	pb := pbs[0]
	if pb.Name != "payments" || len(pb.Checklist) != 3 || !pb.Checklist[0].RequiredBeforeResolve || len(pb.Bookmarks) != 1 ||
		pb.Invite.Contacts[0] != "security" || pb.Notify.Channels[0] != "#payments-status" {
		t.Errorf("example read as %+v", pb)
	}
}
