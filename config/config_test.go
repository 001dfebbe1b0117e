package config

import (
	"strings"
	"testing"
)

const minimal = `
sources:
  github:
    provider: github
    secrets: [dev-github-secret]
`

func TestDefaultsAndProviderPresets(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:8080" || c.Temporal.TaskQueue != "hookflow" || c.Temporal.Namespace != "default" || c.ClickHouse.Database != "hookflow" {
		t.Fatalf("contract defaults not applied: %+v", c)
	}
	gh := c.Sources["github"]
	if gh.Scheme != "github" || gh.EventID != "header:X-GitHub-Delivery" || gh.MaxBody != 25<<20 {
		t.Fatalf("github preset not applied: %+v", gh)
	}
}

func TestDevConfigLoads(t *testing.T) {
	c, err := Load("dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"github": "dev-github-secret", "stripe": "whsec_dev_stripe_secret",
		"app": "whsec_aG9va2Zsb3ctZGV2LWFwcC1zZWNyZXQtMDEyMzQ1Njc4OQ==", "slack": "dev-slack-signing-secret", "shopify": "dev-shopify-secret"} {
		got, err := c.Sources[name].ResolvedSecrets()
		if err != nil || got[0] != want {
			t.Errorf("%s secret = %v, %v; the README documents %s", name, got, err, want)
		}
	}
}

func TestErrorsNameTheField(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown key":      {minimal + "\nhttp:\n  adress: x\n", "adress"},
		"unknown provider": {"sources:\n  x:\n    provider: gitlab\n    secrets: [abcdefghijklmnop]\n", "sources.x.provider"},
		"no secret":        {"sources:\n  x:\n    provider: github\n", "sources.x.secrets"},
		"unset env":        {"sources:\n  x:\n    provider: github\n    secrets: [{env: HOOKFLOW_TEST_SURELY_UNSET}]\n", "sources.x.secrets[0]: environment variable HOOKFLOW_TEST_SURELY_UNSET is not set"},
		"bad locator":      {"sources:\n  x:\n    provider: generic\n    scheme: bearer\n    event_id: body:id\n    event_type: json:type\n    secrets: [abcdefghijklmnop]\n", "sources.x.event_id"},
		"bad size":         {minimal + "payloads:\n  inline_limit: lots\n", "invalid size"},
		"inline too big":   {minimal + "payloads:\n  inline_limit: 4MiB\n", "payloads.inline_limit"},
		"bad name":         {"sources:\n  Bad/Name:\n    provider: github\n    secrets: [abcdefghijklmnop]\n", "sources.Bad/Name"},
		"no sources":       {"http:\n  addr: 127.0.0.1:1\n", "sources"},
		"bad log level":    {minimal + "log:\n  level: verbose\n", "log.level"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestEnvOverridesAndSecretsFromEnv(t *testing.T) {
	t.Setenv("HOOKFLOW_CLICKHOUSE_ADDR", "ch.internal:9000")
	t.Setenv("HOOKFLOW_TEST_GH", "from-the-environment")
	c, err := Parse([]byte("sources:\n  github:\n    provider: github\n    secrets: [{env: HOOKFLOW_TEST_GH, value: fallback-secret}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHouse.Addr != "ch.internal:9000" {
		t.Errorf("override ignored: %s", c.ClickHouse.Addr)
	}
	if got, _ := c.Sources["github"].ResolvedSecrets(); got[0] != "from-the-environment" {
		t.Errorf("secret = %q", got[0])
	}
	if s := (Secret{Value: "hush"}).String(); strings.Contains(s, "hush") {
		t.Error("a Secret prints its value")
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1048576": 1 << 20, "512KiB": 512 << 10, "25MiB": 25 << 20, "1GB": 1e9, "10 KB": 10e3} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q → %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestSourceIngressSettings(t *testing.T) {
	c, err := Parse([]byte(`
sources:
  slack:
    provider: slack
    secrets: [dev-slack-signing-secret]
    fallback_id: sha256
    rate_limit: {per_second: 20, burst: 40}
  hashed:
    provider: generic
    scheme: bearer
    secrets: [a-long-enough-token]
    fallback_id: sha256
    event_type: const:batch
    content_types: [application/json, text/csv]
`))
	if err != nil {
		t.Fatal(err)
	}
	sl := c.Sources["slack"]
	if sl.EventID != "json:event_id | json:trigger_id" || len(sl.ContentTypes) != 2 || sl.RateLimit != (RateLimit{20, 40}) {
		t.Fatalf("slack preset/settings not applied: %+v", sl)
	}
	if h := c.Sources["hashed"]; h.EventID != "" || h.FallbackID != "sha256" || len(h.ContentTypes) != 2 {
		t.Fatalf("generic source with a fallback id: %+v", h)
	}
	if gh, _ := Parse([]byte(minimal)); len(gh.Sources["github"].ContentTypes) != 2 {
		t.Fatalf("github accepts JSON and form by default: %v", gh.Sources["github"].ContentTypes)
	}
	for name, c := range map[string]struct{ source, want string }{
		"bad fallback":         {"fallback_id: md5", "sources.x.fallback_id"},
		"no id, no fallback":   {"event_type: json:type", "sources.x.event_id"},
		"bad alternative":      {"event_id: json:id | body:id\n    event_type: json:type", "sources.x.event_id"},
		"empty alternative":    {"event_id: json:id |\n    event_type: json:type", "sources.x.event_id"},
		"media type params":    {"event_id: json:id\n    event_type: json:type\n    content_types: [application/json; charset=utf-8]", "sources.x.content_types[0]"},
		"not a media type":     {"event_id: json:id\n    event_type: json:type\n    content_types: [json]", "sources.x.content_types[0]"},
		"negative rate":        {"event_id: json:id\n    event_type: json:type\n    rate_limit: {per_second: -1}", "sources.x.rate_limit"},
		"burst without a rate": {"event_id: json:id\n    event_type: json:type\n    rate_limit: {burst: 5}", "sources.x.rate_limit.per_second"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte("sources:\n  x:\n    provider: generic\n    scheme: bearer\n    secrets: [abcdefghijklmnop]\n    " + c.source + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}
