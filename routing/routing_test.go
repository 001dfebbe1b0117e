package routing

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
)

// devRules mirrors the examples in config/dev.yaml.
var devRules = config.Routing{
	DefaultLane: Normal,
	Rules: []config.Rule{
		{Name: "account-lockout", When: `event.event_type == "account.lockout"`, Lane: Critical},
		{Name: "abnormal-transaction", When: `event.source == "stripe" && (event.event_type == "charge.dispute.created" || (event.currency != "" && event.amount >= 10000.0))`, Lane: Critical},
		{Name: "churn-risk", When: `score >= 0.8`, Lane: High, Actions: []string{"crm-retention"}, Reason: "churn risk at or above 0.8"},
		{Name: "payment-failed", When: `event.event_type == "invoice.payment_failed" && event.attributes[?"attempt_count"].orValue("0") != "1"`, Actions: []string{"crm-retention", "billing"}},
		{Name: "ui-noise", When: `event.event_type in ["ui.click", "page.view"]`, Lane: Bulk},
	},
}

func mustCompile(t *testing.T, cfg config.Routing) *Router {
	t.Helper()
	r, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRouteDecidesLaneAndActions(t *testing.T) {
	r := mustCompile(t, devRules)
	cases := []struct {
		name     string
		env      envelope.Envelope
		score    float64
		lane     string
		laneRule string
		actions  []string
	}{
		{"lockout is critical", envelope.Envelope{Source: "app", EventType: "account.lockout"}, 0.67, Critical, "account-lockout", nil},
		{"big charge is critical", envelope.Envelope{Source: "stripe", EventType: "charge.succeeded", Currency: "USD", Amount: 25000}, 0.04, Critical, "abnormal-transaction", nil},
		{"small charge is normal", envelope.Envelope{Source: "stripe", EventType: "charge.succeeded", Currency: "USD", Amount: 25}, 0.04, Normal, "", nil},
		{"high score triggers retention", envelope.Envelope{Source: "stripe", EventType: "customer.subscription.deleted"}, 0.90, High, "churn-risk", []string{"crm-retention"}},
		{"score just under threshold", envelope.Envelope{Source: "stripe", EventType: "customer.subscription.deleted"}, 0.7999, Normal, "", nil},
		{"click is bulk", envelope.Envelope{Source: "app", EventType: "ui.click"}, 0.03, Bulk, "ui-noise", nil},
		{"most urgent lane wins, actions accumulate once", envelope.Envelope{Source: "stripe", EventType: "invoice.payment_failed",
			Attributes: map[string]string{"attempt_count": "3"}}, 0.85, High, "churn-risk", []string{"crm-retention", "billing"}},
		{"optional attribute missing", envelope.Envelope{Source: "stripe", EventType: "invoice.payment_failed"}, 0.1, Normal, "", []string{"crm-retention", "billing"}},
		{"a click with a churn score is still high", envelope.Envelope{Source: "app", EventType: "ui.click"}, 0.95, High, "churn-risk", []string{"crm-retention"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := r.Route(c.env, c.score)
			if d.Lane != c.lane || d.LaneRule != c.laneRule {
				t.Errorf("lane %s (rule %q), want %s (rule %q); %s", d.Lane, d.LaneRule, c.lane, c.laneRule, d.Summary())
			}
			if got := strings.Join(d.ActionNames(), ","); got != strings.Join(c.actions, ",") {
				t.Errorf("actions %q, want %q", got, c.actions)
			}
			if len(d.Errors) > 0 {
				t.Errorf("errors: %v", d.Errors)
			}
		})
	}
}

func TestRouteActionCarriesRuleAndReason(t *testing.T) {
	r := mustCompile(t, devRules)
	d := r.Route(envelope.Envelope{Source: "stripe", EventType: "customer.subscription.deleted"}, 0.9)
	if len(d.Actions) != 1 || d.Actions[0] != (Action{Destination: "crm-retention", Rule: "churn-risk", Reason: "churn risk at or above 0.8"}) {
		t.Fatalf("actions %+v", d.Actions)
	}
	if want := "lane high (rule churn-risk); actions crm-retention; matched churn-risk"; d.Summary() != want {
		t.Errorf("summary %q, want %q", d.Summary(), want)
	}
}

func TestEvaluationErrorCountsAsNoMatchAndIsReported(t *testing.T) {
	r := mustCompile(t, config.Routing{Rules: []config.Rule{
		{Name: "strict-attr", When: `event.attributes["status"] == "past_due"`, Lane: Critical},
		{Name: "fallback", When: `true`, Lane: Bulk},
	}})
	d := r.Route(envelope.Envelope{EventType: "x"}, 0)
	if d.Lane != Bulk || len(d.Errors) != 1 || !strings.Contains(d.Errors[0], "strict-attr") || !strings.Contains(d.Errors[0], "status") {
		t.Fatalf("decision %+v", d)
	}
	d = r.Route(envelope.Envelope{Attributes: map[string]string{"status": "past_due"}}, 0)
	if d.Lane != Critical || len(d.Errors) != 0 {
		t.Fatalf("decision %+v", d)
	}
}

func TestCompileRejectsBadRulesNamingTheField(t *testing.T) {
	cases := []struct {
		when, want string
	}{
		{`event.amout > 10.0`, "undefined field 'amout'"},
		{`event.event_type == `, "Syntax error"},
		{`event.amount`, "of type double; a rule must be a bool"},
		{`event.amount > "10"`, "no matching overload"},
		{`scor >= 0.8`, "undeclared reference to 'scor'"},
		{`event.attributes.status == 1`, "no matching overload"},
	}
	for _, c := range cases {
		_, err := Compile(config.Routing{Rules: []config.Rule{
			{Name: "ok", When: `true`, Lane: Bulk},
			{Name: "bad", When: c.when, Lane: Bulk},
		}})
		if err == nil {
			t.Errorf("%s: compiled", c.when)
			continue
		}
		if !strings.HasPrefix(err.Error(), "config: routing.rules[1].when: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want the field path and %q", c.when, err, c.want)
		}
	}
}

