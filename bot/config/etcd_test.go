package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
)

// etcdConfig returns valid defaults with the etcd backend on endpoints.
func etcdConfig(tb testing.TB, endpoints ...string) config.Config {
	tb.Helper()
	c := MustValidConfig(tb)
	c.Store.Backend = config.BackendEtcd
	c.Store.Etcd.Endpoints = endpoints
	return c
}

func TestConfig_Validate_Etcd(t *testing.T) {
	dir := t.TempDir()
	pem := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pem, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		c := etcdConfig(t, "https://etcd-0:2379", "https://etcd-1:2379/")
		c.Store.Etcd.TLS = config.EtcdTLS{CAFile: pem, CertFile: pem, KeyFile: pem}
		c.Store.Etcd.LeaseTTL = 3 * time.Second
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("BboltIgnoresEtcd", func(t *testing.T) {
		c := MustValidConfig(t)
		c.Store.Etcd.Endpoints = []string{"not a url"}
		c.Store.Etcd.LeaseTTL = 0
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Normalized", func(t *testing.T) {
		c := etcdConfig(t, " http://127.0.0.1:2379 ", "")
		c.Store.Backend = " ETCD "
		c = c.Normalized()
		if c.Store.Backend != "etcd" || len(c.Store.Etcd.Endpoints) != 1 || c.Store.Etcd.Endpoints[0] != "http://127.0.0.1:2379" {
			t.Fatalf("%+v", c.Store)
		}
	})

	for _, tt := range []struct {
		name   string
		modify func(c *config.Config)
		want   string
	}{
		{"ErrBackend", func(c *config.Config) { c.Store.Backend = "postgres" }, `store.backend: "postgres" is not a backend (use bbolt for one process with a file, or etcd for replicas with a leader)`},
		{"ErrNoEndpoints", func(c *config.Config) { c.Store.Etcd.Endpoints = nil }, "store.etcd.endpoints: missing (list the etcd members' client URLs"},
		{"ErrEndpointScheme", func(c *config.Config) { c.Store.Etcd.Endpoints = []string{"http://a:2379", "etcd-1:2379"} },
			`store.etcd.endpoints[1]: "etcd-1:2379" is not an http:// or https:// URL with a host and port`},
		{"ErrEndpointPort", func(c *config.Config) { c.Store.Etcd.Endpoints = []string{"https://etcd-0"} }, `store.etcd.endpoints[0]: "https://etcd-0" has no port`},
		{"ErrEndpointPath", func(c *config.Config) { c.Store.Etcd.Endpoints = []string{"https://etcd-0:2379/bot"} }, "has a path; put the key prefix in store.etcd.prefix"},
		{"ErrHTTPWithTLS", func(c *config.Config) { c.Store.Etcd.TLS.CAFile = pem }, `store.etcd.endpoints[0]: "http://127.0.0.1:2379" is http but store.etcd.tls is set (use https://)`},
		{"ErrPrefix", func(c *config.Config) { c.Store.Etcd.Prefix = "incidentbot" }, `store.etcd.prefix: "incidentbot" must start and end with "/"`},
		{"ErrPrefixRoot", func(c *config.Config) { c.Store.Etcd.Prefix = "/" }, `store.etcd.prefix: "/" must start and end with "/" and name something`},
		{"ErrCertWithoutKey", func(c *config.Config) {
			c.Store.Etcd.Endpoints = []string{"https://a:2379"}
			c.Store.Etcd.TLS.CertFile = pem
		}, "store.etcd.tls: cert_file and key_file go together"},
		{"ErrCAMissing", func(c *config.Config) {
			c.Store.Etcd.Endpoints = []string{"https://a:2379"}
			c.Store.Etcd.TLS.CAFile = filepath.Join(dir, "nope.pem")
		}, "store.etcd.tls.ca_file: " + filepath.Join(dir, "nope.pem") + ": no such file or directory (give the path of a PEM file)"},
		{"ErrKeyIsDir", func(c *config.Config) {
			c.Store.Etcd.Endpoints = []string{"https://a:2379"}
			c.Store.Etcd.TLS.CertFile, c.Store.Etcd.TLS.KeyFile = pem, dir
		}, "store.etcd.tls.key_file: " + dir + " is a directory"},
		{"ErrLeaseShort", func(c *config.Config) { c.Store.Etcd.LeaseTTL = time.Second }, "store.etcd.lease_ttl: 1s is outside 2s to 1m"},
		{"ErrLeaseFraction", func(c *config.Config) { c.Store.Etcd.LeaseTTL = 2500 * time.Millisecond }, "store.etcd.lease_ttl: 2.5s is not a whole number of seconds"},
		{"ErrRequestTimeout", func(c *config.Config) { c.Store.Etcd.RequestTimeout = 0 }, "store.etcd.request_timeout: 0s is below the minimum of 100ms"},
		{"ErrAttemptTimeout", func(c *config.Config) { c.Store.Etcd.AttemptTimeout = 0 }, "store.etcd.attempt_timeout: 0s is below the minimum of 100ms"},
		{"ErrAttemptOverRequest", func(c *config.Config) { c.Store.Etcd.AttemptTimeout = 6 * time.Second }, "store.etcd.attempt_timeout: 6s is longer than store.etcd.request_timeout (5s)"},
		{"ErrDialTimeout", func(c *config.Config) { c.Store.Etcd.DialTimeout = time.Millisecond }, "store.etcd.dial_timeout: 1ms is below the minimum of 100ms"},
		{"ErrMaxTxnOps", func(c *config.Config) { c.Store.Etcd.MaxTxnOps = 4 }, "store.etcd.max_txn_ops: 4 is below the minimum of 16"},
		{"ErrPathMissing", func(c *config.Config) { c.Store.Path = "" }, "store.path: missing (with backend etcd it places the admin token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := etcdConfig(t, "http://127.0.0.1:2379")
			tt.modify(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %q", err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d problems, want 1:\n%v", n, err)
			}
		})
	}
}
