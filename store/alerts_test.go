package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func alertNotice(fps ...string) incident.AlertNotice {
	n := incident.AlertNotice{Source: "alertmanager", Title: "DiskFull", Route: incident.AlertRoute{Name: "page", Action: incident.AlertActionDeclare}}
	for _, fp := range fps {
		n.Alerts = append(n.Alerts, incident.AlertStatus{Fingerprint: fp, Name: "DiskFull", Firing: true, Since: epoch})
	}
	return n
}

// declareOnce is the bot's decision in miniature: the first notice of a
// group declares an incident, later ones are counted on it.
func declareOnce(n incident.AlertNotice) func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error) {
	return func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error) {
		d := g.Receive(n, false, epoch)
		if d.New {
			g.State = incident.AlertDeclared
			inc, evs, err := incident.DeclareFromAlert(incident.DefaultPolicy(), incident.DeclareRequest{Title: g.Title}, g, epoch)
			return incident.AlertWrite{Declare: inc, Change: incident.Change{Events: evs, Effects: []incident.Effect{{Kind: "card", Lane: "room"}}}}, err
		}
		evs := inc.ReceiveAlerts(incident.DefaultPolicy(), g, d, epoch)
		return incident.AlertWrite{Incident: inc, Change: incident.Change{Events: evs},
			Global: incident.Change{Effects: []incident.Effect{{Kind: "triage", Lane: "/alert:" + g.Key}}}}, nil
	}
}

