package e2e

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hookflow/hookflow/config"
)

// No Docker engine runs here, so docker-compose.yml is checked for what
// matters: the services exist with pinned images, ports line up with the
// contracts in DESIGN.md, and hookflow's container gets every variable its
// config needs (and only variables the binary understands).
func TestComposeFileMatchesTheConfigTheBinaryExpects(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			DependsOn   any               `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	svc := compose.Services
	for _, name := range []string{"postgresql", "temporal", "temporal-ui", "clickhouse", "hookflow"} {
		if _, ok := svc[name]; !ok {
			t.Fatalf("service %s missing", name)
		}
	}
	for name, s := range svc {
		if s.Image != "" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("%s: image %q must be pinned to a version", name, s.Image)
		}
	}
	if svc["hookflow"].Build == nil {
		t.Error("hookflow must be built from the Dockerfile")
	}
	if _, err := os.Stat("../Dockerfile"); err != nil {
		t.Error(err)
	}
	if got := svc["temporal"].Environment["DB"]; !strings.HasPrefix(got, "postgres") {
		t.Errorf("temporal must persist to PostgreSQL, DB=%q", got)
	}
	if !regexp.MustCompile(`^clickhouse/clickhouse-server:(2[4-9]|[3-9]\d)\.(3|8)\b`).MatchString(svc["clickhouse"].Image) {
		t.Errorf("clickhouse image %q is not a current LTS (YY.3 or YY.8)", svc["clickhouse"].Image)
	}
	if got := svc["temporal-ui"].Environment["TEMPORAL_ADDRESS"]; got != "temporal:7233" {
		t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q", got)
	}
	wantPorts := map[string]string{"temporal": "7233:7233", "temporal-ui": "8233:8080", "clickhouse": "9000:9000", "hookflow": "8080:8080"}
	for name, p := range wantPorts {
		if !slices.Contains(svc[name].Ports, p) {
			t.Errorf("%s publishes %v, want %s", name, svc[name].Ports, p)
		}
	}

	// hookflow's container: the config it is told to load must exist in the
	// image (copied from config/) and load with the env compose provides.
	hf := svc["hookflow"]
	cmd := strings.Join(hf.Command, " ")
	m := regexp.MustCompile(`--config /app/(\S+)`).FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("hookflow command %q does not name a config under /app", cmd)
	}
	known := config.EnvOverrides()
	cfgRaw, err := os.ReadFile("../" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range regexp.MustCompile(`env: (\w+)`).FindAllStringSubmatch(string(cfgRaw), -1) {
		known = append(known, ref[1])
		if _, ok := hf.Environment[ref[1]]; !ok {
			t.Errorf("%s reads secret %s but compose does not set it", m[1], ref[1])
		}
	}
	for k, v := range hf.Environment {
		if !slices.Contains(known, k) {
			t.Errorf("compose sets %s, which hookflow does not read", k)
		}
		t.Setenv(k, "compose-value-"+strings.ToLower(k)+"-0123456789")
		if k == "HOOKFLOW_APP_SECRET" {
			t.Setenv(k, "whsec_aG9va2Zsb3ctY29tcG9zZS1jaGVjay0wMTIzNDU2Nzg5")
		}
		if k == "HOOKFLOW_TEMPORAL_ADDRESS" || k == "HOOKFLOW_CLICKHOUSE_ADDR" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.Load("../" + m[1])
	if err != nil {
		t.Fatalf("the compose config does not load: %v", err)
	}
	if cfg.Temporal.Address != "temporal:7233" || cfg.ClickHouse.Addr != "clickhouse:9000" {
		t.Errorf("compose config points at %s and %s", cfg.Temporal.Address, cfg.ClickHouse.Addr)
	}
	if !strings.HasSuffix(cfg.HTTP.Addr, ":8080") || !strings.HasPrefix(cfg.HTTP.Addr, "0.0.0.0") {
		t.Errorf("hookflow must listen on 0.0.0.0:8080 inside its container, not %s", cfg.HTTP.Addr)
	}
	if cfg.Model.Spec != "/app/models/churn-v1.yaml" {
		t.Errorf("model spec %s is not where the Dockerfile copies models/", cfg.Model.Spec)
	}
	if cfg.Temporal.TaskQueue != "hookflow" || cfg.Temporal.Namespace != "default" || cfg.ClickHouse.Database != "hookflow" {
		t.Error("compose config departs from the contracts (task queue hookflow, namespace default, database hookflow)")
	}
	// The CMD in the Dockerfile and the compose command agree.
	df, _ := os.ReadFile("../Dockerfile")
	if !strings.Contains(string(df), `"/app/`+m[1]+`"`) || !strings.Contains(string(df), "COPY models/ /app/models/") {
		t.Error("Dockerfile does not ship the config and model the compose file uses")
	}
}
