package models

import (
	"math"
	"testing"
	"time"

	"github.com/hookflow/hookflow/envelope"
)

func f64(v float64) *float64 { return &v }

func TestFeatureKinds(t *testing.T) {
	specs := []FeatureSpec{
		{Name: "deleted", Kind: KindInSet, Field: "event_type", Values: []string{"customer.subscription.deleted", "invoice.payment_failed"}},
		{Name: "type", Kind: KindOneHot, Field: "event_type", Values: []string{"push", "invoice.payment_failed"}},
		{Name: "canceling", Kind: KindEquals, Field: "attributes.cancel_at_period_end", Value: "true"},
		{Name: "failed", Kind: KindContains, Field: "event_type", Substring: "failed"},
		{Name: "has_currency", Kind: KindPresent, Field: "currency"},
		{Name: "has_amount", Kind: KindPresent, Field: "amount"},
		{Name: "has_plan", Kind: KindPresent, Field: "attributes.plan"},
		{Name: "amount", Kind: KindNumeric, Field: "amount", Transform: TransformLog1p, Mean: f64(1), Std: f64(2)},
		{Name: "attempts", Kind: KindNumeric, Field: "attributes.attempt_count", Default: f64(-1)},
		{Name: "flag", Kind: KindNumeric, Field: "attributes.livemode"},
		{Name: "hour", Kind: KindNumeric, Field: "occurred_hour"},
		{Name: "weekday", Kind: KindNumeric, Field: "occurred_weekday"},
		{Name: "lag", Kind: KindNumeric, Field: "delivery_lag_seconds"},
		{Name: "provider", Kind: KindInSet, Field: "provider", Values: []string{"stripe"}},
	}
	fs, err := CompileFeatures(specs)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"deleted", "type=push", "type=invoice.payment_failed", "canceling", "failed", "has_currency",
		"has_amount", "has_plan", "amount", "attempts", "flag", "hour", "weekday", "lag", "provider"}
	if got := fs.Names(); len(got) != len(wantNames) {
		t.Fatalf("names %q", got)
	} else {
		for i := range got {
			if got[i] != wantNames[i] {
				t.Errorf("name %d = %q, want %q", i, got[i], wantNames[i])
			}
		}
	}
	occurred := time.Date(2025, 3, 4, 15, 30, 0, 0, time.FixedZone("X", 3600)) // 14:30 UTC, a Tuesday
	e := envelope.Envelope{
		Provider: "stripe", EventType: "invoice.payment_failed", Amount: math.E - 1, Currency: "USD",
		OccurredAt: occurred, ReceivedAt: occurred.Add(1500 * time.Millisecond),
		Attributes: map[string]string{"attempt_count": "3", "livemode": "true", "cancel_at_period_end": "false"},
	}
	want := []float32{1, 0, 1, 0, 1, 1, 1, 0, 0 /* (log(e)-1)/2 */, 3, 1, 14, 2, 1.5, 1}
	checkRow(t, "payment_failed", fs.Vector(&e), want)

	empty := envelope.Envelope{}
	want = []float32{0, 0, 0, 0, 0, 0, 0, 0, -0.5 /* (0-1)/2 */, -1 /* default */, 0, 0, 0, 0, 0}
	checkRow(t, "empty", fs.Vector(&empty), want)

	// Not a number: the default is used.
	e.Attributes["attempt_count"] = "many"
	if v := fs.Vector(&e)[9]; v != -1 {
		t.Errorf("unparseable attempt_count gave %v, want the default -1", v)
	}
}

func checkRow(t *testing.T, name string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d columns, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("%s: column %d = %v, want %v", name, i, got[i], want[i])
		}
	}
}

func TestLog1p(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{{-5, 0}, {0, 0}, {math.E - 1, 1}} {
		if got := Log1p(c.x); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Log1p(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}
