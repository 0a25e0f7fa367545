package store

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_Subscriptions(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		sub := func(user string, id int64, tier string) {
			t.Helper()
			if _, err := db.Subscribe(ctx, incident.Subscription{User: user, Incident: id, Tier: tier}, incident.Change{}); err != nil {
				t.Fatal(err)
			}
		}
		sub("UALICE", 0, "keep_satisfied")
		sub("UBOB", 7, "manage_closely")
		sub("UCAROL", 8, "keep_informed")
		sub("UBOB", 7, "keep_informed") // changes Bob's tier

		got, err := db.Subscribers(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].User != "UBOB" || got[0].Incident != 7 || got[0].Tier != "keep_informed" || got[1].User != "UALICE" || got[1].Incident != 0 {
			t.Fatalf("subscribers of 7 = %+v", got)
		}
		if got[0].CreatedAt.IsZero() {
			t.Error("CreatedAt not set")
		}

		// Unsubscribing finishes the request in the same transaction.
		seq, _, err := db.Receive(ctx, incident.Request{Kind: "op", Payload: []byte("{}")}, []string{"k1"})
		if err != nil {
			t.Fatal(err)
		}
		found, _, err := db.Unsubscribe(ctx, "UBOB", 7, incident.Change{Request: seq})
		if err != nil || !found {
			t.Fatalf("unsubscribe = %v, %v", found, err)
		}
		if reqs, _ := db.Requests(ctx, 0); len(reqs) != 0 {
			t.Errorf("the request is still in the inbox: %+v", reqs)
		}
		if found, _, _ := db.Unsubscribe(ctx, "UBOB", 7, incident.Change{}); found {
			t.Error("unsubscribed twice")
		}
		if got, _ := db.Subscribers(ctx, 7); len(got) != 1 || got[0].User != "UALICE" {
			t.Errorf("after unsubscribing: %+v", got)
		}
		if _, err := db.Subscribe(ctx, incident.Subscription{Incident: 1}, incident.Change{}); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("a subscription without a person: %v", err)
		}
	})
}
