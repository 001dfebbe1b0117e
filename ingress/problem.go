package ingress

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Problem is an RFC 9457 problem details body. Type is a stable URN per kind
// of refusal (listed in the README) so senders can branch on it.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Extensions hookflow adds where they help the sender.
	Source string `json:"source,omitempty"`
	Reason string `json:"reason,omitempty"`
}

const problemContentType = "application/problem+json"

// The refusals hookflow gives, with their stable type URIs.
var (
	probUnknownSource  = problemKind{"unknown-source", "Unknown webhook source", http.StatusNotFound}
	probNotFound       = problemKind{"not-found", "Not found", http.StatusNotFound}
	probMethod         = problemKind{"method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	probSignature      = problemKind{"invalid-signature", "Signature verification failed", http.StatusUnauthorized}
	probTooLarge       = problemKind{"payload-too-large", "Payload too large", http.StatusRequestEntityTooLarge}
	probMalformed      = problemKind{"malformed-request", "Malformed request", http.StatusBadRequest}
	probMissingEventID = problemKind{"missing-event-id", "Delivery has no event id", http.StatusBadRequest}
	probUnsupported    = problemKind{"unsupported-media-type", "Unsupported media type or encoding", http.StatusUnsupportedMediaType}
	probRateLimited    = problemKind{"rate-limited", "Too many requests", http.StatusTooManyRequests}
	probUnavailable    = problemKind{"temporarily-unavailable", "Temporarily unavailable, retry later", http.StatusServiceUnavailable}
	probInternal       = problemKind{"internal-error", "Internal error", http.StatusInternalServerError}
)

type problemKind struct {
	slug   string
	title  string
	status int
}

func (k problemKind) typeURI() string { return "urn:hookflow:problem:" + k.slug }

// problem writes a problem+json answer. retryAfter > 0 adds Retry-After.
func problem(c echo.Context, k problemKind, detail string, retryAfter time.Duration, extra ...func(*Problem)) error {
	p := Problem{Type: k.typeURI(), Title: k.title, Status: k.status, Detail: detail, Instance: c.Request().URL.Path}
	for _, f := range extra {
		f(&p)
	}
	if retryAfter > 0 {
		secs := int(retryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	}
	body, _ := json.Marshal(p) // plain strings and ints: cannot fail
	c.Response().Header().Set(echo.HeaderContentType, problemContentType)
	c.Response().WriteHeader(k.status)
	_, err := c.Response().Write(body)
	return err
}

func withSource(name string) func(*Problem) { return func(p *Problem) { p.Source = name } }
func withReason(r string) func(*Problem)    { return func(p *Problem) { p.Reason = r } }

// errorHandler turns echo's own errors (no route, wrong method, panics caught
// by Recover) into problem+json too.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	he, ok := err.(*echo.HTTPError)
	if !ok {
		_ = problem(c, probInternal, "", 0)
		return
	}
	switch he.Code {
	case http.StatusNotFound:
		_ = problem(c, probNotFound, "no such endpoint; webhooks are POSTed to /v1/webhooks/{source}", 0, withReason("not_found"))
	case http.StatusMethodNotAllowed:
		_ = problem(c, probMethod, "webhooks are delivered with POST", 0, withReason("method_not_allowed"))
	case http.StatusRequestEntityTooLarge:
		_ = problem(c, probTooLarge, "", 0)
	default:
		k := problemKind{"http-" + strconv.Itoa(he.Code), http.StatusText(he.Code), he.Code}
		_ = problem(c, k, "", 0)
	}
}
