package etcdhealth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/store/etcdhealth"
	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// TestWatch_LeavesAFrozenMember: three member processes; the one the
// client is on is frozen (SIGSTOP: its connections stay open and nothing
// answers, as when the network to it is cut). The watcher must move the
// client to another, so that requests answer again, without any request
// having to stall first; and a stall must move it too.
func TestWatch_LeavesAFrozenMember(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three etcd member processes")
	}
	cluster := etcdtest.StartProcesses(t, etcdtest.Options{Members: 3})
	// Freeze a member that does not lead the Raft group: freezing the
	// leader would add an election, whose time is etcd's, not the
	// watcher's. The client lists it first, so it starts on it.
	ctx := context.Background()
	raft := cluster.Leader(ctx)
	if raft < 0 {
		t.Fatal("no etcd member leads")
	}
	frozen := (raft + 1) % 3
	all := cluster.Endpoints()
	eps := []string{all[frozen], all[(frozen+1)%3], all[(frozen+2)%3]}
	cli, err := etcdtest.NewClient(eps)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	w := etcdhealth.Watch(cli, etcdhealth.Options{Dial: func(ep string) (*clientv3.Client, error) { return etcdtest.NewClient([]string{ep}) }})
	defer w.Stop()

	on := w.Current()
	if on != eps[0] || !slices.Equal(cli.Endpoints(), []string{eps[0]}) {
		t.Fatalf("client on %v (watcher says %s), want pinned to the first endpoint %s", cli.Endpoints(), on, eps[0])
	}
	put := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := cli.Put(ctx, "k", what); err != nil {
			t.Fatalf("%s: put: %v", what, err)
		}
	}
	put("all answer")

	if err := cluster.Pause(frozen); err != nil {
		t.Fatal(err)
	}
	pausedAt := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for w.Current() == eps[0] {
		if time.Now().After(deadline) {
			t.Fatalf("still on the frozen member %s after 10 s", eps[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("left the frozen member after %s", time.Since(pausedAt).Round(time.Millisecond))
	if got := cli.Endpoints(); !slices.Equal(got, []string{w.Current()}) {
		t.Errorf("client on %v, watcher says %s", got, w.Current())
	}
	put("one frozen")

	// A stall moves the client to the next member that answers: not back
	// to the frozen one.
	// The stall moves it once another member has answered a probe since
	// the stalled request was sent.
	before, sent := w.Current(), time.Now()
	deadline = time.Now().Add(10 * time.Second)
	for w.Current() == before {
		if time.Now().After(deadline) {
			t.Fatalf("a stall on %s did not move the client within 10 s", before)
		}
		w.Stall(sent)
		time.Sleep(10 * time.Millisecond)
	}
	if now := w.Current(); now == eps[0] {
		t.Errorf("after a stall on %s the client is back on the frozen member %s", before, now)
	}
	put("after a stall")

	if err := cluster.Resume(frozen); err != nil {
		t.Fatal(err)
	}
	put("resumed")
}

// TestWatch_OneEndpoint: nothing to choose from, nothing done.
func TestWatch_OneEndpoint(t *testing.T) {
	cli, err := etcdtest.NewClient([]string{"http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	w := etcdhealth.Watch(cli, etcdhealth.Options{Dial: func(string) (*clientv3.Client, error) {
		t.Error("a single endpoint was probed")
		return nil, nil
	}})
	w.Stall(time.Now())
	w.Stop()
	if w.Current() != "" {
		t.Errorf("Current = %q with nothing watched", w.Current())
	}
}
