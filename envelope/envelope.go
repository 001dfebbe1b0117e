// Package envelope defines the one shape every provider's event is normalized
// into. Workflows, activities, the model and the sinks all speak Envelope, so a
// new provider only needs a normalizer, never changes downstream.
package envelope

import "time"

// Envelope is a provider-neutral view of one event. String fields are "" when
// the provider does not carry that notion; Amount is meaningful only when
// Currency is set.
type Envelope struct {
	EventID    string    `json:"event_id"`
	Source     string    `json:"source"`   // configured source name, e.g. "github"
	Provider   string    `json:"provider"` // provider kind, e.g. "github", "stripe", "standard"
	EventType  string    `json:"event_type"`
	OccurredAt time.Time `json:"occurred_at"` // when the provider says it happened (ReceivedAt when unknown)
	ReceivedAt time.Time `json:"received_at"` // when ingress accepted it
	Subject    string    `json:"subject"`     // what it is about: repo, customer, subscription, channel...
	Account    string    `json:"account"`     // whose it is: org, Stripe account, Slack team...
	Actor      string    `json:"actor"`       // who caused it: user login, API key, bot...
	Amount     float64   `json:"amount"`      // in major units (12.34 USD), 0 when none
	Currency   string    `json:"currency"`    // ISO 4217 upper case, "" when none
	// Attributes holds a few provider-specific facts that rules and the model
	// may use (e.g. "action", "status"). Kept small: the raw payload is stored
	// separately, never copied here.
	Attributes map[string]string `json:"attributes,omitempty"`
}
