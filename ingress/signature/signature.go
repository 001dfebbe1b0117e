// Package signature verifies that a webhook delivery was produced by the
// holder of a source's secret. Every scheme works on the exact bytes received
// and compares in constant time; a scheme never "passes" a request it cannot
// read: a missing or unparsable header is a refusal, not a skip.
package signature

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Request is everything a verifier may look at.
type Request struct {
	Header http.Header
	// Body holds the payload bytes exactly as the sender signed them (only a
	// transport Content-Encoding has been removed).
	Body []byte
	// Now is the verification clock; tests pin it to a vector's timestamp.
	// The zero value means the wall clock at verification time.
	Now time.Time
}

// now is the clock a verifier checks replay windows against.
func (r *Request) now() time.Time {
	if r.Now.IsZero() {
		return time.Now()
	}
	return r.Now
}

// Verifier checks one delivery. It returns nil only when the request carries a
// valid signature made with one of the source's live secrets.
type Verifier interface {
	Verify(r *Request) error
}

// Config is what a scheme is built from. Secrets are the configured strings
// (rotation: any live secret may match); each scheme decides how to decode them.
type Config struct {
	Secrets   []string
	Tolerance time.Duration     // replay window each way, for schemes with a timestamp
	Options   map[string]string // scheme-specific settings, documented per scheme
}

// DefaultTolerance is the replay window applied when a source does not set one.
const DefaultTolerance = 5 * time.Minute

// Factory builds a verifier, validating its configuration up front so that a
// bad secret is a start-up error, never a request-time surprise.
type Factory func(cfg Config) (Verifier, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a scheme available to source configs under name.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("signature: scheme registered twice: " + name)
	}
	registry[name] = f
}

// New builds the verifier for scheme name.
func New(name string, cfg Config) (Verifier, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown signature scheme %q (known: %v)", name, Schemes())
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("scheme %q: tolerance must not be negative", name)
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = DefaultTolerance
	}
	v, err := f(cfg)
	if err != nil {
		return nil, fmt.Errorf("scheme %q: %w", name, err)
	}
	return v, nil
}

// Schemes lists the registered scheme names, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Reason classifies a refusal for metrics and for the problem detail. It never
// says which secret was tried.
type Reason string

const (
	ReasonMissing   Reason = "missing_signature"
	ReasonMalformed Reason = "malformed_signature"
	ReasonMismatch  Reason = "signature_mismatch"
	ReasonStale     Reason = "timestamp_too_old"
	ReasonFuture    Reason = "timestamp_in_future"
)

// Error is a verification refusal.
type Error struct {
	Reason Reason
	Detail string // safe to show to the sender
}

func (e *Error) Error() string { return string(e.Reason) + ": " + e.Detail }

func refuse(reason Reason, format string, args ...any) error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf extracts the refusal reason from err, or "" when err is not a refusal.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// checkWindow rejects a signed timestamp outside [now-tol, now+tol].
func checkWindow(ts, now time.Time, tol time.Duration) error {
	if now.Sub(ts) > tol {
		return refuse(ReasonStale, "signature timestamp is older than the %s replay window", tol)
	}
	if ts.Sub(now) > tol {
		return refuse(ReasonFuture, "signature timestamp is more than %s in the future", tol)
	}
	return nil
}

// requireSecrets rejects an empty secret list, any secret shorter than min
// and any secret with surrounding whitespace (almost always a pasted newline,
// which would make every delivery fail, or a blank secret).
func requireSecrets(secrets []string, min int) error {
	if len(secrets) == 0 {
		return errors.New("no secrets configured")
	}
	for i, s := range secrets {
		if err := checkSecret(s, min); err != nil {
			return fmt.Errorf("secret #%d %w", i+1, err)
		}
	}
	return nil
}

// checkSecret is requireSecrets for one value; its error reads after "secret #n".
func checkSecret(s string, min int) error {
	if strings.TrimSpace(s) != s {
		return errors.New("has leading or trailing whitespace")
	}
	if len(s) < min {
		return fmt.Errorf("is too short: need at least %d bytes", min)
	}
	return nil
}

// checkOptions rejects any option the scheme does not define, naming it.
func checkOptions(opts map[string]string, known ...string) error {
	var unknown []string
	for k := range opts {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	if len(known) == 0 {
		return fmt.Errorf("unknown option %q: this scheme takes no options", unknown[0])
	}
	return fmt.Errorf("unknown option %q (known: %s)", unknown[0], strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// boolOption reads an optional "true"/"false" option.
func boolOption(opts map[string]string, name string) (bool, error) {
	switch v, ok := opts[name]; {
	case !ok || v == "false":
		return false, nil
	case v == "true":
		return true, nil
	default:
		return false, fmt.Errorf("option %s must be \"true\" or \"false\"", name)
	}
}

// headerValue returns the first value of the named header. http.Header.Get
// canonicalizes the name; headers stored under a non-canonical key (a header
// map built by hand, or replayed from a store that lower-cased them) are found
// by a case-insensitive scan, so no scheme depends on how the map was built.
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && vs[0] != "" && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// parseUnix reads a canonical decimal count (digits only, no sign, no leading
// zero): what every sender writes, and the only form whose bytes are what the
// sender signed.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// MinSecretLen is the shortest shared secret accepted for HMAC schemes.
const MinSecretLen = 12
