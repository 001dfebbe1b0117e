// Package outbound delivers hookflow's triggers to configured destinations
// (a CRM's retention webhook, ...): each request signed with Standard
// Webhooks headers, guarded against SSRF, rate limited, behind a circuit
// breaker per destination, and its answer classified for Temporal's retries.
// The delivery activity (activities/deliver.go) drives it; it never retries
// by itself — Temporal does, so every attempt is visible in the UI.
package outbound

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// TriggerType is the body's "type".
const TriggerType = "hookflow.trigger"

// Body is what a destination receives, in the Standard Webhooks payload
// shape {type, timestamp, data}. It is built once per event and destination
// and is byte-identical on every attempt; only the signature headers
// (timestamp) change between attempts.
type Body struct {
	Type      string    `json:"type"`      // "hookflow.trigger"
	Timestamp time.Time `json:"timestamp"` // when routing decided the trigger
	Data      Trigger   `json:"data"`
}

// Trigger says which rule fired for which event.
type Trigger struct {
	WebhookID    string  `json:"webhook_id"` // also the webhook-id header: dedupe on it
	Destination  string  `json:"destination"`
	Rule         string  `json:"rule"`
	Reason       string  `json:"reason"`
	Lane         string  `json:"lane"`
	Score        float64 `json:"score"`
	ModelVersion string  `json:"model_version"`
	Event        Event   `json:"event"`
}

// Event is the triggering event, normalized.
type Event struct {
	ID         string            `json:"id"`
	Source     string            `json:"source"`
	Provider   string            `json:"provider"`
	Type       string            `json:"type"`
	Subject    string            `json:"subject"`
	Account    string            `json:"account"`
	Actor      string            `json:"actor"`
	Amount     float64           `json:"amount"`
	Currency   string            `json:"currency"`
	Attributes map[string]string `json:"attributes,omitempty"`
	OccurredAt time.Time         `json:"occurred_at"`
	ReceivedAt time.Time         `json:"received_at"`
	WorkflowID string            `json:"workflow_id"`
}

// Marshal encodes the body (deterministically: struct fields in order, map
// keys sorted).
func (b Body) Marshal() ([]byte, error) { return json.Marshal(b) }

// WebhookID is the webhook-id of the trigger for one event and destination:
// stable across attempts, workflow retries and replays, and distinct per
// destination, so a receiver that dedupes on it sees each trigger once.
func WebhookID(workflowID, destination string) string {
	sum := sha256.Sum256([]byte(workflowID + "\x00" + destination))
	return "msg_" + hex.EncodeToString(sum[:16])
}
