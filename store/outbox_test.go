package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_Outbox(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/incidentbot.db"
	db := MustOpenDBAt(t, path)
	for i := range 3 {
		seq, err := db.Enqueue(ctx, Effect{Key: fmt.Sprintf("post:%d", i), Kind: "post_message", IncidentID: 1, Payload: []byte(`{"text":"hi"}`)})
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("seq %d, %v", seq, err)
		}
	}
	if err := db.CompleteEffect(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteEffect(ctx, 2); err != nil {
		t.Fatalf("completing twice: %v", err)
	}
	if err := db.DeferEffect(ctx, 3, epoch.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeferEffect(ctx, 2, epoch); incident.ErrorCode(err) != incident.ENOTFOUND {
		t.Fatalf("err = %v", err)
	}
	MustCloseDB(t, db)

	db = MustOpenDBAt(t, path)
	got, err := db.PendingEffects(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Effect{
		{Seq: 1, Key: "post:0", Kind: "post_message", IncidentID: 1, Payload: []byte(`{"text":"hi"}`), CreatedAt: epoch},
		{Seq: 3, Key: "post:2", Kind: "post_message", IncidentID: 1, Payload: []byte(`{"text":"hi"}`), CreatedAt: epoch, Attempts: 1, NotBefore: epoch.Add(time.Minute)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("pending %+v\nwant %+v", got, want)
	}
	if got, _ := db.PendingEffects(ctx, 1); len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("limit: %+v", got)
	}
	// Seqs are never reused.
	if seq, _ := db.Enqueue(ctx, Effect{Kind: "x"}); seq != 4 {
		t.Fatalf("seq = %d", seq)
	}
}
