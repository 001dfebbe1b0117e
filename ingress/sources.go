package ingress

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/ingress/body"
	"github.com/hookflow/hookflow/ingress/signature"
)

// source is a configured sender, compiled for the request path.
type source struct {
	name       string
	provider   string
	verifier   signature.Verifier
	eventID    locator // nil when every delivery is identified by the fallback
	eventType  locator
	fallbackID string   // "" or "sha256"
	accepts    []string // media types, lower case; empty: any
	maxBody    int64
	limiter    *rate.Limiter // nil: unlimited
	handshake  handshake     // nil: the provider has none
}

// compileSources builds every source's verifier now, so a bad secret or an
// unknown scheme stops the process at start with the source named.
func compileSources(cfg map[string]config.Source) (map[string]*source, error) {
	out := make(map[string]*source, len(cfg))
	for name, sc := range cfg {
		secrets, err := sc.ResolvedSecrets()
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s.secrets: %w", name, err)
		}
		v, err := signature.New(sc.Scheme, signature.Config{Secrets: secrets, Tolerance: sc.Tolerance, Options: sc.Options})
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s: %w", name, err) // the error names the scheme
		}
		src := &source{name: name, provider: sc.Provider, verifier: v, fallbackID: sc.FallbackID, maxBody: int64(sc.MaxBody)}
		if sc.EventID != "" || sc.FallbackID == "" {
			if src.eventID, err = parseLocator(sc.EventID); err != nil {
				return nil, fmt.Errorf("config: sources.%s.event_id: %w", name, err)
			}
		}
		if src.eventType, err = parseLocator(sc.EventType); err != nil {
			return nil, fmt.Errorf("config: sources.%s.event_type: %w", name, err)
		}
		for _, ct := range sc.ContentTypes {
			src.accepts = append(src.accepts, strings.ToLower(ct))
		}
		if r := sc.RateLimit; r.PerSecond > 0 {
			burst := r.Burst
			if burst == 0 {
				burst = max(1, int(math.Ceil(r.PerSecond)))
			}
			src.limiter = rate.NewLimiter(rate.Limit(r.PerSecond), burst)
		}
		if sc.Provider == "slack" {
			src.handshake = slackURLVerification
		}
		out[name] = src
	}
	return out, nil
}

// checkMediaType refuses a Content-Type the source does not accept; its
// error is the detail for the 415 answer.
func (s *source) checkMediaType(contentType string) error {
	if len(s.accepts) == 0 {
		return nil
	}
	mt, err := body.MediaType(contentType)
	if err != nil {
		return fmt.Errorf("missing or unreadable Content-Type; this source accepts %s", strings.Join(s.accepts, ", "))
	}
	if !slices.Contains(s.accepts, mt) {
		return fmt.Errorf("Content-Type %s is not accepted here; this source accepts %s", quote(mt), strings.Join(s.accepts, ", "))
	}
	return nil
}

// admit takes a token from the source's bucket, or says how long until one
// is free (rounded up to whole seconds, for Retry-After).
func (s *source) admit(now time.Time) (ok bool, retryAfter time.Duration) {
	if s.limiter == nil {
		return true, 0
	}
	r := s.limiter.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	wait := r.DelayFrom(now)
	if wait <= 0 {
		return true, 0
	}
	r.CancelAt(now) // not taken: give the token back
	return false, max(time.Second, (wait + time.Second - 1).Truncate(time.Second))
}

// rateDetail describes the source's limit for a 429 answer.
func (s *source) rateDetail(retryAfter time.Duration) string {
	return fmt.Sprintf("source %s accepts at most %g deliveries per second (burst %d); retry after %s",
		s.name, float64(s.limiter.Limit()), s.limiter.Burst(), retryAfter)
}