func TestEveryEnvelopeFieldIsAddressable(t *testing.T) {
	exprs := []string{
		`event.event_id == "e"`, `event.source == "s"`, `event.provider == "p"`, `event.event_type == "t"`,
		`event.subject == "sub"`, `event.account == "acc"`, `event.actor == "act"`, `event.amount == 1.5`,
		`event.currency == "EUR"`, `event.attributes["k"] == "v"`, `"k" in event.attributes`,
		`event.occurred_at < event.received_at`, `event.received_at - event.occurred_at == duration("1h")`,
		`event.event_type.startsWith("t")`, `event.account.lowerAscii() == "acc"`, `score == 0.5`,
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	env := envelope.Envelope{EventID: "e", Source: "s", Provider: "p", EventType: "t", Subject: "sub", Account: "acc",
		Actor: "act", Amount: 1.5, Currency: "EUR", Attributes: map[string]string{"k": "v"},
		ReceivedAt: now, OccurredAt: now.Add(-time.Hour)}
	for _, e := range exprs {
		r := mustCompile(t, config.Routing{Rules: []config.Rule{{Name: "r", When: e, Lane: Critical}}})
		if d := r.Route(env, 0.5); d.Lane != Critical {
			t.Errorf("%s: did not match (%s)", e, d.Summary())
		}
	}
}

func TestProvisionalUsesOnlyWhatIngressKnows(t *testing.T) {
	r := mustCompile(t, devRules)
	cases := []struct {
		known Known
		lane  string
		rule  string
	}{
		{Known{Source: "app", EventType: "account.lockout"}, Critical, "account-lockout"},
		{Known{Source: "app", EventType: "ui.click"}, Bulk, "ui-noise"},
		{Known{Source: "app", EventType: "page.view"}, Bulk, "ui-noise"},
		// the score is unknown at ingress: churn-risk cannot decide
		{Known{Source: "stripe", EventType: "customer.subscription.deleted"}, Normal, ""},
		// decided by a known part of an || even though the amount is unknown
		{Known{Source: "stripe", EventType: "charge.dispute.created"}, Critical, "abnormal-transaction"},
		// amount unknown: stays undecided, so the default lane
		{Known{Source: "stripe", EventType: "charge.succeeded"}, Normal, ""},
	}
	for _, c := range cases {
		lane, rule := r.Provisional(c.known)
		if lane != c.lane || rule != c.rule {
			t.Errorf("%+v: lane %s by %q, want %s by %q", c.known, lane, rule, c.lane, c.rule)
		}
	}
}

func TestPriorityKeys(t *testing.T) {
	prev := 0
	for _, l := range config.LaneNames {
		k := PriorityKey(l)
		if k <= prev || k < 1 || k > 5 {
			t.Errorf("lane %s: priority key %d after %d", l, k, prev)
		}
		prev = k
	}
	if PriorityKey(Normal) != 3 {
		t.Error("normal must be Temporal's default priority, 3")
	}
}

func TestRouterIsSafeForConcurrentUse(t *testing.T) {
	r := mustCompile(t, devRules)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				score := float64((i+j)%10) / 10
				d := r.Route(envelope.Envelope{Source: "stripe", EventType: "customer.subscription.deleted"}, score)
				if want := score >= 0.8; (len(d.Actions) == 1) != want {
					t.Errorf("score %v: actions %v", score, d.Actions)
					return
				}
				if lane, _ := r.Provisional(Known{Source: "app", EventType: "ui.click"}); lane != Bulk {
					t.Errorf("provisional lane %s", lane)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkRoute(b *testing.B) {
	r, err := Compile(devRules)
	if err != nil {
		b.Fatal(err)
	}
	env := envelope.Envelope{Source: "stripe", EventType: "invoice.payment_failed", Currency: "USD", Amount: 49,
		Attributes: map[string]string{"attempt_count": "2"}}
	b.ReportAllocs()
	for b.Loop() {
		r.Route(env, 0.83)
	}
}

func BenchmarkProvisional(b *testing.B) {
	r, err := Compile(devRules)
	if err != nil {
		b.Fatal(err)
	}
	k := Known{Source: "app", EventType: "ui.click"}
	b.ReportAllocs()
	for b.Loop() {
		r.Provisional(k)
	}
}
