package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func testDeploy(key, svc, version string, at time.Time) incident.Deploy {
	return incident.Deploy{Key: key, Service: svc, Version: version, Environment: "production", Time: at, ReceivedAt: at}
}

func deployKeys(ds []incident.Deploy) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Key)
	}
	return out
}

func TestDB_RecordDeploy(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		d := testDeploy("deploy:1", "Payments", "v1", epoch)
		d.Link, d.Commit, d.Author, d.ID = "https://ci.example/1", "abc", "alice", "run-1"
		for i, want := range []bool{true, false} {
			got, err := db.RecordDeploy(ctx, d)
			if err != nil || got != want {
				t.Fatalf("record %d: %v, %v; want %v", i, got, err, want)
			}
		}
		found, err := db.FindDeploy(ctx, "deploy:1")
		if err != nil || *found != d {
			t.Fatalf("FindDeploy = %+v, %v; want %+v", found, err, d)
		}
		if _, err := db.FindDeploy(ctx, "deploy:none"); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Errorf("missing deploy: %v", err)
		}
		if _, err := db.RecordDeploy(ctx, incident.Deploy{Service: "x"}); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("deploy without a key: %v", err)
		}
		if _, err := db.RecordDeploy(ctx, incident.Deploy{Key: "k", Service: strings.Repeat("s", bolt.MaxKeySize)}); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("deploy with a huge service: %v", err)
		}
	})
}

func TestDB_RecentDeploys(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		for i, svc := range []string{"payments", "Payments", "payments-api", "pay", "payments", "checkout"} {
			if _, err := db.RecordDeploy(ctx, testDeploy(fmt.Sprint("d", i), svc, fmt.Sprint("v", i), epoch.Add(time.Duration(i)*time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			service string
			limit   int
			want    []string
		}{
			{"payments", 10, []string{"d4", "d1", "d0"}},
			{" PAYMENTS", 2, []string{"d4", "d1"}},
			{"pay", 10, []string{"d3"}},
			{"payments-api", 10, []string{"d2"}},
			{"checkout", 10, []string{"d5"}},
			{"nothing", 10, nil},
			{"zzz", 10, nil},
		} {
			got, err := db.RecentDeploys(ctx, tc.service, tc.limit)
			if err != nil || !slices.Equal(deployKeys(got), tc.want) {
				t.Errorf("RecentDeploys(%q, %d) = %v, %v; want %v", tc.service, tc.limit, deployKeys(got), err, tc.want)
			}
		}
	})
}

func TestDB_EachDeploy(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		for i := range 5 {
			if _, err := db.RecordDeploy(ctx, testDeploy(fmt.Sprint("d", i), "svc", "v", epoch.Add(time.Duration(i)*time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		walk := func(since, until time.Time) []string {
			var got []string
			err := db.EachDeploy(ctx, since, until, func(d incident.Deploy) error {
				got = append(got, d.Key)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := walk(epoch.Add(time.Hour), epoch.Add(3*time.Hour)); !slices.Equal(got, []string{"d1", "d2"}) {
			t.Errorf("window: %v", got)
		}
		if got := walk(time.Time{}, time.Time{}); len(got) != 5 {
			t.Errorf("everything: %v", got)
		}
		stop := fmt.Errorf("stop")
		if err := db.EachDeploy(ctx, time.Time{}, time.Time{}, func(incident.Deploy) error { return stop }); err != stop {
			t.Errorf("fn's error: %v", err)
		}
	})
}

func TestDB_CheckDeploys(t *testing.T) {
	db := MustOpenDB(t)
	if _, err := db.RecordDeploy(context.Background(), testDeploy("d1", "svc", "v1", epoch)); err != nil {
		t.Fatal(err)
	}
	var idx []byte
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		idx, _ = tx.Bucket(bucketDeploysByTime).Cursor().First()
		idx = slices.Clone(idx)
		return tx.Bucket(bucketDeploysByTime).Delete(idx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "1 deploy index entries are missing") {
		t.Errorf("Check = %v", err)
	}
	_ = db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketDeploysByTime).Put(idx, nil) })
}
