package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/envelope"
)

// ErrContractViolation is the application error type of a payload that does not
// meet its data contract. It is never retried: the same bytes fail the same way.
const ErrContractViolation = "ContractViolation"

// normalizer maps one provider's decoded payload onto the envelope; the
// identity fields (source, id, received time) are already filled in.
type normalizer func(raw envelope.Raw, d doc, env *envelope.Envelope)

var normalizers = map[string]normalizer{
	"github":   normalizeGitHub,
	"stripe":   normalizeStripe,
	"standard": normalizeStandard,
	"slack":    normalizeSlack,
	"shopify":  normalizeShopify,
}

// Normalize validates the payload against its source's data contract and
// maps it onto the envelope. A contract violation is a non-retryable
// ContractViolation error whose message names the failing fields.
func (a *Activities) Normalize(ctx context.Context, raw envelope.Raw) (envelope.Envelope, error) {
	body, err := a.payload(ctx, raw)
	if err != nil {
		return envelope.Envelope{}, err
	}
	env := envelope.Envelope{
		EventID:    raw.EventID,
		Source:     raw.Source,
		Provider:   raw.Provider,
		EventType:  raw.EventType,
		ReceivedAt: raw.ReceivedAt,
		OccurredAt: raw.ReceivedAt,
	}
	// JSON as is; a form body as its payload field's JSON or its fields
	// (envelope.Document), the same view the ingress locators read.
	decoded, err := envelope.Document(raw.ContentType, body)
	if err != nil {
		return env, temporal.NewNonRetryableApplicationError(
			"payload cannot be read: "+err.Error(), ErrContractViolation, nil)
	}
	if err := a.Contracts.Validate(raw.Source, decoded); err != nil {
		return env, temporal.NewNonRetryableApplicationError(
			"payload breaks the "+raw.Source+" data contract: "+err.Error(), ErrContractViolation, nil)
	}
	if n, ok := normalizers[raw.Provider]; ok {
		n(raw, doc{decoded}, &env)
	}
	env.Currency = strings.ToUpper(env.Currency)
	if env.OccurredAt.IsZero() {
		env.OccurredAt = raw.ReceivedAt
	}
	return env, nil
}

// payload returns the delivery's exact bytes, inline or from the payload store.
func (a *Activities) payload(ctx context.Context, raw envelope.Raw) ([]byte, error) {
	if raw.PayloadRef == "" {
		return raw.Payload, nil
	}
	if a.Payloads == nil {
		return nil, temporal.NewNonRetryableApplicationError("no payload store configured", "Misconfigured", nil)
	}
	body, err := a.Payloads.GetPayload(ctx, raw.PayloadRef)
	if err != nil {
		return nil, fmt.Errorf("load payload %s: %w", raw.PayloadRef, err)
	}
	return body, nil
}

// GitHub: the event name comes from X-GitHub-Event; with an "action" the
// envelope type is "<event>.<action>" (pull_request.opened), as GitHub's docs
// name them.
func normalizeGitHub(raw envelope.Raw, d doc, env *envelope.Envelope) {
	action := d.at("action").str()
	if action != "" && !strings.Contains(env.EventType, ".") {
		env.EventType += "." + action
	}
	env.Subject = d.first("repository.full_name", "installation.account.login")
	env.Account = d.first("organization.login", "repository.owner.login", "installation.account.login")
	env.Actor = d.at("sender.login").str()
	env.Attributes = compact(map[string]string{
		"action":     action,
		"ref":        d.at("ref").str(),
		"conclusion": d.first("workflow_run.conclusion", "check_run.conclusion"),
		"state":      d.first("pull_request.state", "issue.state"),
	})
	if t, ok := d.firstTime("head_commit.timestamp", "pull_request.updated_at", "issue.updated_at",
		"workflow_run.updated_at", "installation.updated_at", "repository.pushed_at"); ok {
		env.OccurredAt = t
	}
}

// Stripe: amounts are integers in the currency's minor unit; the envelope
// keeps major units so analysts can sum across currencies' exponents.
func normalizeStripe(_ envelope.Raw, d doc, env *envelope.Envelope) {
	obj := d.at("data.object")
	env.EventType = d.at("type").str()
	if t, ok := d.at("created").unix(); ok {
		env.OccurredAt = t
	}
	env.Subject = obj.at("id").str()
	env.Account = d.first("data.object.customer", "account")
	if reqID := d.at("request.id").str(); reqID != "" {
		env.Actor = "request:" + reqID
	} else {
		env.Actor = "stripe"
	}
	env.Currency = obj.at("currency").str()
	if env.Currency != "" {
		for _, f := range []string{"amount", "amount_due", "amount_total", "amount_paid", "plan.amount", "items.data.0.price.unit_amount"} {
			if minor, ok := obj.at(f).num(); ok {
				env.Amount = fromMinorUnits(minor, env.Currency)
				break
			}
		}
	}
	env.Attributes = compact(map[string]string{
		"object":               obj.at("object").str(),
		"status":               obj.at("status").str(),
		"livemode":             d.at("livemode").str(),
		"billing_reason":       obj.at("billing_reason").str(),
		"cancel_at_period_end": obj.at("cancel_at_period_end").str(),
		"attempt_count":        obj.at("attempt_count").str(),
		"failure_code":         obj.at("failure_code").str(),
		"previous_status":      d.at("data.previous_attributes.status").str(),
	})
}

// Standard Webhooks: {"type", "timestamp", "data"}; hookflow reads a few
// conventional data fields (documented in the README) for internal apps.
func normalizeStandard(_ envelope.Raw, d doc, env *envelope.Envelope) {
	env.EventType = d.at("type").str()
	if t, err := time.Parse(time.RFC3339Nano, d.at("timestamp").str()); err == nil {
		env.OccurredAt = t.UTC()
	}
	data := d.at("data")
	env.Subject = data.first("subject", "id")
	env.Account = data.first("account", "account_id", "org_id")
	env.Actor = data.first("actor", "user_id", "user")
	env.Currency = data.at("currency").str()
	if amt, ok := data.at("amount").num(); ok && env.Currency != "" {
		env.Amount = amt
	}
	env.Attributes = compact(map[string]string{
		"status": data.at("status").str(),
		"reason": data.at("reason").str(),
	})
}

// Currencies whose Stripe amounts have no minor unit or three decimals
// (https://docs.stripe.com/currencies#zero-decimal).
var (
	zeroDecimal  = set("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF")
	threeDecimal = set("BHD", "JOD", "KWD", "OMR", "TND")
)

func fromMinorUnits(minor float64, currency string) float64 {
	c := strings.ToUpper(currency)
	switch {
	case zeroDecimal[c]:
		return minor
	case threeDecimal[c]:
		return minor / 1000
	}
	return minor / 100
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}

func compact(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
