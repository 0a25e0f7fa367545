package store

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
)

func TestOncallRecords_RoundTrip(t *testing.T) {
	n := 0
	var o oncall.Override
	fill(t, reflect.ValueOf(&o).Elem(), &n)
	o.ID = 0 // the key
	got, err := decode(overrideRecord, overrideRecord.marshal(&o), "override")
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Errorf("override round trip: %v\n got %+v\nwant %+v", err, got, o)
	}
	var st oncall.RotationState
	fill(t, reflect.ValueOf(&st).Elem(), &n)
	gotSt, err := decode(rotationStateRecord, rotationStateRecord.marshal(&st), "rotation")
	if err != nil || !reflect.DeepEqual(gotSt, st) {
		t.Errorf("rotation state round trip: %v\n got %+v\nwant %+v", err, gotSt, st)
	}
	var c oncall.HandoffCheck
	fill(t, reflect.ValueOf(&c).Elem(), &n)
	gotC, err := decode(handoffCheckRecord, handoffCheckRecord.marshal(&c), "handoff")
	if err != nil || !reflect.DeepEqual(gotC, c) {
		t.Errorf("handoff check round trip: %v\n got %+v\nwant %+v", err, gotC, c)
	}
}

func at(d time.Duration) time.Time { return epoch.Add(d) }

func override(rot, user string, from, to time.Duration) oncall.Override {
	return oncall.Override{Rotation: rot, User: user, From: at(from), To: at(to), CreatedBy: "UADMIN", CreatedAt: epoch}
}

