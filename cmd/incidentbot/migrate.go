package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/store"
)

// migrateOptions are the flags of 'migrate'.
type migrateOptions struct {
	Config   string
	From, To string
	Prefix   string
}

// migrateUsage explains the store specifications.
const migrateUsage = `a store is bbolt:PATH (a database file), etcd: (the store.etcd section of --config FILE) or etcd:URL[,URL…] (those endpoints, without TLS, under --prefix)`

func parseMigrateFlags(env *Env, args []string) (migrateOptions, error) {
	var o migrateOptions
	fs := newFlagSet("migrate")
	config := configFlag(fs, env)
	fs.StringVar(&o.From, "from", "", "copy from `STORE`: bbolt:PATH, etcd: or etcd:URL[,URL…] (required)")
	fs.StringVar(&o.To, "to", "", "copy into `STORE`, which must be empty: bbolt:PATH, etcd: or etcd:URL[,URL…] (required)")
	fs.StringVar(&o.Prefix, "prefix", config2Prefix, "the key `PREFIX` of a store given as etcd:URL")
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	o.Config = *config
	switch {
	case o.From == "" || o.To == "":
		return o, &usageError{cmd: "migrate", msg: "--from and --to are required (" + migrateUsage + ")"}
	case o.From == o.To:
		return o, &usageError{cmd: "migrate", msg: "--from and --to name the same store"}
	}
	return o, nil
}

// config2Prefix is the default --prefix.
const config2Prefix = config.DefaultEtcdPrefix

// cmdMigrate copies a store into an empty one, from bbolt to etcd or back
// (or between two of a kind), then checks the copy and compares every
// bucket of both (store.Copy). Nothing may write to the source meanwhile:
// a bbolt file is locked by a running bot, and a store on etcd is refused
// while a replica leads it.
func cmdMigrate(ctx context.Context, env *Env, args []string) error {
	o, err := parseMigrateFlags(env, args)
	if err != nil {
		return err
	}
	var cfg *config.Config
	loadCfg := func() (config.Config, error) {
		if cfg == nil {
			c, err := loadOfflineConfig(o.Config, env.vars())
			if err != nil {
				return c, err
			}
			cfg = &c
		}
		return *cfg, nil
	}
	src, closeSrc, err := openSpec(ctx, o.From, "--from", o.Prefix, loadCfg)
	if err != nil {
		return err
	}
	defer closeSrc()
	dst, closeDst, err := openSpec(ctx, o.To, "--to", o.Prefix, loadCfg)
	if err != nil {
		return err
	}
	defer closeDst()
	sum, err := store.Copy(ctx, dst, src)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "copied %s to %s, checked and compared bucket by bucket:\n%s", o.From, o.To, sum)
	return nil
}

// openSpec opens the store spec names (flag says which flag, for errors).
// A source must exist; a bbolt destination must not.
func openSpec(ctx context.Context, spec, flag, prefix string, loadCfg func() (config.Config, error)) (*store.DB, func(), error) {
	kind, arg, ok := strings.Cut(spec, ":")
	switch {
	case ok && kind == "bbolt" && arg != "":
		_, err := os.Stat(arg)
		switch {
		case flag == "--from" && errors.Is(err, fs.ErrNotExist):
			return nil, nil, fmt.Errorf("%s %s: no such file", flag, spec)
		case flag == "--to" && err == nil:
			return nil, nil, fmt.Errorf("%s %s: the file exists; migrate into a new file", flag, spec)
		}
		db, err := store.Open(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", flag, err)
		}
		return db, func() { db.Close() }, nil
	case ok && kind == "etcd":
		e := config.Default().Store.Etcd
		if arg == "" {
			cfg, err := loadCfg()
			if err != nil {
				return nil, nil, err
			}
			if cfg.Store.Backend != config.BackendEtcd {
				return nil, nil, fmt.Errorf("%s etcd: the config sets store.backend %q; set it to etcd with store.etcd.endpoints, or give the endpoints (etcd:URL)", flag, cfg.Store.Backend)
			}
			e = cfg.Store.Etcd
		} else {
			e.Endpoints, e.Prefix = strings.Split(arg, ","), prefix
		}
		cc, err := etcdClientConfig(e)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", flag, err)
		}
		cli, err := etcdClient(cc)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", flag, err)
		}
		if err := checkNoLeader(ctx, cli, e); err != nil {
			cli.Close()
			return nil, nil, fmt.Errorf("%s: %w", flag, err)
		}
		db, err := store.OpenEtcd(ctx, cli, e.Prefix, store.WithMaxTxnOps(e.MaxTxnOps), store.WithRequestTimeout(e.RequestTimeout))
		if err != nil {
			cli.Close()
			return nil, nil, fmt.Errorf("%s: %w", flag, err)
		}
		return db, func() { db.Close(); cli.Close() }, nil
	}
	return nil, nil, &usageError{cmd: "migrate", msg: fmt.Sprintf("%s %q: %s", flag, spec, migrateUsage)}
}

// checkNoLeader refuses a store on etcd that a replica leads: it may
// write while the copy runs.
func checkNoLeader(ctx context.Context, cli *clientv3.Client, e config.EtcdConfig) error {
	ctx, cancel := context.WithTimeout(ctx, e.RequestTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, electionPrefix(e.Prefix), clientv3.WithPrefix(), clientv3.WithLimit(1))
	if err != nil {
		return fmt.Errorf("etcd at %s: %w", strings.Join(e.Endpoints, ","), err)
	}
	if len(resp.Kvs) > 0 {
		return fmt.Errorf("incidentbot %s is running on store %s (it campaigns or leads); stop every replica before migrating", resp.Kvs[0].Value, e.Prefix)
	}
	return nil
}
