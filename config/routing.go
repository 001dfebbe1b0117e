package config

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Routing decides each event's priority lane and actions (package routing).
// Rules are CEL expressions over the normalized event and its score; they are
// compiled and type-checked when hookflow starts (`hookflow check` too).
type Routing struct {
	// DefaultLane is the lane of an event no rule gives one: normal unless set.
	DefaultLane string `yaml:"default_lane"`
	// Rules are all evaluated; the most urgent lane among the matching rules
	// wins, and the actions of every matching rule are taken (once each).
	Rules []Rule `yaml:"rules"`
	// Lanes tunes how each lane is handed to Temporal (see LaneSettings).
	Lanes map[string]LaneSettings `yaml:"lanes"`
}

// Rule is one routing rule.
type Rule struct {
	Name string `yaml:"name"`
	// When is a CEL expression of type bool over `event` (the envelope:
	// event.source, event.event_type, event.amount, event.attributes["k"], ...)
	// and `score` (the model's probability, 0 when the event was not scored).
	When string `yaml:"when"`
	// Lane, if set, is one of critical, high, normal, bulk.
	Lane string `yaml:"lane"`
	// Actions name destinations that receive a signed trigger.
	Actions []string `yaml:"actions"`
	// Reason is a human sentence sent in the trigger body (default: the rule name).
	Reason string `yaml:"reason"`
}

// LaneSettings say how ingress starts a lane's workflows.
type LaneSettings struct {
	// Eager starts hand the first workflow task straight to the in-process
	// worker, bypassing Temporal's matching service. Default: true for every
	// lane except bulk, whose work then waits in matching at low priority.
	Eager *bool `yaml:"eager"`
	// AdmitRate bounds how many of this lane's events per second ingress
	// hands to Temporal (0 = unbounded); AdmitBurst is the bucket size
	// (default: one second's worth) and AdmitWait how long a request may wait
	// for a token before it is answered 503 with Retry-After (default 2s).
	AdmitRate  float64       `yaml:"admit_rate"`
	AdmitBurst int           `yaml:"admit_burst"`
	AdmitWait  time.Duration `yaml:"admit_wait"`
}

// LaneNames are the lanes, most urgent first. Temporal priority keys are
// 1 (critical), 2 (high), 3 (normal, Temporal's default) and 5 (bulk).
var LaneNames = []string{"critical", "high", "normal", "bulk"}

// Destination is an outbound webhook target that rules' actions name. Each
// trigger is signed with Standard Webhooks headers and delivered by a regular
// Temporal activity (one per event and destination), retried per Retry.
type Destination struct {
	URL string `yaml:"url"`
	// Secret is the Standard Webhooks signing key, "whsec_<base64>" (24 to 64
	// random bytes), shared with the receiver.
	Secret Secret `yaml:"secret"`
	// Timeout bounds one attempt, connect to last response byte (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	Retry   RetryPolicy   `yaml:"retry"`
	// RateLimit caps requests per second to this destination, per hookflow
	// process (unset = unlimited; burst defaults to max(1, per_second)).
	RateLimit RateLimit `yaml:"rate_limit"`
	Breaker   Breaker   `yaml:"circuit_breaker"`
	// AllowPrivate lets the URL resolve to loopback, private (RFC 1918, ULA),
	// link-local and CGNAT addresses, which the SSRF guard refuses otherwise.
	// Cloud metadata and unspecified addresses are refused regardless.
	AllowPrivate bool `yaml:"allow_private"`
}

// RetryPolicy is the backoff of one destination: exponential from
// InitialInterval, doubled per attempt up to MaxInterval, with jitter; at most
// MaxAttempts attempts and MaxElapsed from the first one.
type RetryPolicy struct {
	InitialInterval time.Duration `yaml:"initial_interval"` // default 1s
	MaxInterval     time.Duration `yaml:"max_interval"`     // default 5m
	MaxAttempts     int           `yaml:"max_attempts"`     // default 10
	MaxElapsed      time.Duration `yaml:"max_elapsed"`      // default 24h
}

// Breaker opens after Failures consecutive failed attempts (5xx, timeouts,
// connection errors), fails attempts fast for OpenFor, then lets one trial
// request through and closes again when it succeeds.
type Breaker struct {
	Failures int           `yaml:"failures"` // default 5
	OpenFor  time.Duration `yaml:"open_for"` // default 30s
}

func (c *Config) applyRoutingDefaults() {
	setDefault(&c.Routing.DefaultLane, "normal")
	if c.Routing.Lanes == nil {
		c.Routing.Lanes = map[string]LaneSettings{}
	}
	for _, lane := range LaneNames {
		s := c.Routing.Lanes[lane]
		if s.Eager == nil {
			eager := lane != "bulk"
			s.Eager = &eager
		}
		if s.AdmitRate > 0 {
			setDefault(&s.AdmitBurst, max(1, int(s.AdmitRate)))
			setDefault(&s.AdmitWait, 2*time.Second)
		}
		c.Routing.Lanes[lane] = s
	}
	for i := range c.Routing.Rules {
		setDefault(&c.Routing.Rules[i].Reason, c.Routing.Rules[i].Name)
	}
	for name, d := range c.Destinations {
		setDefault(&d.Timeout, 10*time.Second)
		setDefault(&d.Retry.InitialInterval, time.Second)
		setDefault(&d.Retry.MaxInterval, 5*time.Minute)
		setDefault(&d.Retry.MaxAttempts, 10)
		setDefault(&d.Retry.MaxElapsed, 24*time.Hour)
		if d.RateLimit.PerSecond > 0 {
			setDefault(&d.RateLimit.Burst, max(1, int(math.Ceil(d.RateLimit.PerSecond))))
		}
		setDefault(&d.Breaker.Failures, 5)
		setDefault(&d.Breaker.OpenFor, 30*time.Second)
		c.Destinations[name] = d
	}
}

