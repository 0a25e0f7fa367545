package bot_test

import (
	"testing"
)

// TestExportOptions_ListsOnce: an export names everyone who acted; the
// directory is listed once (users.list) instead of a users.info per
// person, and the names are full names.
func TestExportOptions_ListsOnce(t *testing.T) {
	h := newHarness(t)
	infoBefore, listBefore := h.fake.CallCount("users.info"), h.fake.CallCount("users.list")
	o := h.app.ExportOptions(h.ctx())
	for _, id := range []string{h.alice, h.bob, h.carol} {
		if n := o.UserName(id); n == "" || n == id {
			t.Errorf("%s named %q, want their name", id, n)
		}
	}
	if n := h.fake.CallCount("users.info") - infoBefore; n != 0 {
		t.Errorf("%d users.info calls for an export's names, want none after users.list", n)
	}
	if n := h.fake.CallCount("users.list") - listBefore; n != 1 {
		t.Errorf("%d users.list calls, want 1", n)
	}
	// A second export within ten minutes lists nobody again.
	h.app.ExportOptions(h.ctx()).UserName(h.alice)
	if n := h.fake.CallCount("users.list") - listBefore; n != 1 {
		t.Errorf("%d users.list calls after a second export, want 1", n)
	}
}
