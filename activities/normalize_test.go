package activities

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/envelope"
)

func testActivities(t *testing.T) *Activities {
	t.Helper()
	c, err := NewContracts(map[string]string{"github": "github", "stripe": "stripe", "app": "standard"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Activities{Contracts: c}
}

func rawFixture(t *testing.T, source, provider, typ, path string) envelope.Raw {
	t.Helper()
	b, err := os.ReadFile("../testdata/fixtures/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return envelope.Raw{Source: source, Provider: provider, EventID: "id-1", EventType: typ,
		ReceivedAt: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Payload: b}
}

func TestNormalizeRealPayloads(t *testing.T) {
	a := testActivities(t)
	cases := []struct {
		name string
		raw  envelope.Raw
		want envelope.Envelope
	}{
		{"github pull request", rawFixture(t, "github", "github", "pull_request", "github/pull_request.opened.json"),
			envelope.Envelope{EventType: "pull_request.opened", Subject: "Codertocat/Hello-World", Account: "Codertocat", Actor: "Codertocat"}},
		{"github push (tag deletion)", rawFixture(t, "github", "github", "push", "github/push.json"),
			envelope.Envelope{EventType: "push", Subject: "Codertocat/Hello-World", Account: "Codertocat", Actor: "Codertocat"}},
		{"stripe subscription deleted", rawFixture(t, "stripe", "stripe", "customer.subscription.deleted", "stripe/synthetic.customer.subscription.deleted.json"),
			envelope.Envelope{EventType: "customer.subscription.deleted", Subject: "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", Account: "cus_QXg1o8vcGmoR32", Actor: "stripe", Amount: 20, Currency: "USD"}},
		{"stripe invoice failed", rawFixture(t, "stripe", "stripe", "invoice.payment_failed", "stripe/synthetic.invoice.payment_failed.json"),
			envelope.Envelope{EventType: "invoice.payment_failed", Subject: "in_1Pgc6tB7WZ01zgkWu9fdqL6I", Account: "cus_QXg1o8vcGmoR32", Actor: "stripe", Amount: 10, Currency: "USD"}},
		{"app downgrade", rawFixture(t, "app", "standard", "subscription.downgraded", "app/subscription.downgraded.json"),
			envelope.Envelope{EventType: "subscription.downgraded", Subject: "sub_internal_5531", Account: "acct_2077", Actor: "usr_10992", Amount: 49, Currency: "EUR"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.Normalize(context.Background(), c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.EventType != c.want.EventType || got.Subject != c.want.Subject || got.Account != c.want.Account ||
				got.Actor != c.want.Actor || got.Amount != c.want.Amount || got.Currency != c.want.Currency {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if got.EventID != "id-1" || got.Source != c.raw.Source || got.ReceivedAt != c.raw.ReceivedAt || got.OccurredAt.IsZero() {
				t.Fatalf("identity fields not carried over: %+v", got)
			}
		})
	}
}

func TestContractViolationsAreNonRetryableAndNameTheField(t *testing.T) {
	a := testActivities(t)
	cases := map[string]struct {
		source, provider, body, want string
	}{
		"stripe without data":      {"stripe", "stripe", `{"id":"evt_1","object":"event","type":"x","created":1}`, "data"},
		"stripe with a bad id":     {"stripe", "stripe", `{"id":"ch_1","object":"event","type":"x","created":1,"data":{"object":{"object":"charge"}}}`, "/id"},
		"app with a bad timestamp": {"app", "standard", `{"type":"a.b","timestamp":"yesterday","data":{}}`, "/timestamp"},
		"github repository shape":  {"github", "github", `{"repository":{"full_name":7}}`, "/repository/full_name"},
		"not JSON":                 {"github", "github", `{"unterminated`, "not valid JSON"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := a.Normalize(context.Background(), envelope.Raw{Source: c.source, Provider: c.provider, EventID: "x", Payload: []byte(c.body)})
			var appErr *temporal.ApplicationError
			if err == nil || !asApp(err, &appErr) || appErr.Type() != ErrContractViolation || !appErr.NonRetryable() {
				t.Fatalf("err %v: want a non-retryable %s", err, ErrContractViolation)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestStripeMinorUnits(t *testing.T) {
	for _, c := range []struct {
		minor    float64
		currency string
		want     float64
	}{{1999, "usd", 19.99}, {500, "JPY", 500}, {1234, "kwd", 1.234}} {
		if got := fromMinorUnits(c.minor, c.currency); got != c.want {
			t.Errorf("%v %s → %v, want %v", c.minor, c.currency, got, c.want)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	a := &Activities{}
	c, err := NewContracts(map[string]string{"github": "github", "stripe": "stripe"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	a.Contracts = c
	for _, f := range []struct{ name, source, typ, path string }{
		{"github-pull_request-28KB", "github", "pull_request", "github/pull_request.opened.json"},
		{"stripe-subscription-deleted", "stripe", "customer.subscription.deleted", "stripe/synthetic.customer.subscription.deleted.json"},
	} {
		body, err := os.ReadFile("../testdata/fixtures/" + f.path)
		if err != nil {
			b.Fatal(err)
		}
		raw := envelope.Raw{Source: f.source, Provider: f.source, EventID: "x", EventType: f.typ, Payload: body}
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := a.Normalize(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func asApp(err error, target **temporal.ApplicationError) bool {
	return errors.As(err, target)
}
