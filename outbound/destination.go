package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/config"
)

// Outcome classifies one attempt; it is the deliveries table's outcome.
type Outcome string

const (
	Delivered   Outcome = "delivered"    // 2xx
	Retry       Outcome = "retry"        // 5xx, 408, timeout, connection error: retried with backoff
	Throttled   Outcome = "throttled"    // 429 or 503: retried after Retry-After when given
	Rejected    Outcome = "rejected"     // other 3xx/4xx: not retried
	Gone        Outcome = "gone"         // 410: not retried, the destination is disabled
	CircuitOpen Outcome = "circuit_open" // the breaker is open: failed fast, retried later
	Blocked     Outcome = "blocked"      // the SSRF guard refused the address: not retried
	Skipped     Outcome = "skipped"      // the destination is disabled: nothing sent
)

// Retryable says whether Temporal should try again after this outcome.
func (o Outcome) Retryable() bool { return o == Retry || o == Throttled || o == CircuitOpen }

// Attempt is what one try produced.
type Attempt struct {
	Outcome    Outcome
	StatusCode int           // 0 without an HTTP answer
	Latency    time.Duration // request sent → answer read (or failure)
	RetryAfter time.Duration // from a 429/503's Retry-After, 0 when absent
	Err        string        // the failure, short and free of bodies and secrets
}

// Registry holds every configured destination. Safe for concurrent use.
type Registry struct {
	dests map[string]*Destination
}

// Options adjust every destination (tests use a custom resolver).
type Options struct {
	Resolver  *net.Resolver
	UserAgent string
	Now       func() time.Time
}

// NewRegistry builds each destination's client, signer, limiter and breaker;
// a bad URL or secret fails with the field's path.
func NewRegistry(cfg map[string]config.Destination, o Options) (*Registry, error) {
	r := &Registry{dests: map[string]*Destination{}}
	for name, dc := range cfg {
		d, err := newDestination(name, dc, o)
		if err != nil {
			return nil, err
		}
		r.dests[name] = d
	}
	return r, nil
}

// Get returns the destination called name, or nil.
func (r *Registry) Get(name string) *Destination {
	if r == nil {
		return nil
	}
	return r.dests[name]
}

