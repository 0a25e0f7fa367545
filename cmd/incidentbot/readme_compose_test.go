package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/testtool"
)

// composeHeading introduces the README's three-replica example.
const composeHeading = "A three-replica example with Docker Compose"

// readmeCompose returns the README's Docker Compose example.
func readmeCompose(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, composeHeading)
	if i < 0 {
		t.Fatalf("README.md: no %q", composeHeading)
	}
	s = s[i:]
	start := strings.Index(s, "```yaml\n")
	if start < 0 {
		t.Fatal("README.md: no yaml block after the compose heading")
	}
	s = s[start+len("```yaml\n"):]
	end := strings.Index(s, "```")
	if end < 0 {
		t.Fatal("README.md: the compose block does not end")
	}
	return []byte(s[:end])
}

// TestReadme_ComposeExample: the README's three-replica example is a
// valid Compose file (docker-compose config, where installed: CI installs
// it), its etcd members name each other as one cluster, and each bot's
// environment is a valid configuration, on that cluster.
func TestReadme_ComposeExample(t *testing.T) {
	raw := readmeCompose(t)
	var file struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("README compose example: %v", err)
	}
	var members, bots, clientURLs []string
	for name, svc := range file.Services {
		switch {
		case strings.HasPrefix(name, "etcd-"):
			members = append(members, name)
			env := svc.Environment
			if env["ETCD_NAME"] != name {
				t.Errorf("%s: ETCD_NAME %q", name, env["ETCD_NAME"])
			}
			want := fmt.Sprintf("http://%s:2379", name)
			if env["ETCD_ADVERTISE_CLIENT_URLS"] != want {
				t.Errorf("%s: ETCD_ADVERTISE_CLIENT_URLS %q, want %q", name, env["ETCD_ADVERTISE_CLIENT_URLS"], want)
			}
			clientURLs = append(clientURLs, want)
			peer := fmt.Sprintf("%s=http://%s:2380", name, name)
			if !slices.Contains(strings.Split(env["ETCD_INITIAL_CLUSTER"], ","), peer) {
				t.Errorf("%s: ETCD_INITIAL_CLUSTER %q does not list %s", name, env["ETCD_INITIAL_CLUSTER"], peer)
			}
		case strings.HasPrefix(name, "bot-"):
			bots = append(bots, name)
		}
	}
	if len(members) != 3 || len(bots) != 3 {
		t.Fatalf("%d etcd members and %d bots, want three of each", len(members), len(bots))
	}
	slices.Sort(clientURLs)

	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range bots {
		env := map[string]string{}
		for k, v := range file.Services[name].Environment {
			env[k] = os.Expand(v, func(k string) string {
				return map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"}[k]
			})
		}
		cfg, err := LoadConfig(context.Background(), cfgPath, env)
		if err != nil {
			t.Errorf("%s: its environment is not a valid configuration: %v", name, err)
			continue
		}
		eps := slices.Clone(cfg.Store.Etcd.Endpoints)
		slices.Sort(eps)
		if cfg.Store.Backend != config.BackendEtcd || !slices.Equal(eps, clientURLs) {
			t.Errorf("%s: backend %q on %v, want etcd on every member %v", name, cfg.Store.Backend, eps, clientURLs)
		}
	}

	compose := testtool.LookPath(t, "docker-compose", "bash .ci/install.d/compose.sh")
	path := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(compose, "-f", path, "config", "--quiet")
	cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=xoxb-test", "SLACK_APP_TOKEN=xapp-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("docker-compose config: %v\n%s", err, out)
	}
}
