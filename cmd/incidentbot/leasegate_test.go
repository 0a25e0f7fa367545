package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLeaseGate_Follower: outside a term, a replica's Slack client may
// read (to name people) but not act.
func TestLeaseGate_Follower(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	g := &leaseGate{}
	client := &http.Client{Transport: g.wrap(http.DefaultTransport)}
	call := func(method string) error {
		resp, err := client.Post(srv.URL+"/api/"+method, "application/x-www-form-urlencoded", nil)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	// Before the election: open, for the start-up checks.
	if err := call("chat.postMessage"); err != nil {
		t.Fatalf("before the election: %v", err)
	}
	g.hold(nil)
	for _, m := range []string{"users.info", "users.list", "conversations.info", "auth.test"} {
		if err := call(m); err != nil {
			t.Errorf("follower, %s: %v", m, err)
		}
	}
	for _, m := range []string{"chat.postMessage", "conversations.create", "chat.update", "users.info.fake"} {
		if err := call(m); !errors.Is(err, errNotLeader) {
			t.Errorf("follower, %s: %v, want refused as not the leader", m, err)
		}
	}
	if want := 5; len(got) != want {
		t.Errorf("Slack received %d calls (%v), want %d", len(got), got, want)
	}
}