func TestDB_UpdateAlertGroup(t *testing.T) {
	ctx := context.Background()
	t.Run("DeclareThenRepeat", func(t *testing.T) {
		db := MustOpenDB(t)
		g, w, err := db.UpdateAlertGroup(ctx, "am:1", 0, declareOnce(alertNotice("a")))
		if err != nil {
			t.Fatal(err)
		}
		if w.Declare == nil || w.Declare.ID != 1 || g.IncidentID != 1 || g.State != incident.AlertDeclared {
			t.Fatalf("group %+v write %+v", g, w)
		}
		if len(w.Change.Events) != 2 || w.Change.Events[0].IncidentID != 1 || len(w.Change.Effects) != 1 || w.Change.Effects[0].IncidentID != 1 {
			t.Errorf("change as stored %+v", w.Change)
		}
		g, w, err = db.UpdateAlertGroup(ctx, "am:1", 0, declareOnce(alertNotice("a", "b")))
		if err != nil {
			t.Fatal(err)
		}
		if w.Declare != nil || w.Incident == nil || w.Incident.Rev != 2 || g.Notifications != 2 || len(w.Global.Effects) != 1 {
			t.Fatalf("group %+v write %+v", g, w)
		}
		inc, _ := db.FindIncidentByID(ctx, 1)
		if inc.Alert == nil || inc.Alert.Firing != 2 || inc.Alert.Notifications != 2 {
			t.Errorf("incident's alert %+v", inc.Alert)
		}
		evs, _ := db.Events(ctx, 1)
		if len(evs) != 3 || evs[2].Kind != incident.EventAlertFired || evs[2].Text != "DiskFull" {
			t.Errorf("timeline %+v", evs)
		}
		if n, _ := db.CountIncidents(ctx); n != 1 {
			t.Errorf("%d incidents", n)
		}
		found, err := db.FindAlertGroup(ctx, "am:1")
		if err != nil || found.Notifications != 2 || len(found.Alerts) != 2 || found.Key != "am:1" {
			t.Errorf("found %+v, %v", found, err)
		}
	})
	t.Run("ConcurrentFirstNotices", func(t *testing.T) {
		// Alertmanager retrying while the first answer is slow: one group
		// never opens two incidents.
		db := MustOpenDB(t)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, _, err := db.UpdateAlertGroup(ctx, "am:race", 0, declareOnce(alertNotice("a"))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, _ := db.CountIncidents(ctx); n != 1 {
			t.Errorf("%d incidents for one group", n)
		}
		g, _ := db.FindAlertGroup(ctx, "am:race")
		if g.Notifications != 20 {
			t.Errorf("%d notifications counted", g.Notifications)
		}
	})
	t.Run("ErrorWritesNothing", func(t *testing.T) {
		db := MustOpenDB(t)
		boom := incident.Errorf(incident.EINVALID, "no")
		_, _, err := db.UpdateAlertGroup(ctx, "am:2", 0, func(g *incident.AlertGroup, _ *incident.Incident) (incident.AlertWrite, error) {
			g.Receive(alertNotice("a"), false, epoch)
			return incident.AlertWrite{}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if _, err := db.FindAlertGroup(ctx, "am:2"); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("group stored after an error: %v", err)
		}
	})
	t.Run("LinkLoadsTheIncident", func(t *testing.T) {
		db := MustOpenDB(t)
		inc := MustCreateIncident(t, db, &incident.Incident{Title: "x", Status: incident.StatusInvestigating, DeclaredAt: epoch})
		_, _, err := db.UpdateAlertGroup(ctx, "am:3", 0, func(g *incident.AlertGroup, got *incident.Incident) (incident.AlertWrite, error) {
			g.Receive(alertNotice("a"), false, epoch)
			g.State = incident.AlertTriage
			return incident.AlertWrite{Global: incident.Change{Effects: []incident.Effect{{Kind: "triage", Lane: "/alert:am:3"}}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		g, w, err := db.UpdateAlertGroup(ctx, "am:3", inc.ID, func(g *incident.AlertGroup, got *incident.Incident) (incident.AlertWrite, error) {
			if got == nil || got.ID != inc.ID {
				t.Errorf("loaded %+v", got)
			}
			evs, err := got.LinkAlerts(incident.DefaultPolicy(), "U1", g, epoch)
			g.State, g.IncidentID = incident.AlertLinked, inc.ID
			return incident.AlertWrite{Incident: got, Change: incident.Change{Events: evs}}, err
		})
		if err != nil || g.IncidentID != inc.ID || w.Incident.Alert == nil {
			t.Fatalf("group %+v write %+v err %v", g, w, err)
		}
		_, _, err = db.UpdateAlertGroup(ctx, "am:3", 99, func(*incident.AlertGroup, *incident.Incident) (incident.AlertWrite, error) {
			t.Error("fn called for a missing incident")
			return incident.AlertWrite{}, nil
		})
		if incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("missing incident: %v", err)
		}
	})
	t.Run("ErrMisuse", func(t *testing.T) {
		db := MustOpenDB(t)
		for name, fn := range map[string]func(*incident.AlertGroup, *incident.Incident) (incident.AlertWrite, error){
			"ChangeWithoutIncident": func(*incident.AlertGroup, *incident.Incident) (incident.AlertWrite, error) {
				return incident.AlertWrite{Change: incident.Change{Effects: []incident.Effect{{Kind: "x"}}}}, nil
			},
			"IncidentNotLoaded": func(*incident.AlertGroup, *incident.Incident) (incident.AlertWrite, error) {
				return incident.AlertWrite{Incident: &incident.Incident{}}, nil
			},
			"BothDeclareAndChange": func(*incident.AlertGroup, *incident.Incident) (incident.AlertWrite, error) {
				return incident.AlertWrite{Declare: &incident.Incident{}, Incident: &incident.Incident{}}, nil
			},
		} {
			if _, _, err := db.UpdateAlertGroup(ctx, "am:4", 0, fn); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		if _, _, err := db.UpdateAlertGroup(ctx, "", 0, nil); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("empty key: %v", err)
		}
	})
}

func TestDB_CheckAlertGroups(t *testing.T) {
	db := MustOpenDB(t)
	put := func(v []byte) {
		t.Helper()
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			if v == nil {
				return tx.Bucket(bucketAlertGroups).Delete([]byte("am:1"))
			}
			return tx.Bucket(bucketAlertGroups).Put([]byte("am:1"), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(alertGroupRecord.marshal(&incident.AlertGroup{State: incident.AlertLinked, IncidentID: 42}))
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "alert_groups") || !strings.Contains(err.Error(), "incident 42 does not exist") {
		t.Errorf("Check = %v", err)
	}
	put([]byte("garbage"))
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "decode alert group") {
		t.Errorf("Check = %v", err)
	}
	put(nil) // leave a file Check accepts for the cleanup
}
