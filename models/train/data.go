package main

// Synthetic training data.
//
// There is no labelled production traffic yet, so the model is trained on a
// documented, seeded simulation. Each event is drawn from the catalog below
// (relative frequency = weight), gets provider-specific attributes and
// amounts, and a ground-truth churn/risk probability
//
//	p = sigmoid(base + extra(event) + noise),   noise ~ Normal(0, 0.6)
//
// where base is the catalog log-odds, extra depends on the attributes (see
// each generator) and noise stands for everything an event does not show
// (the account's history). The label is a Bernoulli(p) draw. The model never
// sees p; it must recover it from the features, so the holdout AUC is
// bounded by the noise and by effects a linear model cannot express
// (amount matters only for refunds and disputes).
//
// Ground truth, in log-odds (p at zero noise):
//
//	stripe customer.subscription.deleted   +3.0 (0.95)
//	stripe customer.subscription.updated   -2.0 (0.12); +3.2 if cancel_at_period_end, +1.6 if status past_due/unpaid
//	stripe invoice.payment_failed          +1.2 (0.77) +0.5 per retry (attempt_count 1..4)
//	stripe charge.dispute.created          +1.7 (0.85) +0.4·(ln(1+amount)-4)
//	stripe charge.refunded                 +1.1 (0.75) +0.4·(ln(1+amount)-4)
//	stripe invoice.paid                    -3.0 (0.05)
//	stripe charge.succeeded                -3.2 (0.04)
//	stripe checkout.session.completed      -2.6 (0.07)
//	github installation                    -3.5 (0.03); +5.0 when action=deleted (app uninstalled)
//	github issues / pull_request / push    -3.0 / -3.6 / -4.0
//	slack  member_left_channel             -0.8 (0.31)
//	slack  app_mention / message           -3.4 / -4.0
//	app    account.lockout                 +1.1 (0.75)
//	app    login.failed                    -1.2 (0.23)
//	app    page.view / ui.click            -4.0 / -4.2
//
// Amounts are log-normal (median 55, ln-sd 1.0) in USD 60%, EUR 25%,
// GBP 15%, on Stripe events only: always on invoices, charges, disputes and
// checkouts, on 60% of subscription events (a normalizer may or may not
// find the plan price; the truth does not depend on it).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hookflow/hookflow/envelope"
)

// noiseSD is the standard deviation of the unobserved log-odds noise.
const noiseSD = 0.6

// sample is one generated event with its ground truth.
type sample struct {
	env   envelope.Envelope
	p     float64 // ground-truth probability
	label bool
}

// kind is one catalog entry. gen fills amounts and attributes and returns
// the extra log-odds they carry.
type kind struct {
	provider  string // Envelope.Provider; Source is the same name except "app"
	source    string
	eventType string
	weight    float64
	base      float64
	gen       func(r *rand.Rand, e *envelope.Envelope) float64
}

var catalog = []kind{
	{"stripe", "stripe", "customer.subscription.deleted", 2.5, 3.0, genSubscriptionDeleted},
	{"stripe", "stripe", "customer.subscription.updated", 5, -2.0, genSubscriptionUpdated},
	{"stripe", "stripe", "invoice.payment_failed", 3, 1.2, genPaymentFailed},
	{"stripe", "stripe", "charge.dispute.created", 1, 1.7, genMoneyBack},
	{"stripe", "stripe", "charge.refunded", 2, 1.1, genMoneyBack},
	{"stripe", "stripe", "invoice.paid", 8, -3.0, genMoney("paid")},
	{"stripe", "stripe", "charge.succeeded", 10, -3.2, genMoney("succeeded")},
	{"stripe", "stripe", "checkout.session.completed", 4, -2.6, genMoney("complete")},
	{"github", "github", "installation", 1.5, -3.5, genInstallation},
	{"github", "github", "issues", 5, -3.0, genAction("opened", "closed", "labeled")},
	{"github", "github", "pull_request", 8, -3.6, genAction("opened", "closed", "synchronize")},
	{"github", "github", "push", 14, -4.0, genNothing},
	{"slack", "slack", "member_left_channel", 1, -0.8, genNothing},
	{"slack", "slack", "app_mention", 2, -3.4, genNothing},
	{"slack", "slack", "message", 8, -4.0, genNothing},
	{"standard", "app", "account.lockout", 1, 1.1, genNothing},
	{"standard", "app", "login.failed", 2.5, -1.2, genNothing},
	{"standard", "app", "page.view", 6, -4.0, genNothing},
	{"standard", "app", "ui.click", 12, -4.2, genNothing},
}

