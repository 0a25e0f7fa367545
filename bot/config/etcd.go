package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Store backends (store.backend).
const (
	BackendBbolt = "bbolt"
	BackendEtcd  = "etcd"
)

// Defaults of the store.etcd section.
const (
	// DefaultEtcdPrefix is the default store.etcd.prefix.
	DefaultEtcdPrefix = "/incidentbot/"
	// DefaultLeaseTTL is the default store.etcd.lease_ttl: a killed
	// leader is replaced within about this long, plus the new leader's
	// connection to Slack.
	DefaultLeaseTTL = 5 * time.Second
	// DefaultMaxTxnOps is etcd's default --max-txn-ops.
	DefaultMaxTxnOps = 128
	// DefaultAttemptTimeout is the default store.etcd.attempt_timeout:
	// well under Slack's 3 s ack deadline, so that a command whose first
	// attempt met a silent member is still acknowledged in time, and well
	// over etcd's usual commit time.
	DefaultAttemptTimeout = time.Second
)

// Bounds of store.etcd settings. etcd itself refuses leases much shorter
// than its election timeout (1 s by default); a lease longer than a minute
// means a minute without a bot after a crash.
const (
	minLeaseTTL       = 2 * time.Second
	maxLeaseTTL       = time.Minute
	minRequestTimeout = 100 * time.Millisecond
	minMaxTxnOps      = 16
)

// normalized trims the store section's values.
func (s StoreConfig) normalized() StoreConfig {
	s.Backend = strings.ToLower(strings.TrimSpace(s.Backend))
	s.Etcd.Endpoints = trimList(s.Etcd.Endpoints)
	s.Etcd.Prefix = strings.TrimSpace(s.Etcd.Prefix)
	s.Etcd.TLS.CAFile = strings.TrimSpace(s.Etcd.TLS.CAFile)
	s.Etcd.TLS.CertFile = strings.TrimSpace(s.Etcd.TLS.CertFile)
	s.Etcd.TLS.KeyFile = strings.TrimSpace(s.Etcd.TLS.KeyFile)
	return s
}

// validateStore checks the store section; the etcd settings only when
// the backend is etcd.
func (c Config) validateStore(p *problems) {
	if c.Store.Path == "" {
		if c.Store.Backend == BackendEtcd {
			p.add("store.path", `missing (with backend etcd it places the admin token and temporary backup copies next to it, e.g. "data/incidentbot.db")`)
		} else {
			p.add("store.path", `missing (set the bbolt database file, e.g. "data/incidentbot.db")`)
		}
	}
	switch c.Store.Backend {
	case BackendBbolt:
		return
	case BackendEtcd:
	default:
		p.add("store.backend", "%q is not a backend (use bbolt for one process with a file, or etcd for replicas with a leader)", c.Store.Backend)
		return
	}
	e := c.Store.Etcd
	if len(e.Endpoints) == 0 {
		p.add("store.etcd.endpoints", `missing (list the etcd members' client URLs, e.g. ["https://etcd-0:2379", "https://etcd-1:2379"])`)
	}
	tls := e.TLS.CAFile != "" || e.TLS.CertFile != ""
	for i, ep := range e.Endpoints {
		key := fmt.Sprintf("store.etcd.endpoints[%d]", i)
		u, err := url.Parse(ep)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			p.add(key, "%q is not an http:// or https:// URL with a host and port (e.g. https://etcd-0:2379)", ep)
		case u.Port() == "":
			p.add(key, "%q has no port (etcd's client port is usually 2379)", ep)
		case u.Path != "" && u.Path != "/":
			p.add(key, "%q has a path; put the key prefix in store.etcd.prefix", ep)
		case u.Scheme == "http" && tls:
			p.add(key, "%q is http but store.etcd.tls is set (use https://)", ep)
		}
	}
	if !strings.HasPrefix(e.Prefix, "/") || !strings.HasSuffix(e.Prefix, "/") || len(e.Prefix) < 2 {
		p.add("store.etcd.prefix", `%q must start and end with "/" and name something (e.g. %q)`, e.Prefix, DefaultEtcdPrefix)
	}
	if (e.TLS.CertFile == "") != (e.TLS.KeyFile == "") {
		p.add("store.etcd.tls", "cert_file and key_file go together (set both for client certificates, or neither)")
	}
	for _, f := range []struct{ key, path string }{
		{"store.etcd.tls.ca_file", e.TLS.CAFile}, {"store.etcd.tls.cert_file", e.TLS.CertFile}, {"store.etcd.tls.key_file", e.TLS.KeyFile},
	} {
		if f.path == "" {
			continue
		}
		if st, err := os.Stat(f.path); err != nil {
			p.add(f.key, "%s: %v (give the path of a PEM file)", f.path, unwrapPathError(err))
		} else if st.IsDir() {
			p.add(f.key, "%s is a directory (give the path of a PEM file)", f.path)
		}
	}
	switch {
	case e.LeaseTTL < minLeaseTTL || e.LeaseTTL > maxLeaseTTL:
		p.add("store.etcd.lease_ttl", "%s is outside %s to %s (how long a dead leader keeps the role; e.g. 5s)", fmtDuration(e.LeaseTTL), fmtDuration(minLeaseTTL), fmtDuration(maxLeaseTTL))
	case e.LeaseTTL%time.Second != 0:
		p.add("store.etcd.lease_ttl", "%s is not a whole number of seconds (etcd's leases count seconds; e.g. 5s)", fmtDuration(e.LeaseTTL))
	}
	if e.DialTimeout < minRequestTimeout {
		p.add("store.etcd.dial_timeout", "%s is below the minimum of %s (e.g. 5s)", fmtDuration(e.DialTimeout), fmtDuration(minRequestTimeout))
	}
	if e.RequestTimeout < minRequestTimeout {
		p.add("store.etcd.request_timeout", "%s is below the minimum of %s (e.g. 5s)", fmtDuration(e.RequestTimeout), fmtDuration(minRequestTimeout))
	}
	switch {
	case e.AttemptTimeout < minRequestTimeout:
		p.add("store.etcd.attempt_timeout", "%s is below the minimum of %s (e.g. 1s)", fmtDuration(e.AttemptTimeout), fmtDuration(minRequestTimeout))
	case e.AttemptTimeout > e.RequestTimeout && e.RequestTimeout >= minRequestTimeout:
		p.add("store.etcd.attempt_timeout", "%s is longer than store.etcd.request_timeout (%s), which bounds every attempt together (e.g. 1s)", fmtDuration(e.AttemptTimeout), fmtDuration(e.RequestTimeout))
	}
	if e.MaxTxnOps < minMaxTxnOps {
		p.add("store.etcd.max_txn_ops", "%d is below the minimum of %d (etcd's --max-txn-ops, 128 unless the cluster was started with another)", e.MaxTxnOps, minMaxTxnOps)
	}
}

// unwrapPathError returns the bare cause of a file error ("no such file
// or directory"), the path being named already.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