func MustAddOverrides(tb testing.TB, db *DB, os ...oncall.Override) []oncall.Override {
	tb.Helper()
	added, _, err := db.AddOncallOverrides(context.Background(), time.Time{}, func([]oncall.Override) ([]oncall.Override, incident.Change, error) {
		return os, incident.Change{}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return added
}

func TestDB_OncallOverrides(t *testing.T) {
	ctx := context.Background()
	t.Run("AddListUpdate", func(t *testing.T) {
		db := MustOpenDB(t)
		added := MustAddOverrides(t, db,
			override("primary", "UBOB", 0, 2*time.Hour),
			override("primary", "UCAROL", 10*time.Hour, 12*time.Hour),
			override("secondary", "UDAN", time.Hour, 30*time.Hour))
		if added[0].ID != 1 || added[2].ID != 3 {
			t.Fatalf("IDs = %d..%d, want 1..3", added[0].ID, added[2].ID)
		}
		// Only those ending after the time are read.
		got, err := db.OncallOverrides(ctx, at(11*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
			t.Fatalf("overrides ending after 11h = %+v", got)
		}
		// An override ending exactly at the time is over.
		if got, _ := db.OncallOverrides(ctx, at(12*time.Hour)); len(got) != 1 || got[0].ID != 3 {
			t.Fatalf("overrides ending after 12h = %+v", got)
		}
		// Cutting one short moves it in the end index.
		upd, _, err := db.UpdateOncallOverrides(ctx, []int64{3}, func(os []oncall.Override) ([]oncall.Override, incident.Change, error) {
			r, err := os[0].Remove("UADMIN", at(5*time.Hour))
			return []oncall.Override{r}, incident.Change{}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !upd[0].To.Equal(at(5*time.Hour)) || upd[0].RemovedBy != "UADMIN" {
			t.Errorf("removed = %+v", upd[0])
		}
		if got, _ := db.OncallOverrides(ctx, at(11*time.Hour)); len(got) != 1 || got[0].ID != 2 {
			t.Fatalf("after the cut, overrides ending after 11h = %+v", got)
		}
		o, err := db.OncallOverride(ctx, 3)
		if err != nil || o.RemovedAt.IsZero() {
			t.Fatalf("override 3 = %+v, %v", o, err)
		}
	})
	t.Run("CheckAndWriteAtomically", func(t *testing.T) {
		db := MustOpenDB(t)
		// Ten writers each add an override at the same time if none of
		// the current ones overlaps it: exactly one may win.
		errs := make(chan error, 10)
		for range 10 {
			go func() {
				_, _, err := db.AddOncallOverrides(ctx, epoch, func(cur []oncall.Override) ([]oncall.Override, incident.Change, error) {
					if len(cur) > 0 {
						return nil, incident.Change{}, incident.Errorf(incident.ECONFLICT, "overlaps #%d", cur[0].ID)
					}
					return []oncall.Override{override("primary", "UBOB", 0, time.Hour)}, incident.Change{}, nil
				})
				errs <- err
			}()
		}
		ok := 0
		for range 10 {
			err := <-errs
			switch incident.ErrorCode(err) {
			case "":
				ok++
			case incident.ECONFLICT:
			default:
				t.Error(err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d overlapping overrides stored, want 1", ok)
		}
	})
	t.Run("ChangeAndRequestInTheSameTransaction", func(t *testing.T) {
		db := MustOpenDB(t)
		seq, _, err := db.Receive(ctx, incident.Request{Kind: "op", Payload: []byte("{}")}, []string{"env1"})
		if err != nil {
			t.Fatal(err)
		}
		_, ch, err := db.AddOncallOverrides(ctx, epoch, func([]oncall.Override) ([]oncall.Override, incident.Change, error) {
			return []oncall.Override{override("primary", "UBOB", 0, time.Hour)},
				incident.Change{Request: seq, Effects: []incident.Effect{{Kind: "post", Lane: "/oncall"}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Effects) != 1 || ch.Effects[0].Seq == 0 {
			t.Fatalf("effects as stored = %+v", ch.Effects)
		}
		if reqs, _ := db.Requests(ctx, 0); len(reqs) != 0 {
			t.Errorf("the request is still in the inbox: %+v", reqs)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		db := MustOpenDB(t)
		if _, err := db.OncallOverride(ctx, 9); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("missing override: %v", err)
		}
		_, _, err := db.UpdateOncallOverrides(ctx, []int64{9}, func(os []oncall.Override) ([]oncall.Override, incident.Change, error) {
			return os, incident.Change{}, nil
		})
		if incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("update of a missing override: %v", err)
		}
		refuse := incident.Errorf(incident.EINVALID, "no")
		_, _, err = db.AddOncallOverrides(ctx, epoch, func([]oncall.Override) ([]oncall.Override, incident.Change, error) {
			return []oncall.Override{override("primary", "UBOB", 0, time.Hour)}, incident.Change{}, refuse
		})
		if !errors.Is(err, refuse) {
			t.Errorf("fn's error = %v", err)
		}
		if got, _ := db.OncallOverrides(ctx, time.Time{}); len(got) != 0 {
			t.Errorf("a refused override was stored: %+v", got)
		}
	})
}

func TestDB_OncallRotation(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	h := oncall.HandoffCheck{Rotation: "primary", At: at(time.Hour), Incoming: "UBOB", Outgoing: "UALICE", Deadline: at(2 * time.Hour)}
	layout := oncall.Layout{Grid: "g", Epochs: []oncall.Epoch{{From: epoch, Members: []oncall.Member{{UserID: "UALICE"}, {Email: "bob@example.com"}}, Offset: 1}}}
	_, err := db.UpdateOncallRotation(ctx, "primary", func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error) {
		st.Layout, st.HandledThrough = layout, at(time.Hour)
		return []oncall.HandoffCheck{h}, incident.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := db.OncallRotations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := sts["primary"]; !reflect.DeepEqual(st.Layout, layout) || !st.HandledThrough.Equal(at(time.Hour)) {
		t.Fatalf("state = %+v", st)
	}
	// Handling the same handoff again keeps the stored check.
	_, err = db.UpdateOncallRotation(ctx, "primary", func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error) {
		h2 := h
		h2.Incoming = "UOTHER"
		return []oncall.HandoffCheck{h2}, incident.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := db.FindHandoffCheck(ctx, "primary", h.At); err != nil || c.Incoming != "UBOB" {
		t.Fatalf("check = %+v, %v", c, err)
	}
	// Due at its deadline, not before.
	if due, _ := db.DueHandoffChecks(ctx, at(time.Hour), 10); len(due) != 0 {
		t.Errorf("due before the deadline: %+v", due)
	}
	due, err := db.DueHandoffChecks(ctx, at(2*time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Incoming != "UBOB" {
		t.Fatalf("due = %+v, %v", due, err)
	}
	// Confirming takes it off the due index.
	c, _, err := db.UpdateHandoffCheck(ctx, "primary", h.At, func(c *oncall.HandoffCheck) (incident.Change, error) {
		*c, err = c.Confirm("UBOB", at(90*time.Minute))
		return incident.Change{}, err
	})
	if err != nil || c.ConfirmedBy != "UBOB" {
		t.Fatalf("confirm: %+v, %v", c, err)
	}
	if due, _ := db.DueHandoffChecks(ctx, at(3*time.Hour), 10); len(due) != 0 {
		t.Errorf("a confirmed check is due: %+v", due)
	}
	if _, _, err := db.UpdateHandoffCheck(ctx, "primary", at(9*time.Hour), func(*oncall.HandoffCheck) (incident.Change, error) { return incident.Change{}, nil }); incident.ErrorCode(err) != incident.ENOTFOUND {
		t.Errorf("update of a missing check: %v", err)
	}
	if _, err := db.UpdateOncallRotation(ctx, "bad\x00name", func(*oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error) {
		return nil, incident.Change{}, nil
	}); incident.ErrorCode(err) != incident.EINVALID {
		t.Errorf("a name with a zero byte: %v", err)
	}
}

func TestDB_IncidentPage(t *testing.T) {
	db := MustOpenDB(t)
	inc := MustCreateIncident(t, db, &incident.Incident{Title: "x", Status: incident.StatusInvestigating})
	pg := &incident.Page{Policy: "default", Level: 1, Target: incident.PageTarget{Users: []string{"UBOB"}}, StartedAt: epoch, PagedAt: epoch, State: incident.PagePaging, EscalateAt: at(5 * time.Minute)}
	got, _, err := db.UpdateIncident(context.Background(), inc.ID, func(i *incident.Incident) (incident.Change, error) {
		i.Page = pg
		i.Replan(incident.DefaultPolicy())
		return incident.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Page, pg) {
		t.Fatalf("page = %+v", got.Page)
	}
	// The page's escalation wakes the incident.
	if ids, _ := db.DueIncidents(context.Background(), at(5*time.Minute), 10); len(ids) != 1 {
		t.Errorf("due at the page's escalation: %v", ids)
	}
}

func TestCheck_Oncall(t *testing.T) {
	damage := map[string]func(tx *bolt.Tx) error{
		"stray end entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOncallOverrideEnds).Put(overrideEndKey(at(time.Hour), 99), nil)
		},
		"missing end entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOncallOverrideEnds).Delete(overrideEndKey(at(2*time.Hour), 1))
		},
		"bad override": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOncallOverrides).Put(itob(1), []byte{2, 0, 0, 0, 0})
		},
		"stray due entry": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOncallHandoffsDue).Put(append(itob(5), handoffKey("x", epoch)...), nil)
		},
		"handoff under the wrong key": func(tx *bolt.Tx) error {
			c := oncall.HandoffCheck{Rotation: "a", At: epoch}
			return tx.Bucket(bucketOncallHandoffs).Put(handoffKey("b", epoch), handoffCheckRecord.marshal(&c))
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			db, err := Open(t.TempDir()+"/x.db", testOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			MustAddOverrides(t, db, override("primary", "UBOB", 0, 2*time.Hour))
			if err := db.Check(); err != nil {
				t.Fatalf("sound file: %v", err)
			}
			if err := db.bolt.Update(fn); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(); err == nil {
				t.Fatal("Check found nothing")
			}
		})
	}
}

// FuzzOncallRecords decodes arbitrary bytes as each on-call record type:
// never a panic, validate agrees with decode, and what decodes re-encodes
// to the same value.
func FuzzOncallRecords(f *testing.F) {
	n := 0
	var o oncall.Override
	fill(f, reflect.ValueOf(&o).Elem(), &n)
	f.Add(byte(0), overrideRecord.marshal(&o))
	var st oncall.RotationState
	fill(f, reflect.ValueOf(&st).Elem(), &n)
	f.Add(byte(1), rotationStateRecord.marshal(&st))
	var c oncall.HandoffCheck
	fill(f, reflect.ValueOf(&c).Elem(), &n)
	f.Add(byte(2), handoffCheckRecord.marshal(&c))
	f.Add(byte(5), []byte{2, 1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		if len(data) >= 5 && kind&4 != 0 {
			body := data[:len(data)-4]
			data = binary.LittleEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, castagnoli))
		}
		switch kind % 3 {
		case 0:
			roundTrip(t, data, overrideRecord.validate, func(d []byte) (any, error) { return decode(overrideRecord, d, "override") },
				func(v any) []byte { x := v.(oncall.Override); return overrideRecord.marshal(&x) })
		case 1:
			roundTrip(t, data, rotationStateRecord.validate, func(d []byte) (any, error) { return decode(rotationStateRecord, d, "rotation") },
				func(v any) []byte { x := v.(oncall.RotationState); return rotationStateRecord.marshal(&x) })
		case 2:
			roundTrip(t, data, handoffCheckRecord.validate, func(d []byte) (any, error) { return decode(handoffCheckRecord, d, "handoff") },
				func(v any) []byte { x := v.(oncall.HandoffCheck); return handoffCheckRecord.marshal(&x) })
		}
	})
}
