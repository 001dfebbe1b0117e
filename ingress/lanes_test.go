package ingress

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/routing"
)

func laneServer(t *testing.T, tweak func(*config.Config)) (*httptest.Server, *recordingStarter, *sender.Client) {
	t.Helper()
	cfg := devConfig(t)
	if tweak != nil {
		tweak(cfg)
	}
	router, err := routing.Compile(cfg.Routing)
	if err != nil {
		t.Fatal(err)
	}
	st := &recordingStarter{}
	srv, err := New(Options{Config: cfg, Starter: st, Router: router})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	secrets := map[string]string{}
	for name, s := range cfg.Sources {
		v, _ := s.ResolvedSecrets()
		secrets[name] = v[0]
	}
	return ts, st, &sender.Client{BaseURL: ts.URL, Secrets: secrets}
}

func appSample(t *testing.T, name, id string) sender.Delivery {
	t.Helper()
	ds, err := sender.LoadFixtures("../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Name == name {
			return sender.WithID(d, id)
		}
	}
	t.Fatalf("no fixture %s", name)
	return sender.Delivery{}
}

// Ingress starts each event in the lane the rules already decide from what
// it knows (dev.yaml: lockout critical, clicks bulk, the rest normal until
// the workflow's route step knows the score).
func TestIngressPicksTheProvisionalLane(t *testing.T) {
	_, st, c := laneServer(t, nil)
	want := map[string]string{
		"app/account.lockout.json":                            routing.Critical,
		"app/ui.click.json":                                   routing.Bulk,
		"stripe/synthetic.customer.subscription.deleted.json": routing.Normal,
	}
	i := 0
	for name, lane := range want {
		i++
		r, err := c.Send(context.Background(), appSample(t, name, "msg_lane_"+strconv.Itoa(i)))
		if err != nil || r.Status != http.StatusAccepted {
			t.Fatalf("%s: %v %d %s", name, err, r.Status, r.Body)
		}
		if got := st.started[len(st.started)-1].Lane; got != lane {
			t.Errorf("%s: lane %q, want %q", name, got, lane)
		}
	}
}

// Over its admission rate, the bulk lane answers 503 with Retry-After (the
// provider redelivers later); other lanes are not affected.
func TestBulkAdmissionRefusesBeyondItsRate(t *testing.T) {
	_, st, c := laneServer(t, func(cfg *config.Config) {
		cfg.Routing.Lanes["bulk"] = config.LaneSettings{AdmitRate: 0.5, AdmitBurst: 2, AdmitWait: 10 * time.Millisecond}
	})
	ctx := context.Background()
	for i := range 2 {
		r, err := c.Send(ctx, appSample(t, "app/ui.click.json", "msg_click_"+strconv.Itoa(i)))
		if err != nil || r.Status != http.StatusAccepted {
			t.Fatalf("burst %d: %v %d", i, err, r.Status)
		}
	}
	r, err := c.Send(ctx, appSample(t, "app/ui.click.json", "msg_click_over"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("third click: %d %s, want 503", r.Status, r.Body)
	}
	// A critical event passes at once.
	r, err = c.Send(ctx, appSample(t, "app/account.lockout.json", "msg_lockout_1"))
	if err != nil || r.Status != http.StatusAccepted {
		t.Fatalf("lockout: %v %d", err, r.Status)
	}
	if len(st.started) != 3 {
		t.Fatalf("%d starts, want 3 (the refused click must not start)", len(st.started))
	}
}

func TestBulkAdmissionRetryAfterHeader(t *testing.T) {
	ts, _, c := laneServer(t, func(cfg *config.Config) {
		cfg.Routing.Lanes["bulk"] = config.LaneSettings{AdmitRate: 0.2, AdmitBurst: 1, AdmitWait: time.Millisecond}
	})
	ctx := context.Background()
	if r, _ := c.Send(ctx, appSample(t, "app/ui.click.json", "msg_c1")); r.Status != http.StatusAccepted {
		t.Fatal(r.Status)
	}
	// Send by hand to see the headers.
	d := appSample(t, "app/ui.click.json", "msg_c2")
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/webhooks/app", bytes.NewReader(d.Body))
	req.Header.Set("Content-Type", "application/json")
	if err := sender.Sign(req.Header, d, c.Secrets["app"], time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	p := readProblem(t, resp)
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusServiceUnavailable || ra < 1 || ra > 6 {
		t.Fatalf("status %d Retry-After %q problem %+v", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}
}
