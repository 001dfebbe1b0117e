// Package receiver is a minimal, correct receiver of hookflow's triggers —
// what a CRM's webhook endpoint should do: verify the Standard Webhooks
// signature over the exact bytes (timestamp within 5 minutes), deduplicate on
// webhook-id (hookflow retries with the same id), and only then act.
// `hookflow receiver` serves it for the `make run` demo.
package receiver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/outbound"
)

// Received is one verified trigger.
type Received struct {
	WebhookID string
	Duplicate bool // this webhook-id was seen before: already acted upon
	Body      outbound.Body
	At        time.Time
}

// Receiver is an http.Handler. Safe for concurrent use.
type Receiver struct {
	wh *standardwebhooks.Webhook
	// OnTrigger is called for every verified request, duplicates included
	// (marked as such), before the answer is written.
	OnTrigger func(Received)
	// OnRefused is called when a request fails verification.
	OnRefused func(reason string)

	mu   sync.Mutex
	seen map[string]time.Time
}

// maxBody bounds what the receiver reads; a trigger is a few hundred bytes.
const maxBody = 1 << 20

// New returns a receiver for secret ("whsec_<base64>").
func New(secret string) (*Receiver, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return &Receiver{wh: wh, seen: map[string]time.Time{}}, nil
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		r.refuse(w, http.StatusBadRequest, "unreadable or oversized body")
		return
	}
	if err := r.wh.Verify(body, req.Header); err != nil {
		reason := "invalid signature"
		if errors.Is(err, standardwebhooks.ErrMessageTooOld) || errors.Is(err, standardwebhooks.ErrMessageTooNew) {
			reason = "timestamp outside the 5-minute tolerance"
		}
		r.refuse(w, http.StatusUnauthorized, reason)
		return
	}
	var b outbound.Body
	if err := json.Unmarshal(body, &b); err != nil || b.Type != outbound.TriggerType {
		r.refuse(w, http.StatusBadRequest, "not a hookflow trigger")
		return
	}
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	_, dup := r.seen[id]
	if !dup {
		r.seen[id] = time.Now()
	}
	r.mu.Unlock()
	if r.OnTrigger != nil {
		r.OnTrigger(Received{WebhookID: id, Duplicate: dup, Body: b, At: time.Now()})
	}
	// A duplicate is acknowledged like the first: hookflow must stop retrying.
	w.WriteHeader(http.StatusNoContent)
}

func (r *Receiver) refuse(w http.ResponseWriter, code int, reason string) {
	if r.OnRefused != nil {
		r.OnRefused(reason)
	}
	http.Error(w, reason, code)
}

// Seen returns how many distinct triggers were received.
func (r *Receiver) Seen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}
