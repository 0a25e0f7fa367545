// Command member runs one etcd member on 127.0.0.1, for tests that kill,
// stop and restart members as processes (store/etcdtest). It prints
// "ready" once the member serves clients and stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/incidentbot/incidentbot/store/etcdtest"
)

func main() {
	var m etcdtest.MemberConfig
	flag.StringVar(&m.Name, "name", "", "member name")
	flag.StringVar(&m.Dir, "data-dir", "", "data directory")
	flag.StringVar(&m.ClientURL, "client-url", "", "client URL (http://127.0.0.1:PORT)")
	flag.StringVar(&m.PeerURL, "peer-url", "", "peer URL (http://127.0.0.1:PORT)")
	flag.StringVar(&m.InitialCluster, "initial-cluster", "", "name=peer-url,…")
	flag.BoolVar(&m.Existing, "existing", false, "join the existing cluster (a restart)")
	flag.BoolVar(&m.Fsync, "fsync", false, "fsync the WAL and the backend")
	flag.UintVar(&m.MaxTxnOps, "max-txn-ops", 0, "etcd's --max-txn-ops (0: its default)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	e, err := etcdtest.StartMember(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	select {
	case <-ctx.Done():
	case err := <-e.Err():
		fmt.Fprintln(os.Stderr, "member:", err)
	}
	e.Close()
}