// generate draws n samples from a generator seeded with seed. Same seed,
// same n: same samples (math/rand/v2 PCG is a fixed algorithm).
func generate(seed uint64, n int) []sample {
	r := rand.New(rand.NewPCG(seed, 0x686f6f6b666c6f77)) // "hookflow"
	var total float64
	for _, k := range catalog {
		total += k.weight
	}
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	out := make([]sample, n)
	for i := range out {
		u := r.Float64() * total
		k := catalog[len(catalog)-1]
		for _, c := range catalog {
			if u < c.weight {
				k = c
				break
			}
			u -= c.weight
		}
		occurred := start.Add(time.Duration(i) * 37 * time.Second)
		e := envelope.Envelope{
			EventID:    fmt.Sprintf("evt_%07d", i),
			Source:     k.source,
			Provider:   k.provider,
			EventType:  k.eventType,
			OccurredAt: occurred,
			ReceivedAt: occurred.Add(time.Duration(50+r.IntN(2000)) * time.Millisecond),
			Account:    fmt.Sprintf("acct_%04d", r.IntN(500)),
			Subject:    fmt.Sprintf("sub_%05d", r.IntN(5000)),
			Actor:      fmt.Sprintf("user_%04d", r.IntN(2000)),
		}
		logit := k.base + k.gen(r, &e) + noiseSD*r.NormFloat64()
		p := 1 / (1 + math.Exp(-logit))
		out[i] = sample{env: e, p: p, label: r.Float64() < p}
	}
	return out
}

func setAttr(e *envelope.Envelope, k, v string) {
	if e.Attributes == nil {
		e.Attributes = make(map[string]string, 2)
	}
	e.Attributes[k] = v
}

// money draws a log-normal amount and a currency and returns ln(1+amount)-4,
// the centred log amount used by the ground truth.
func money(r *rand.Rand, e *envelope.Envelope) float64 {
	e.Amount = math.Round(math.Exp(4+r.NormFloat64())*100) / 100
	switch u := r.Float64(); {
	case u < 0.60:
		e.Currency = "USD"
	case u < 0.85:
		e.Currency = "EUR"
	default:
		e.Currency = "GBP"
	}
	return math.Log1p(e.Amount) - 4
}

func genNothing(*rand.Rand, *envelope.Envelope) float64 { return 0 }

func genMoney(status string) func(*rand.Rand, *envelope.Envelope) float64 {
	return func(r *rand.Rand, e *envelope.Envelope) float64 {
		money(r, e)
		setAttr(e, "status", status)
		return 0
	}
}

// planAmount gives 60% of subscription events the plan's amount: whether a
// normalizer finds one must not move their score, so the truth ignores it.
func planAmount(r *rand.Rand, e *envelope.Envelope) {
	if r.Float64() < 0.6 {
		money(r, e)
	}
}

func genSubscriptionDeleted(r *rand.Rand, e *envelope.Envelope) float64 {
	planAmount(r, e)
	setAttr(e, "status", "canceled")
	return 0
}

func genSubscriptionUpdated(r *rand.Rand, e *envelope.Envelope) float64 {
	planAmount(r, e)
	extra := 0.0
	switch u := r.Float64(); {
	case u < 0.70:
		setAttr(e, "status", "active")
	case u < 0.90:
		setAttr(e, "status", "past_due")
		extra += 1.6
	default:
		setAttr(e, "status", "unpaid")
		extra += 1.6
	}
	if r.Float64() < 0.25 {
		setAttr(e, "cancel_at_period_end", "true")
		extra += 3.2
	} else {
		setAttr(e, "cancel_at_period_end", "false")
	}
	return extra
}

func genPaymentFailed(r *rand.Rand, e *envelope.Envelope) float64 {
	money(r, e)
	attempts := 1 + r.IntN(4)
	setAttr(e, "status", "open")
	setAttr(e, "attempt_count", fmt.Sprint(attempts))
	return 0.5 * float64(attempts-1)
}

func genMoneyBack(r *rand.Rand, e *envelope.Envelope) float64 {
	return 0.4 * money(r, e)
}

func genInstallation(r *rand.Rand, e *envelope.Envelope) float64 {
	if r.Float64() < 0.2 {
		setAttr(e, "action", "deleted")
		return 5.0
	}
	setAttr(e, "action", "created")
	return 0
}

func genAction(actions ...string) func(*rand.Rand, *envelope.Envelope) float64 {
	return func(r *rand.Rand, e *envelope.Envelope) float64 {
		setAttr(e, "action", actions[r.IntN(len(actions))])
		return 0
	}
}
