package models

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookflow/hookflow/envelope"
)

// writeModel writes an ONNX graph and a spec into a temp folder and returns
// the spec path.
func writeModel(t testing.TB, g ONNXGraph, spec string) string {
	t.Helper()
	dir := t.TempDir()
	b := ONNXModel{ProducerName: "hookflow-test", Graph: g}.Marshal()
	if err := os.WriteFile(filepath.Join(dir, "m.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// twoFeatureSpec is a valid spec for a model with input "x" [N,2] and
// output "y".
const twoFeatureSpec = `version: test-v1
onnx: m.onnx
input: x
output: {name: y, kind: probability}
features:
  - {name: deleted, kind: in_set, field: event_type, values: [customer.subscription.deleted]}
  - {name: amount, kind: numeric, field: amount, transform: log1p, mean: 1, std: 2}
`

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testEvents is a mix of provider events used across tests.
func testEvents() []envelope.Envelope {
	ev := func(provider, source, typ string, amount float64, currency string, attrs map[string]string) envelope.Envelope {
		return envelope.Envelope{
			EventID: typ + "-1", Source: source, Provider: provider, EventType: typ,
			OccurredAt: t0, ReceivedAt: t0.Add(300 * time.Millisecond),
			Account: "acct_1", Subject: "sub_1", Actor: "user_1",
			Amount: amount, Currency: currency, Attributes: attrs,
		}
	}
	return []envelope.Envelope{
		ev("stripe", "stripe", "customer.subscription.deleted", 49, "USD", map[string]string{"status": "canceled"}),
		ev("stripe", "stripe", "customer.subscription.deleted", 0, "", map[string]string{"status": "canceled"}),
		ev("stripe", "stripe", "customer.subscription.deleted", 4.99, "EUR", nil),
		ev("stripe", "stripe", "customer.subscription.updated", 49, "USD", map[string]string{"status": "active", "cancel_at_period_end": "true"}),
		ev("stripe", "stripe", "customer.subscription.updated", 49, "USD", map[string]string{"status": "active", "cancel_at_period_end": "false"}),
		ev("stripe", "stripe", "invoice.payment_failed", 120, "USD", map[string]string{"status": "open", "attempt_count": "1"}),
		ev("stripe", "stripe", "invoice.payment_failed", 120, "USD", map[string]string{"status": "open", "attempt_count": "3"}),
		ev("stripe", "stripe", "invoice.paid", 120, "USD", map[string]string{"status": "paid"}),
		ev("stripe", "stripe", "charge.succeeded", 80, "GBP", map[string]string{"status": "succeeded"}),
		ev("stripe", "stripe", "charge.refunded", 80, "GBP", nil),
		ev("stripe", "stripe", "charge.dispute.created", 250, "USD", nil),
		ev("stripe", "stripe", "checkout.session.completed", 30, "USD", nil),
		ev("github", "github", "push", 0, "", nil),
		ev("github", "github", "pull_request", 0, "", map[string]string{"action": "opened"}),
		ev("github", "github", "issues", 0, "", map[string]string{"action": "opened"}),
		ev("github", "github", "installation", 0, "", map[string]string{"action": "created"}),
		ev("github", "github", "installation", 0, "", map[string]string{"action": "deleted"}),
		ev("slack", "slack", "message", 0, "", nil),
		ev("slack", "slack", "member_left_channel", 0, "", nil),
		ev("standard", "app", "ui.click", 0, "", nil),
		ev("standard", "app", "account.lockout", 0, "", nil),
		ev("standard", "app", "login.failed", 0, "", nil),
		{}, // an empty envelope must score too
	}
}
