package leader_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/store/etcdhealth"
	"github.com/incidentbot/incidentbot/store/etcdtest"
	"github.com/incidentbot/incidentbot/store/leader"
)

// TestElector_FollowerOnAFrozenMember: the follower's client is on an
// etcd member that freezes (SIGSTOP), and then the leader resigns. The
// follower waited for the leader's key to go with a watch on the frozen
// member, which hears nothing: it must open it again where its client
// moved, and take over at once, not when its own lease's keep-alive on
// the frozen member gives up (a 10 s lease here).
func TestElector_FollowerOnAFrozenMember(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three etcd member processes")
	}
	ctx := context.Background()
	cluster := etcdtest.StartProcesses(t, etcdtest.Options{Members: 3})
	raft := cluster.Leader(ctx)
	if raft < 0 {
		t.Fatal("no etcd member leads")
	}
	frozen := (raft + 1) % 3
	all := cluster.Endpoints()

	cliA, err := etcdtest.NewClient([]string{all[raft]})
	if err != nil {
		t.Fatal(err)
	}
	defer cliA.Close()
	a := start(t, cliA, "a", 10*time.Second, nil)
	waitTerm(t, a, 10*time.Second)

	// The follower's client starts on the member that will freeze.
	cliB, err := etcdtest.NewClient([]string{all[frozen], all[(frozen+1)%3], all[(frozen+2)%3]})
	if err != nil {
		t.Fatal(err)
	}
	defer cliB.Close()
	w := etcdhealth.Watch(cliB, etcdhealth.Options{Dial: func(ep string) (*clientv3.Client, error) { return etcdtest.NewClient([]string{ep}) }})
	defer w.Stop()
	b := start(t, cliB, "b", 10*time.Second, &replica{opts: func(o *leader.Options) { o.Stall, o.Moved = w.Stall, w.Moved }})
	waitFor(t, func() bool { return b.e.Standby() })

	if err := cluster.Pause(frozen); err != nil {
		t.Fatal(err)
	}
	defer cluster.Resume(frozen)
	waitFor(t, func() bool { return w.Current() != all[frozen] })
	// Give b's new campaign a moment to start on the new member; it
	// must not win while a leads.
	noTerm(t, b, 500*time.Millisecond)

	a.stop()
	<-a.done
	resigned := time.Now()
	waitTerm(t, b, 3*time.Second)
	t.Logf("b led %s after a resigned", time.Since(resigned).Round(time.Millisecond))
}
