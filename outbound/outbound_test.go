package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/config"
)

const testSecret = "whsec_aG9va2Zsb3ctZGV2LWNybS1yZXRlbnRpb24ta2V5LTAxMjM="

func testDestination(t *testing.T, url string, tweak ...func(*config.Destination)) *Destination {
	t.Helper()
	dc := config.Destination{
		URL: url, Secret: config.Secret{Value: testSecret}, Timeout: 2 * time.Second, AllowPrivate: true,
		Retry:   config.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxAttempts: 5, MaxElapsed: time.Minute},
		Breaker: config.Breaker{Failures: 100, OpenFor: time.Second},
	}
	for _, f := range tweak {
		f(&dc)
	}
	r, err := NewRegistry(map[string]config.Destination{"d": dc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Get("d")
}

// answer serves a fixed status (and headers) and counts requests.
func answer(t *testing.T, status int, header map[string]string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if status == http.StatusFound {
			w.Header().Set("Location", "http://169.254.169.254/latest/meta-data/")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestSendIsSignedSoTheReferenceLibraryVerifiesIt(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		got = r.Header.Clone()
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	d := testDestination(t, srv.URL+"/hook?token=x")
	payload := []byte(`{"type":"hookflow.trigger"}`)
	a := d.Send(context.Background(), "msg_abc", payload)
	if a.Outcome != Delivered || a.StatusCode != http.StatusAccepted {
		t.Fatalf("attempt %+v", a)
	}
	if got.Get("webhook-id") != "msg_abc" || got.Get("Content-Type") != "application/json" || !strings.HasPrefix(got.Get("webhook-signature"), "v1,") {
		t.Fatalf("headers %v", got)
	}
	if string(body) != string(payload) {
		t.Fatalf("body changed in transit")
	}
}

func TestAnswersAreClassified(t *testing.T) {
	cases := []struct {
		status     int
		header     map[string]string
		outcome    Outcome
		retryAfter time.Duration
	}{
		{200, nil, Delivered, 0},
		{204, nil, Delivered, 0},
		{410, nil, Gone, 0},
		{429, map[string]string{"Retry-After": "7"}, Throttled, 7 * time.Second},
		{503, map[string]string{"Retry-After": "2"}, Throttled, 2 * time.Second},
		{429, nil, Throttled, 0},
		{500, nil, Retry, 0},
		{502, nil, Retry, 0},
		{408, nil, Retry, 0},
		{400, nil, Rejected, 0},
		{401, nil, Rejected, 0},
		{404, nil, Rejected, 0},
		{422, nil, Rejected, 0},
		{302, nil, Rejected, 0}, // never followed (its Location is the metadata address)
	}
	for _, c := range cases {
		srv, n := answer(t, c.status, c.header)
		a := testDestination(t, srv.URL).Send(context.Background(), "msg_1", []byte(`{}`))
		if a.Outcome != c.outcome || a.StatusCode != c.status || a.RetryAfter != c.retryAfter {
			t.Errorf("%d: %+v, want %s retry-after %s", c.status, a, c.outcome, c.retryAfter)
		}
		if n.Load() != 1 {
			t.Errorf("%d: %d requests, want exactly 1 (Send never retries or follows redirects)", c.status, n.Load())
		}
		if c.outcome.Retryable() != (c.outcome == Retry || c.outcome == Throttled) {
			t.Errorf("%d: retryable %v", c.status, c.outcome.Retryable())
		}
	}
}

func TestSlowReceiverTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	d := testDestination(t, srv.URL, func(c *config.Destination) { c.Timeout = 200 * time.Millisecond })
	start := time.Now()
	a := d.Send(context.Background(), "msg_1", []byte(`{}`))
	if a.Outcome != Retry || !strings.Contains(a.Err, "timeout") {
		t.Fatalf("attempt %+v", a)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("a 200ms timeout took %s", el)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	a := testDestination(t, "http://"+addr+"/").Send(context.Background(), "msg_1", []byte(`{}`))
	if a.Outcome != Retry || !strings.Contains(a.Err, "connection") {
		t.Fatalf("attempt %+v", a)
	}
}

func TestCircuitBreakerOpensFailsFastAndRecovers(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	d := testDestination(t, srv.URL, func(c *config.Destination) {
		c.Breaker = config.Breaker{Failures: 3, OpenFor: 300 * time.Millisecond}
	})
	ctx := context.Background()
	for i := range 3 {
		if a := d.Send(ctx, "msg_1", nil); a.Outcome != Retry {
			t.Fatalf("attempt %d: %+v", i+1, a)
		}
	}
	// Open: fails fast without calling the receiver.
	for range 5 {
		if a := d.Send(ctx, "msg_1", nil); a.Outcome != CircuitOpen || !a.Outcome.Retryable() {
			t.Fatalf("breaker open: %+v", a)
		}
	}
	if n.Load() != 3 {
		t.Fatalf("receiver called %d times, want 3 (the open breaker must not call it)", n.Load())
	}
	if d.BreakerState() != "open" {
		t.Fatalf("state %s", d.BreakerState())
	}
	// After open_for, one trial request goes through; its success closes the breaker.
	failing.Store(false)
	time.Sleep(350 * time.Millisecond)
	if a := d.Send(ctx, "msg_1", nil); a.Outcome != Delivered {
		t.Fatalf("trial: %+v", a)
	}
	if d.BreakerState() != "closed" {
		t.Fatalf("state after a successful trial %s", d.BreakerState())
	}
	// 4xx answers mean the receiver is alive: they never open the breaker.
	d2 := testDestination(t, srv.URL, func(c *config.Destination) { c.Breaker = config.Breaker{Failures: 1, OpenFor: time.Minute} })
	bad, _ := answer(t, 400, nil)
	d2.url, _ = d2.url.Parse(bad.URL)
	for range 3 {
		if a := d2.Send(ctx, "msg_1", nil); a.Outcome != Rejected {
			t.Fatalf("%+v", a)
		}
	}
}

func TestRateLimitSpacesRequests(t *testing.T) {
	srv, n := answer(t, 200, nil)
	d := testDestination(t, srv.URL, func(c *config.Destination) { c.RateLimit = config.RateLimit{PerSecond: 20, Burst: 1} })
	start := time.Now()
	for range 6 {
		if a := d.Send(context.Background(), "msg_1", nil); a.Outcome != Delivered {
			t.Fatalf("%+v", a)
		}
	}
	// 1 immediate + 5 spaced by 50ms.
	if el := time.Since(start); el < 230*time.Millisecond {
		t.Fatalf("6 sends at 20/s took %s, want ≥ 250ms", el)
	}
	if n.Load() != 6 {
		t.Fatal(n.Load())
	}
	// A wait that cannot fit in the attempt's deadline fails fast as throttled.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	d2 := testDestination(t, srv.URL, func(c *config.Destination) { c.RateLimit = config.RateLimit{PerSecond: 0.1, Burst: 1} })
	d2.Send(context.Background(), "msg_1", nil)
	if a := d2.Send(ctx, "msg_1", nil); a.Outcome != Throttled || a.RetryAfter != 10*time.Second {
		t.Fatalf("%+v", a)
	}
}

func TestSSRFGuardRefusesPrivateTargetsUnlessAllowed(t *testing.T) {
	srv, n := answer(t, 200, nil)
	a := testDestination(t, srv.URL, func(c *config.Destination) { c.AllowPrivate = false }).Send(context.Background(), "msg_1", nil)
	if a.Outcome != Blocked || !strings.Contains(a.Err, "loopback") || !strings.Contains(a.Err, "allow_private") {
		t.Fatalf("attempt %+v", a)
	}
	if n.Load() != 0 {
		t.Fatal("the guard let a request through")
	}
	for _, host := range []string{"localhost", "[::1]", "169.254.169.254", "[fd00:ec2::254]", "0.0.0.0", "[::ffff:127.0.0.1]"} {
		a := testDestination(t, "http://"+host+":9/x", func(c *config.Destination) { c.AllowPrivate = false }).Send(context.Background(), "msg_1", nil)
		if a.Outcome != Blocked {
			t.Errorf("%s: %+v", host, a)
		}
	}
	// Metadata stays refused even with allow_private.
	a = testDestination(t, "http://169.254.169.254/latest/meta-data/").Send(context.Background(), "msg_1", nil)
	if a.Outcome != Blocked || !strings.Contains(a.Err, "metadata") {
		t.Fatalf("metadata with allow_private: %+v", a)
	}
}

// The dial-time hook judges the address actually connected to, whatever
// the name resolved to earlier (DNS rebinding).
func TestSSRFGuardChecksAtDialTime(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dialer := &net.Dialer{Control: Guard{}.Control}
	_, err = dialer.Dial("tcp", l.Addr().String())
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("dial to loopback: %v, want ErrBlocked", err)
	}
	c, err := (&net.Dialer{Control: Guard{AllowPrivate: true}.Control}).Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("allow_private dial: %v", err)
	}
	c.Close()
}

func TestGuardRanges(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.255.255.254", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"fc00::1", "fd12:3456::1", "169.254.1.1", "fe80::1", "100.64.0.1", "100.127.255.255",
		"0.0.0.0", "::", "169.254.169.254", "fd00:ec2::254", "224.0.0.1", "ff02::1", "255.255.255.255",
		"::ffff:10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "240.0.0.1", "2002:7f00:1::",
	}
	for _, s := range refused {
		if err := (Guard{}).Check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
			t.Errorf("%s allowed", s)
		}
	}
	allowed := []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "64:ff9b::808:808"}
	for _, s := range allowed {
		if err := (Guard{}).Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range []string{"127.0.0.1", "10.0.0.1", "fd12::1", "100.64.0.1", "169.254.1.1"} {
		if err := (Guard{AllowPrivate: true}).Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("allow_private: %s refused: %v", s, err)
		}
	}
	for _, s := range []string{"169.254.169.254", "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1"} {
		if err := (Guard{AllowPrivate: true}).Check(netip.MustParseAddr(s)); err == nil {
			t.Errorf("allow_private: %s allowed", s)
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"": 0, "0": 0, "3": 3 * time.Second, " 120 ": 2 * time.Minute, "-5": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
		"99999999999": 7 * 24 * time.Hour,
	}
	for v, want := range cases {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("%q: %s, want %s", v, got, want)
		}
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	p := config.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: 2 * time.Second}
	for n := 1; n <= 10; n++ {
		ceil := min(p.InitialInterval<<(n-1), p.MaxInterval)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(p, n)
			if d < ceil/2 || d > ceil {
				t.Fatalf("attempt %d: %s outside [%s, %s]", n, d, ceil/2, ceil)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("attempt %d: only %d distinct delays in 200: no jitter", n, len(seen))
		}
	}
}

func TestWebhookIDIsStablePerEventAndDestination(t *testing.T) {
	a, b := WebhookID("stripe:evt_1", "crm"), WebhookID("stripe:evt_1", "crm")
	if a != b || !strings.HasPrefix(a, "msg_") || len(a) != 36 {
		t.Fatalf("%q %q", a, b)
	}
	if WebhookID("stripe:evt_1", "billing") == a || WebhookID("stripe:evt_2", "crm") == a {
		t.Fatal("ids collide across destinations or events")
	}
}

func TestConcurrentSendsAreSafe(t *testing.T) {
	srv, n := answer(t, 200, nil)
	d := testDestination(t, srv.URL)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 10 {
				if a := d.Send(context.Background(), "msg_1", []byte(`{}`)); a.Outcome != Delivered {
					t.Errorf("%+v", a)
				}
			}
		})
	}
	wg.Wait()
	if n.Load() != 160 {
		t.Fatal(n.Load())
	}
}
