package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_Outbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		eff := func(lane string) incident.Effect {
			return incident.Effect{Lane: lane, Kind: "post", Payload: []byte(`{"text":"hi"}`)}
		}
		// Effects enqueued with an incident get its ID and the events' clock.
		inc := &incident.Incident{Title: "a"}
		ch, err := db.CreateIncident(ctx, inc, incident.Change{Effects: []incident.Effect{eff("inc:1"), eff("inc:1")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Effects) != 2 || ch.Effects[0].Seq != 1 || ch.Effects[1].Seq != 2 || ch.Effects[1].IncidentID != 1 || !ch.Effects[0].CreatedAt.Equal(epoch) {
			t.Fatalf("stored effects %+v", ch.Effects)
		}
		_, ch, err = db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
			return incident.Change{Effects: []incident.Effect{eff("ann")}, Done: []uint64{2}}, nil
		})
		if err != nil || len(ch.Effects) != 1 || ch.Effects[0].Seq != 3 {
			t.Fatalf("update: %+v, %v", ch, err)
		}
		// Completing an effect twice is not an error.
		if _, err := db.Apply(ctx, incident.Change{Done: []uint64{2}}); err != nil {
			t.Fatalf("completing twice: %v", err)
		}
		if err := db.RetryEffect(ctx, 3, 1, epoch.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryEffect(ctx, 2, 1, epoch); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
		if _, err := db.Apply(ctx, incident.Change{Events: []incident.Event{{Kind: incident.EventNote}}}); incident.ErrorCode(err) != incident.EINVALID {
			t.Fatalf("events without an incident: %v", err)
		}
		db = b.reopen(t, db)
		got, err := db.PendingEffects(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []incident.Effect{
			{Seq: 1, Lane: "inc:1", Kind: "post", IncidentID: 1, Payload: []byte(`{"text":"hi"}`), CreatedAt: epoch},
			{Seq: 3, Lane: "ann", Kind: "post", IncidentID: 1, Payload: []byte(`{"text":"hi"}`), CreatedAt: epoch, Attempts: 1, NotBefore: epoch.Add(time.Minute)},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("pending %+v\nwant %+v", got, want)
		}
		if got, _ := db.PendingEffects(ctx, 1); len(got) != 1 || got[0].Seq != 1 {
			t.Fatalf("limit: %+v", got)
		}
		// Seqs are never reused, and an effect with no incident keeps 0.
		ch, err = db.Apply(ctx, incident.Change{Effects: []incident.Effect{{Kind: "reply"}}})
		if err != nil || ch.Effects[0].Seq != 4 || ch.Effects[0].IncidentID != 0 {
			t.Fatalf("apply: %+v, %v", ch, err)
		}
	})
}

func TestDB_UpdateIncident_FailedChangeWritesNoEffect(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		MustCreateIncident(t, db, &incident.Incident{Title: "a"})
		seq, _, err := db.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:1"})
		if err != nil {
			t.Fatal(err)
		}
		before := MustDump(t, db)
		_, _, err = db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
			return incident.Change{Effects: []incident.Effect{{Kind: "post"}}, Request: seq}, incident.Errorf(incident.ECONFLICT, "no")
		})
		if incident.ErrorCode(err) != incident.ECONFLICT {
			t.Fatalf("err = %v", err)
		}
		if after := MustDump(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("a failed update wrote:\nbefore %v\nafter  %v", before, after)
		}
		// The same change, succeeding, finishes the request and bumps Rev.
		inc, _, err := db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
			return incident.Change{Effects: []incident.Effect{{Kind: "post"}}, Request: seq}, nil
		})
		if err != nil || inc.Rev != 2 {
			t.Fatalf("inc %+v, %v", inc, err)
		}
		if reqs, _ := db.Requests(ctx, 0); len(reqs) != 0 {
			t.Fatalf("request not finished: %+v", reqs)
		}
	})
}
