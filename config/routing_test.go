package config

import (
	"strings"
	"testing"
	"time"
)

const routed = minimal + `
routing:
  rules:
    - name: churn
      when: score >= 0.8
      lane: high
      actions: [crm]
destinations:
  crm:
    url: https://crm.example.com/hooks
    secret: "whsec_aG9va2Zsb3ctZGV2LWNybS1yZXRlbnRpb24ta2V5LTAxMjM="
`

func TestRoutingDefaults(t *testing.T) {
	c, err := Parse([]byte(routed))
	if err != nil {
		t.Fatal(err)
	}
	if c.Routing.DefaultLane != "normal" || c.Routing.Rules[0].Reason != "churn" {
		t.Fatalf("routing defaults: %+v", c.Routing)
	}
	if e := c.Routing.Lanes["bulk"].Eager; e == nil || *e {
		t.Fatal("bulk must default to lazy starts")
	}
	if e := c.Routing.Lanes["critical"].Eager; e == nil || !*e {
		t.Fatal("critical must default to eager starts")
	}
	d := c.Destinations["crm"]
	if d.Timeout != 10*time.Second || d.Retry.InitialInterval != time.Second || d.Retry.MaxInterval != 5*time.Minute ||
		d.Retry.MaxAttempts != 10 || d.Retry.MaxElapsed != 24*time.Hour || d.Breaker.Failures != 5 || d.Breaker.OpenFor != 30*time.Second || d.AllowPrivate {
		t.Fatalf("destination defaults: %+v", d)
	}
}

func TestDevRoutingLoads(t *testing.T) {
	c, err := Load("dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Destinations["crm-retention"]
	if !ok || !d.AllowPrivate || !strings.HasPrefix(d.URL, "http://127.0.0.1:") {
		t.Fatalf("dev.yaml crm-retention: %+v", d)
	}
	if len(c.Routing.Rules) < 4 || c.Routing.Lanes["bulk"].AdmitRate <= 0 {
		t.Fatalf("dev.yaml routing: %+v", c.Routing)
	}
}

func TestRoutingErrorsNameTheField(t *testing.T) {
	cases := []struct{ edit, want string }{
		{`lane: high` + "\n      actions: [crm]", ""},
		{`lane: urgent`, `routing.rules[0].lane: unknown lane "urgent"`},
		{`actions: [nope]`, `routing.rules[0].actions[0]: no destination named "nope"`},
		{`actions: [crm, crm]`, `routing.rules[0].actions[1]: destination "crm" listed twice`},
		{`actions: []`, `routing.rules[0]: a rule needs a lane, actions, or both`},
	}
	for _, c := range cases {
		doc := strings.Replace(routed, "lane: high\n      actions: [crm]", c.edit, 1)
		_, err := Parse([]byte(doc))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.edit, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.edit, err, c.want)
		}
	}
	more := []struct{ from, to, want string }{
		{"url: https://crm.example.com/hooks", "url: ftp://crm.example.com/", "destinations.crm.url: scheme must be https or http"},
		{"url: https://crm.example.com/hooks", "url: https://user:pw@crm.example.com/", "destinations.crm.url: credentials in the URL"},
		{`secret: "whsec_aG9va2Zsb3ctZGV2LWNybS1yZXRlbnRpb24ta2V5LTAxMjM="`, `secret: "whsec_c2hvcnQ="`, "destinations.crm.secret: the key decodes to 5 bytes"},
		{`secret: "whsec_aG9va2Zsb3ctZGV2LWNybS1yZXRlbnRpb24ta2V5LTAxMjM="`, `secret: {env: HOOKFLOW_TEST_UNSET_CRM}`, "destinations.crm.secret: environment variable HOOKFLOW_TEST_UNSET_CRM is not set"},
		{"when: score >= 0.8", "when: ''", "routing.rules[0].when: required"},
		{"- name: churn", "- name: Churn!", "routing.rules[0].name"},
		{"routing:\n", "routing:\n  default_lane: fast\n", `routing.default_lane: unknown lane "fast"`},
		{"routing:\n", "routing:\n  lanes: {turbo: {admit_rate: 1}}\n", "routing.lanes.turbo: unknown lane"},
		{"    secret:", "    retry: {max_attempts: -1}\n    secret:", "destinations.crm.retry.max_attempts: must be at least 1"},
		{"    secret:", "    retry: {initial_interval: 2m, max_interval: 1m}\n    secret:", "destinations.crm.retry.max_interval: must be at least initial_interval"},
	}
	for _, c := range more {
		doc := strings.Replace(routed, c.from, c.to, 1)
		_, err := Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.to, err, c.want)
		}
	}
}
