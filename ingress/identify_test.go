package ingress

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/config"
)

func mustLocator(t testing.TB, s string) locator {
	t.Helper()
	l, err := parseLocator(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocatorsReadTheRightPartOfTheDelivery(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	slackID := config.Providers["slack"].EventID
	slackType := config.Providers["slack"].EventType
	cases := []struct {
		name, loc, contentType, body string
		header                       http.Header
		want                         string
	}{
		{"header, any case", "header:x-shopify-topic", "application/json", `{}`, http.Header{"X-Shopify-Topic": {"orders/create"}}, "orders/create"},
		{"json path", "json:event.type", "application/json", `{"event":{"type":"app_mention"}}`, nil, "app_mention"},
		{"json number stays exact", "json:id", "application/json; charset=utf-8", `{"id":820982911946154508}`, nil, "820982911946154508"},
		{"json object is not a value", "json:event", "application/json", `{"event":{"type":"x"}}`, nil, ""},
		{"form field", "form:trigger_id", form, "command=%2Fx&trigger_id=1.2.3", nil, "1.2.3"},
		{"form field of a JSON body is never read", "form:trigger_id", "application/json", `{"text":"&trigger_id=forged&"}`, nil, ""},
		{"repeated form field is nothing", "form:trigger_id", form, "trigger_id=a&trigger_id=b", nil, ""},
		{"first alternative found wins", "json:missing | json:b | const:c", "application/json", `{"b":"B"}`, nil, "B"},
		{"const is the last resort", "json:missing | const:slash_command", "application/json", `{}`, nil, "slash_command"},
		{"slack event callback id", slackID, "application/json", `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`, nil, "Ev1"},
		{"slack slash command id", slackID, form + "; charset=utf-8", "command=%2Fx&trigger_id=9.8.7", nil, "9.8.7"},
		{"slack interactivity id", slackID, form, "payload=" + url.QueryEscape(`{"type":"block_actions","trigger_id":"5.6.7"}`), nil, "5.6.7"},
		{"slack event type", slackType, "application/json", `{"type":"event_callback","event":{"type":"member_left_channel"}}`, nil, "member_left_channel"},
		{"slack interaction type", slackType, form, "payload=" + url.QueryEscape(`{"type":"view_submission"}`), nil, "view_submission"},
		{"slack slash command type", slackType, form, "command=%2Fx", nil, "slash_command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &delivery{header: c.header, body: []byte(c.body), contentType: c.contentType}
			if d.header == nil {
				d.header = http.Header{}
			}
			if got := d.lookup(mustLocator(t, c.loc)); got != c.want {
				t.Fatalf("%s → %q, want %q", c.loc, got, c.want)
			}
		})
	}
}

func TestSlackHandshakeNeedsItsChallenge(t *testing.T) {
	d := &delivery{contentType: "application/json", body: []byte(`{"token":"t","challenge":"abc","type":"url_verification"}`)}
	answer, handled, err := slackURLVerification(d)
	if !handled || err != nil || answer.(map[string]string)["challenge"] != "abc" {
		t.Fatalf("answer %v handled %v err %v", answer, handled, err)
	}
	if _, handled, err := slackURLVerification(&delivery{contentType: "application/json", body: []byte(`{"type":"url_verification"}`)}); !handled || err == nil {
		t.Fatal("a url_verification without a challenge must be refused")
	}
	if _, handled, _ := slackURLVerification(&delivery{contentType: "application/json", body: []byte(`{"type":"event_callback"}`)}); handled {
		t.Fatal("an event was taken for a handshake")
	}
}

func TestMediaTypeCheck(t *testing.T) {
	src := &source{accepts: []string{"application/json", "application/x-www-form-urlencoded"}}
	for ct, ok := range map[string]bool{
		"application/json": true, "Application/JSON; charset=UTF-8": true, "application/x-www-form-urlencoded;charset=utf-8": true,
		"": false, "text/plain": false, "application/json-seq": false, ";": false,
	} {
		if err := src.checkMediaType(ct); (err == nil) != ok {
			t.Errorf("%q: err %v, want accepted=%v", ct, err, ok)
		}
	}
	if err := (&source{}).checkMediaType(""); err != nil {
		t.Errorf("a source without a list must accept anything: %v", err)
	}
}

func TestRateLimitRetryAfterIsWholeSecondsAndTokensAreNotLost(t *testing.T) {
	srcs, err := compileSources(map[string]config.Source{"x": {Provider: "generic", Scheme: "bearer",
		Secrets: []config.Secret{{Value: "a-token-of-some-length"}}, EventID: "header:X-Id", EventType: "const:t",
		RateLimit: config.RateLimit{PerSecond: 0.5, Burst: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	src, now := srcs["x"], time.Unix(1_700_000_000, 0)
	for i := range 2 {
		if ok, _ := src.admit(now); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	for range 3 { // refusals give their reservation back: the wait does not grow
		ok, wait := src.admit(now)
		if ok || wait != 2*time.Second {
			t.Fatalf("admitted %v, Retry-After %v; want refused, 2s", ok, wait)
		}
	}
	if ok, _ := src.admit(now.Add(2 * time.Second)); !ok {
		t.Fatal("refused after the advertised Retry-After")
	}
	if !strings.Contains(src.rateDetail(2*time.Second), "0.5 deliveries per second (burst 2)") {
		t.Fatalf("detail %q", src.rateDetail(2*time.Second))
	}
}

// FuzzLocator: any configured locator and any body, read as JSON or as a
// form, never panics and never returns more than the body or header holds.
func FuzzLocator(f *testing.F) {
	f.Add("json:event_id | json:trigger_id", false, []byte(`{"event_id":"Ev1"}`))
	f.Add("form:trigger_id", true, []byte("trigger_id=1&trigger_id=2"))
	f.Add("json:a.b | const:x", true, []byte("payload=%7B%22a%22%3A%5B%5D%7D"))
	f.Add("header:X-Id", false, []byte(``))
	f.Fuzz(func(t *testing.T, loc string, form bool, body []byte) {
		l, err := parseLocator(loc)
		if err != nil {
			return
		}
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded"
		}
		d := &delivery{header: http.Header{"X-Id": {"h"}}, body: body, contentType: ct}
		got := d.lookup(l)
		if len(got) > len(body)+len(loc)+1 {
			t.Fatalf("%q: value of %d bytes from a %d-byte body", loc, len(got), len(body))
		}
	})
}
