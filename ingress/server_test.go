package ingress

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/workflows"
)

func devConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordingStarter stands in for Temporal where a test is about ingress
// alone; it records what would have been started.
type recordingStarter struct{ started []envelope.Raw }

func (r *recordingStarter) Start(_ context.Context, raw envelope.Raw) (workflows.Started, error) {
	r.started = append(r.started, raw)
	return workflows.Started{WorkflowID: envelope.WorkflowID(raw.Source, raw.EventID)}, nil
}

func newTestServer(t *testing.T, st Starter) *httptest.Server {
	t.Helper()
	srv, err := New(Options{Config: devConfig(t), Starter: st})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func readProblem(t *testing.T, resp *http.Response) Problem {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != problemContentType {
		t.Fatalf("Content-Type %q, want %s", ct, problemContentType)
	}
	var p Problem
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if p.Status != resp.StatusCode || !strings.HasPrefix(p.Type, "urn:hookflow:problem:") || p.Title == "" {
		t.Fatalf("bad problem document: %+v", p)
	}
	return p
}

func sampleDelivery(t *testing.T) sender.Delivery {
	t.Helper()
	ds, err := sender.LoadFixtures("../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	return ds[0]
}

// Temporal unreachable: the start fails, so the answer is 503 with
// Retry-After and the provider keeps the event (its retry is the safety net).
func TestTemporalUnreachableAnswers503WithRetryAfter(t *testing.T) {
	c, _ := client.NewLazyClient(workflows.ClientOptions(client.Options{HostPort: "127.0.0.1:1"}))
	defer c.Close()
	cfg := devConfig(t)
	cfg.HTTP.StartTimeout = time.Second
	srv, _ := New(Options{Config: cfg, Starter: &workflows.Starter{Client: c, TaskQueue: "hookflow"}, RetryAfter: 7 * time.Second})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	d := sampleDelivery(t)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/webhooks/github", strings.NewReader(string(d.Body)))
	req.Header.Set("Content-Type", "application/json")
	if err := sender.Sign(req.Header, d, "dev-github-secret", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	p := readProblem(t, resp)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("status %d Retry-After %q (%+v)", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}
}

func TestRoutingErrorsAreProblemJSON(t *testing.T) {
	rec := &recordingStarter{}
	ts := newTestServer(t, rec)
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/v1/webhooks/nope", 404},
		{http.MethodGet, "/v1/webhooks/github", 405},
		{http.MethodGet, "/nothing-here", 404},
		{http.MethodPost, "/v1/webhooks/github", 401}, // no signature
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		readProblem(t, resp)
	}
	if len(rec.started) != 0 {
		t.Fatalf("refused requests started %d workflows", len(rec.started))
	}
}

func TestAcceptedDeliveryCarriesExactBytesAndIdentity(t *testing.T) {
	rec := &recordingStarter{}
	ts := newTestServer(t, rec)
	d := sampleDelivery(t)
	s := &sender.Client{BaseURL: ts.URL, Secrets: map[string]string{"github": "dev-github-secret"}}
	resp, err := s.Send(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	if len(rec.started) != 1 {
		t.Fatalf("%d starts", len(rec.started))
	}
	raw := rec.started[0]
	if string(raw.Payload) != string(d.Body) || raw.EventID != d.EventID || raw.EventType != d.EventType || raw.Source != "github" {
		t.Fatalf("started with %+v", raw)
	}
}
