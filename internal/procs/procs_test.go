package procs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestReadUsageOfThisProcess(t *testing.T) {
	u, err := ReadUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.RSS <= 0 || u.PeakRSS < u.RSS || u.CPU < 0 {
		t.Fatalf("implausible usage %+v", u)
	}
	if err := ResetPeak(os.Getpid()); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
}

func TestStartStopAndKillChildren(t *testing.T) {
	dir := t.TempDir()
	p, err := Start("sleep", filepath.Join(dir, "sleep.log"), dir, nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Running() {
		t.Fatal("not running")
	}
	start := time.Now()
	p.Stop(5 * time.Second)
	if p.Running() || time.Since(start) > 4*time.Second {
		t.Fatalf("SIGTERM did not stop sleep promptly (running %v after %s)", p.Running(), time.Since(start))
	}
	p, err = Start("sleep", filepath.Join(dir, "sleep.log"), dir, nil, "sleep", "60")
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if p.Running() {
		t.Fatal("still running after Kill")
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := FreePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p <= 0 {
			t.Fatalf("ports %v", ports)
		}
		seen[p] = true
	}
}

func TestDeriveConfigKeepsUnknownKeysAndPointsDestinations(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	in := "future_key: {x: 1}\ndestinations:\n  crm: {url: 'https://crm.example/hook', timeout: 5s}\n"
	if err := os.WriteFile(src, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	err := DeriveConfig(src, dst, func(doc map[string]any) {
		PointDestinations(doc, "http://127.0.0.1:1/hooks")
		Section(doc, "log")["level"] = "warn"
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(dst)
	var doc struct {
		FutureKey    map[string]int            `yaml:"future_key"`
		Destinations map[string]map[string]any `yaml:"destinations"`
		Log          map[string]string         `yaml:"log"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	crm := doc.Destinations["crm"]
	if doc.FutureKey["x"] != 1 || crm["url"] != "http://127.0.0.1:1/hooks" || crm["allow_private"] != true ||
		crm["timeout"] != "5s" || doc.Log["level"] != "warn" {
		t.Fatalf("derived config:\n%s", raw)
	}
}

func TestReadMachine(t *testing.T) {
	a := ReadMachine()
	time.Sleep(50 * time.Millisecond)
	b := ReadMachine()
	if a.Busy <= 0 || b.Busy < a.Busy {
		t.Fatalf("busy %s then %s", a.Busy, b.Busy)
	}
}
