package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/etcdtest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// replicaProc is one `incidentbot run` on etcd, in this process.
type replicaProc struct {
	listen string
	stop   context.CancelFunc
	done   chan int
	out    *syncBuffer
}

// startReplica runs `incidentbot run` with the etcd backend.
func startReplica(t *testing.T, fake *slackfake.Server, endpoints []string, prefix string) *replicaProc {
	t.Helper()
	dir := t.TempDir()
	r := &replicaProc{listen: freePort(t), done: make(chan int, 1), out: &syncBuffer{}}
	cfgPath := MustWriteConfig(t, fmt.Sprintf(`slack:
  api_url: %q
  announce_channels: ["#incidents"]
store:
  path: %q
  backend: etcd
  etcd:
    endpoints: [%s]
    prefix: %q
    lease_ttl: 2s
http:
  listen: %q
scheduler:
  tick: 1s
`, fake.APIURL(), filepath.Join(dir, "bot.db"), strings.Join(endpoints, ", "), prefix, r.listen))
	env := MapEnv(map[string]string{"SLACK_BOT_TOKEN": fake.BotToken(), "SLACK_APP_TOKEN": fake.AppToken()})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		r.done <- Dispatch(ctx, &Env{Stdout: r.out, Stderr: r.out, Environ: environ(env), Retry: fastRetry}, []string{"run", "--config", cfgPath})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-r.done; code != 0 {
			t.Errorf("replica exited %d:\n%s", code, r.out.String())
		}
	})
	return r
}

// readyz returns the status and body of the replica's /readyz.
func (r *replicaProc) readyz() (int, string) {
	resp, err := http.Get("http://" + r.listen + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// waitReadyz waits until /readyz answers body.
func (r *replicaProc) waitReadyz(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := r.readyz()
		if body == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %q, want %q; log:\n%s", code, body, want, r.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMain_RunReplicas: two replicas on one etcd and one fake Slack.
// Exactly one connects and serves; /readyz says which leads; when the
// leader stops, the other takes over and serves what comes next, and
// what the first stored is still there.
func TestMain_RunReplicas(t *testing.T) {
	cluster := etcdtest.Start(t, etcdtest.Options{})
	fake := slackfake.New()
	defer fake.Close()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	general, _ := fake.CreateChannel(alice, "general", false, alice)
	fake.CreateChannel(alice, "incidents", false, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a := startReplica(t, fake, cluster.Endpoints(), "/bot/")
	a.waitReadyz(t, "ready (leader)")
	b := startReplica(t, fake, cluster.Endpoints(), "/bot/")
	b.waitReadyz(t, "ready (follower)")
	if n := fake.Connections(); n != 1 {
		t.Fatalf("%d Socket Mode connections, want the leader's only", n)
	}
	for r, want := range map[*replicaProc]string{a: "incidentbot_leader 1", b: "incidentbot_leader 0"} {
		resp, err := http.Get("http://" + r.listen + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "\n"+want+"\n") {
			t.Errorf("/metrics of %s has no %q", r.listen, want)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica A:\n%s\nreplica B:\n%s", a.out.String(), b.out.String())
		}
	})
	declare := func(text, room string) {
		t.Helper()
		declareAsPerson(ctx, t, fake, alice, general, text, room)
	}
	declare("First outage", "inc-1-first-outage")

	// The leader stops (it resigns): the follower leads at once.
	stopped := time.Now()
	a.stop()
	b.waitReadyz(t, "ready (leader)")
	t.Logf("the follower led %s after the leader stopped", time.Since(stopped).Round(time.Millisecond))
	declare("Second outage", "inc-2-second-outage")
	if err := fake.WaitFor(ctx, func() bool { return fake.Connections() == 1 }); err != nil {
		t.Fatalf("%d connections after the takeover", fake.Connections())
	}
}

// TestMain_Migrate copies a store from bbolt to etcd and back: the
// copies are checked and compared bucket by bucket, and the file at the
// end holds what the first did.
func TestMain_Migrate(t *testing.T) {
	cluster := etcdtest.Start(t, etcdtest.Options{})
	ep := "etcd:" + strings.Join(cluster.Endpoints(), ",")
	dir := t.TempDir()
	first, back := filepath.Join(dir, "first.db"), filepath.Join(dir, "back.db")
	db, err := store.Open(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := storetest.Generate(context.Background(), db, 40, storetest.GenOptions{Seed: 3, Events: 10}); err != nil {
		t.Fatal(err)
	}
	want, err := db.Summarize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := MustRun(t, nil, "migrate", "--from", "bbolt:"+first, "--to", ep, "--prefix", "/m/")
	if r.code != 0 || !strings.Contains(r.stdout, "checked and compared") {
		t.Fatalf("to etcd: %+v", r)
	}
	// Into a store that holds something: refused.
	r = MustRun(t, nil, "migrate", "--from", "bbolt:"+first, "--to", ep, "--prefix", "/m/")
	if r.code == 0 {
		t.Fatalf("into a full store: %+v", r)
	}
	r = MustRun(t, nil, "migrate", "--from", ep, "--prefix", "/m/", "--to", "bbolt:"+back)
	if r.code != 0 {
		t.Fatalf("back to bbolt: %+v", r)
	}
	db, err = store.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Summarize(context.Background())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatalf("after bbolt → etcd → bbolt:\n%s\nwant\n%s", got, want)
	}

	// While a replica campaigns or leads, the store may change: refused.
	cli := cluster.Client(t)
	if _, err := cli.Put(context.Background(), electionPrefix("/m/")+"x", "bot-1"); err != nil {
		t.Fatal(err)
	}
	r = MustRun(t, nil, "migrate", "--from", ep, "--prefix", "/m/", "--to", "bbolt:"+filepath.Join(dir, "third.db"))
	assertOneLineError(t, r, 1, "incidentbot bot-1 is running on store /m/")

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--from", "bbolt:" + first}, 2, "--from and --to are required"},
		{[]string{"--from", "bbolt:" + filepath.Join(dir, "none.db"), "--to", ep}, 1, "none.db: no such file"},
		{[]string{"--from", "bbolt:" + first, "--to", "bbolt:" + back}, 1, "back.db: the file exists; migrate into a new file"},
		{[]string{"--from", "bbolt:" + first, "--to", "postgres:x"}, 2, `--to "postgres:x": a store is bbolt:PATH`},
	} {
		r := MustRun(t, nil, append([]string{"migrate"}, tt.args...)...)
		assertOneLineError(t, r, tt.code, tt.want)
	}
}
