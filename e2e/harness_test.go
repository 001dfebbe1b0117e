// Package e2e drives hookflow end to end: a real `serve` (ingress + worker in
// one process, as deployed) against the real Temporal dev server and real
// ClickHouse that `make test` starts, with signed requests over real HTTP.
// Each test run uses its own ClickHouse database and Temporal task queue, so
// it never mixes with `make run` or another test run.
package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap/zaptest"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/app"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

type stack struct {
	cfg      *config.Config
	baseURL  string
	store    *clickhouse.Store // for queries
	temporal client.Client
	send     *sender.Client
}

// startHookflow runs `hookflow serve` in-process with the dev config pointed
// at a fresh database and task queue.
func startHookflow(t *testing.T, tweak ...func(*config.Config)) *stack {
	t.Helper()
	return startHookflowMode(t, app.ModeServe, tweak...)
}

// startHookflowMode is startHookflow for one half of a split deployment.
func startHookflowMode(t *testing.T, mode app.Mode, tweak ...func(*config.Config)) *stack {
	t.Helper()
	chAddr, tAddr := testenv.ClickHouseAddr(t), testenv.TemporalAddr(t)
	cfg, err := config.Load("../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Addr = freeAddr(t)
	cfg.ClickHouse.Addr = chAddr
	cfg.ClickHouse.Database = testenv.Unique("hookflow_e2e_")
	cfg.Temporal.Address = tAddr
	cfg.Temporal.TaskQueue = testenv.Unique("hookflow-e2e-")
	cfg.Model.Spec = "../models/churn-v1.yaml"
	// Triggers go to a loopback receiver that accepts them (deliveries_test.go
	// points destinations at receivers of its own in tweaks).
	acceptAll := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(acceptAll.Close)
	for name, d := range cfg.Destinations {
		d.URL, d.AllowPrivate = acceptAll.URL+"/"+name, true
		cfg.Destinations[name] = d
	}
	for _, f := range tweak {
		f(cfg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, mode, zaptest.NewLogger(t).Named("hookflow")) }()

	s := &stack{cfg: cfg, baseURL: "http://" + cfg.HTTP.Addr}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hookflow serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("hookflow serve did not stop within 30s")
		}
	})
	waitReady(t, s.baseURL, done)

	s.store, err = clickhouse.Open(ctx, clickhouse.Options{Addr: chAddr, Database: cfg.ClickHouse.Database, Username: "default", DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.store.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+cfg.ClickHouse.Database)
		_ = s.store.Close()
	})
	s.temporal, err = client.Dial(client.Options{HostPort: tAddr, Namespace: cfg.Temporal.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.temporal.Close)

	secrets := map[string]string{}
	for name, src := range cfg.Sources {
		v, err := src.ResolvedSecrets()
		if err != nil {
			t.Fatal(err)
		}
		secrets[name] = v[0]
	}
	s.send = &sender.Client{BaseURL: s.baseURL, Secrets: secrets, HTTP: &http.Client{Timeout: 15 * time.Second}}
	return s
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, base string, died <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-died:
			t.Fatalf("hookflow serve exited during start: %v", err)
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("hookflow never became ready")
}

// fixtures returns the sample events (handshakes such as Slack's
// url_verification left out) with ids unique to this test, so reruns against
// the same Temporal server are new events.
func fixtures(t *testing.T) []sender.Delivery {
	t.Helper()
	all, err := sender.LoadFixtures("../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	var ds []sender.Delivery
	for _, d := range all {
		if !d.IsHandshake() {
			ds = append(ds, sender.WithID(d, uniqueID(d)))
		}
	}
	return ds
}

func uniqueID(d sender.Delivery) string {
	switch d.Provider {
	case "stripe":
		return testenv.Unique("evt_e2e_")
	case "standard":
		return testenv.Unique("msg_e2e_")
	}
	return testenv.Unique("e2e-")
}

// waitRows polls until query returns want, failing after 30s.
func (s *stack) waitCount(t *testing.T, want uint64, query string, args ...any) time.Duration {
	t.Helper()
	start := time.Now()
	var got uint64
	var err error
	for time.Since(start) < 30*time.Second {
		err = s.store.Conn().QueryRow(context.Background(), query, args...).Scan(&got)
		if err == nil && got == want {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: got %d, want %d (last error %v)", query, got, want, err)
	return 0
}

func (s *stack) count(t *testing.T, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := s.store.Conn().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *stack) table(name string) string { return s.cfg.ClickHouse.Database + "." + name }

func (s *stack) post(t *testing.T, d sender.Delivery) sender.Response {
	t.Helper()
	r, err := s.send.Send(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *stack) postWithSecret(t *testing.T, d sender.Delivery, secret string) sender.Response {
	t.Helper()
	r, err := s.send.SendWithSecret(context.Background(), d, secret)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// waitPayload waits for the event's row and checks it holds want exactly.
func (s *stack) waitPayload(t *testing.T, workflowID string, want []byte) {
	t.Helper()
	s.waitCount(t, 1, "SELECT count() FROM "+s.table("events")+" WHERE workflow_id = ?", workflowID)
	var got string
	if err := s.store.Conn().QueryRow(context.Background(), "SELECT payload FROM "+s.table("events")+" WHERE workflow_id = ?", workflowID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("%s: stored payload (%d bytes) differs from the %d bytes sent", workflowID, len(got), len(want))
	}
}