// Names lists the destinations, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.dests))
	for n := range r.dests {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Destination is one receiver.
type Destination struct {
	Name     string
	cfg      config.Destination
	url      *url.URL
	signer   *standardwebhooks.Webhook
	client   *http.Client
	guard    Guard
	resolver *net.Resolver
	limiter  *rate.Limiter // nil: unlimited
	breaker  *gobreaker.CircuitBreaker[Attempt]
	metrics  *Metrics
	ua       string
	now      func() time.Time
}

// errTripping marks attempts that count against the breaker.
var errTripping = errors.New("destination failing")

func newDestination(name string, dc config.Destination, o Options) (*Destination, error) {
	path := "config: destinations." + name
	u, err := url.Parse(dc.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("%s.url: want an http(s) URL with a host", path)
	}
	secret, err := dc.Secret.Resolve()
	if err != nil {
		return nil, fmt.Errorf("%s.secret: %w", path, err)
	}
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("%s.secret: not a Standard Webhooks key: %w", path, err)
	}
	if o.UserAgent == "" {
		o.UserAgent = "hookflow/1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	guard := Guard{AllowPrivate: dc.AllowPrivate}
	dialer := &net.Dialer{Timeout: min(dc.Timeout, 10*time.Second), KeepAlive: 30 * time.Second,
		Control: guard.Control, Resolver: o.Resolver}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would be dialed instead of the target, defeating the guard
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(dc.Timeout, 10*time.Second),
		ResponseHeaderTimeout: dc.Timeout,
	}
	d := &Destination{
		Name: name, cfg: dc, url: u, signer: signer, guard: guard, resolver: o.Resolver, ua: o.UserAgent, now: o.Now,
		client: &http.Client{
			Transport: transport,
			Timeout:   dc.Timeout,
			// A receiver that redirects is misconfigured, and following it
			// would let it point us anywhere: the 3xx is the answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if dc.RateLimit.PerSecond > 0 {
		d.limiter = rate.NewLimiter(rate.Limit(dc.RateLimit.PerSecond), max(1, dc.RateLimit.Burst))
	}
	failures := uint32(max(1, dc.Breaker.Failures))
	d.breaker = gobreaker.NewCircuitBreaker[Attempt](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1, // half-open: one trial request
		Timeout:     dc.Breaker.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		OnStateChange: func(name string, _, to gobreaker.State) {
			d.metrics.breaker(name, to)
		},
		IsSuccessful: func(err error) bool {
			return err == nil || !errors.Is(err, errTripping)
		},
		// An attempt cancelled by hookflow itself says nothing about the receiver.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	return d, nil
}

// Config returns the destination's settings.
func (d *Destination) Config() config.Destination { return d.cfg }

// Host is the destination's host, for logs (never the full URL, whose path
// or query may carry a token).
func (d *Destination) Host() string { return d.url.Host }

// BreakerState is closed, half-open or open.
func (d *Destination) BreakerState() string { return d.breaker.State().String() }

// Send makes one attempt: waits for the rate limiter, checks the breaker and
// the SSRF guard, signs body for this moment and posts it. It never retries.
func (d *Destination) Send(ctx context.Context, webhookID string, body []byte) Attempt {
	if d.limiter != nil {
		if err := d.limiter.Wait(ctx); err != nil {
			return Attempt{Outcome: Throttled, Err: "local rate limit: " + err.Error(),
				RetryAfter: time.Duration(float64(time.Second) / float64(d.limiter.Limit()))}
		}
	}
	a, err := d.breaker.Execute(func() (Attempt, error) {
		a := d.post(ctx, webhookID, body)
		if ctx.Err() != nil { // the attempt was cut short by hookflow, not the receiver
			return a, ctx.Err()
		}
		if trips(a) {
			return a, fmt.Errorf("%w: %s", errTripping, a.Outcome)
		}
		return a, nil
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		a = Attempt{Outcome: CircuitOpen, Err: "circuit breaker " + d.breaker.State().String() +
			": too many consecutive failures, not calling the receiver"}
	}
	d.metrics.observe(d.Name, a)
	return a
}

// trips: failures that say the receiver is down (not that it refused).
func trips(a Attempt) bool {
	return a.Outcome == Retry || (a.Outcome == Throttled && a.StatusCode == http.StatusServiceUnavailable)
}

func (d *Destination) post(ctx context.Context, webhookID string, body []byte) Attempt {
	if err := d.guard.CheckHost(ctx, d.resolver, d.url.Hostname()); err != nil {
		if errors.Is(err, ErrBlocked) {
			return Attempt{Outcome: Blocked, Err: err.Error()}
		}
		return Attempt{Outcome: Retry, Err: err.Error()} // DNS trouble: try again later
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url.String(), bytes.NewReader(body))
	if err != nil {
		return Attempt{Outcome: Rejected, Err: "build request: " + err.Error()}
	}
	now := d.now()
	sig, err := d.signer.Sign(webhookID, now, body)
	if err != nil {
		return Attempt{Outcome: Rejected, Err: "sign: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", d.ua)
	req.Header.Set("webhook-id", webhookID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)

	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		a := Attempt{Outcome: Retry, Latency: time.Since(start), Err: describeError(err)}
		if errors.Is(err, ErrBlocked) {
			a.Outcome = Blocked
		}
		return a
	}
	// Drain a little so the connection can be reused; the body itself is
	// never stored or logged.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a := Attempt{StatusCode: resp.StatusCode, Latency: time.Since(start)}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		a.Outcome = Delivered
	case code == http.StatusGone:
		a.Outcome, a.Err = Gone, "410 Gone: the receiver asks never to be called again"
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		a.Outcome, a.Err = Throttled, resp.Status
		a.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), d.now())
	case code == http.StatusRequestTimeout || code >= 500:
		a.Outcome, a.Err = Retry, resp.Status
	case code >= 300 && code < 400:
		a.Outcome, a.Err = Rejected, resp.Status+" (redirects are not followed)"
	default:
		a.Outcome, a.Err = Rejected, resp.Status
	}
	return a
}

// describeError names the failure class without the URL (which may carry a
// token in its path or query).
func describeError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, ErrBlocked):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout: no complete answer within the destination's timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "connection error: " + oe.Op + ": " + oe.Err.Error()
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return "request failed: " + msg
}

// parseRetryAfter reads delay-seconds or an HTTP-date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(7*24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Backoff is the delay before the attempt after attempt n (from 1):
// InitialInterval·2^(n−1), capped at MaxInterval, with "equal jitter" (a
// uniformly random point in the upper half), so receivers recovering from an
// outage are not hit by every sender at once.
func Backoff(p config.RetryPolicy, n int) time.Duration {
	d := p.InitialInterval
	for i := 1; i < n && d < p.MaxInterval; i++ {
		d *= 2
	}
	d = min(d, p.MaxInterval)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}