// validateRouting checks the shape of routing and destinations; the CEL
// expressions themselves are compiled by package routing at start.
func (c *Config) validateRouting() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	lanes := strings.Join(LaneNames, ", ")
	if !IsLane(c.Routing.DefaultLane) {
		bad("routing.default_lane", "unknown lane %q (lanes: %s)", c.Routing.DefaultLane, lanes)
	}
	for _, name := range sortedKeys(c.Routing.Lanes) {
		s := c.Routing.Lanes[name]
		path := "routing.lanes." + name
		if !IsLane(name) {
			bad(path, "unknown lane (lanes: %s)", lanes)
		}
		if s.AdmitRate < 0 {
			bad(path+".admit_rate", "must not be negative")
		}
		if s.AdmitBurst < 0 {
			bad(path+".admit_burst", "must not be negative")
		}
		if s.AdmitWait < 0 {
			bad(path+".admit_wait", "must not be negative")
		}
	}
	seen := map[string]bool{}
	for i, r := range c.Routing.Rules {
		path := fmt.Sprintf("routing.rules[%d]", i)
		switch {
		case r.Name == "":
			bad(path+".name", "required")
		case !validSourceName(r.Name):
			bad(path+".name", "rule names may use only a-z, 0-9, '-' and '_'")
		case seen[r.Name]:
			bad(path+".name", "duplicate rule name %q", r.Name)
		}
		seen[r.Name] = true
		if strings.TrimSpace(r.When) == "" {
			bad(path+".when", "required: a CEL expression such as event.event_type == \"account.lockout\"")
		}
		if r.Lane != "" && !IsLane(r.Lane) {
			bad(path+".lane", "unknown lane %q (lanes: %s)", r.Lane, lanes)
		}
		if r.Lane == "" && len(r.Actions) == 0 {
			bad(path, "a rule needs a lane, actions, or both")
		}
		dup := map[string]bool{}
		for j, a := range r.Actions {
			if _, ok := c.Destinations[a]; !ok {
				bad(fmt.Sprintf("%s.actions[%d]", path, j), "no destination named %q", a)
			}
			if dup[a] {
				bad(fmt.Sprintf("%s.actions[%d]", path, j), "destination %q listed twice", a)
			}
			dup[a] = true
		}
	}
	for _, name := range sortedKeys(c.Destinations) {
		d := c.Destinations[name]
		path := "destinations." + name
		if !validSourceName(name) {
			bad(path, "destination names may use only a-z, 0-9, '-' and '_'")
		}
		if err := validDestinationURL(d.URL); err != nil {
			bad(path+".url", "%v", err)
		}
		if v, err := d.Secret.Resolve(); err != nil {
			bad(path+".secret", "%v", err)
		} else if err := validSigningSecret(v); err != nil {
			bad(path+".secret", "%v", err)
		}
		if d.Timeout < time.Millisecond {
			bad(path+".timeout", "must be at least 1ms")
		}
		rp := d.Retry
		if rp.InitialInterval < time.Millisecond {
			bad(path+".retry.initial_interval", "must be at least 1ms")
		}
		if rp.MaxInterval < rp.InitialInterval {
			bad(path+".retry.max_interval", "must be at least initial_interval (%s)", rp.InitialInterval)
		}
		if rp.MaxAttempts < 1 {
			bad(path+".retry.max_attempts", "must be at least 1")
		}
		if rp.MaxElapsed < d.Timeout {
			bad(path+".retry.max_elapsed", "must be at least the timeout (%s)", d.Timeout)
		}
		if d.RateLimit.PerSecond < 0 {
			bad(path+".rate_limit.per_second", "must not be negative")
		}
		if d.RateLimit.Burst < 0 {
			bad(path+".rate_limit.burst", "must not be negative")
		}
		if d.Breaker.Failures < 1 {
			bad(path+".circuit_breaker.failures", "must be at least 1")
		}
		if d.Breaker.OpenFor < time.Millisecond {
			bad(path+".circuit_breaker.open_for", "must be at least 1ms")
		}
	}
	return errs
}

// IsLane reports whether name is one of LaneNames.
func IsLane(name string) bool {
	for _, l := range LaneNames {
		if l == name {
			return true
		}
	}
	return false
}

// ResolvedSecret returns the destination's signing key.
func (d Destination) ResolvedSecret() (string, error) { return d.Secret.Resolve() }

func validDestinationURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("required: the receiver's https:// (or http://) URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("scheme must be https or http, got %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("no host in %q", raw)
	}
	if u.User != nil {
		return fmt.Errorf("credentials in the URL are not allowed (they would show in logs and the UI); the signature authenticates hookflow")
	}
	if u.Fragment != "" {
		return fmt.Errorf("a fragment (#...) is never sent; remove it")
	}
	return nil
}

// validSigningSecret checks a Standard Webhooks symmetric key: "whsec_"
// (optional) then standard base64 of 24 to 64 bytes.
func validSigningSecret(v string) error {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "whsec_"))
	if err != nil {
		return fmt.Errorf("want a Standard Webhooks key, \"whsec_\" followed by base64: %v", err)
	}
	if len(b) < 24 || len(b) > 64 {
		return fmt.Errorf("the key decodes to %d bytes; Standard Webhooks asks for 24 to 64", len(b))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
