package sender

import (
	"strings"
	"testing"
)

// Every sample loads with an id and a type, and the new providers are read
// the way their ingress source reads them.
func TestLoadFixtures(t *testing.T) {
	ds, err := LoadFixtures("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	for _, d := range ds {
		bySource[d.Source]++
		if d.EventType == "" || (d.EventID == "" && !d.IsHandshake()) {
			t.Errorf("%s: id %q type %q", d.Name, d.EventID, d.EventType)
		}
	}
	for _, src := range []string{"github", "stripe", "app", "slack", "shopify"} {
		if bySource[src] == 0 {
			t.Errorf("no %s samples", src)
		}
	}
	want := map[string][3]string{ // name → id, type, content type
		"slack/event_callback.app_mention.shared_channel.json":  {"Ev01FC50TXB6", "app_mention", "application/json"},
		"slack/slash_command.docs_example.form-urlencoded.txt":  {"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", "slash_command", "application/x-www-form-urlencoded"},
		"slack/interactivity.block_actions.form-urlencoded.txt": {"8123456789012.47445629121.6f1e2d3c4b5a69788796a5b4c3d2e1f0", "block_actions", "application/x-www-form-urlencoded"},
		"slack/url_verification.json":                           {"", "url_verification", "application/json"},
		"shopify/orders.create.json":                            {"", "orders/create", "application/json"},
	}
	for _, d := range ds {
		w, ok := want[d.Name]
		if !ok {
			continue
		}
		delete(want, d.Name)
		if (w[0] != "" && d.EventID != w[0]) || d.EventType != w[1] || d.ContentType != w[2] {
			t.Errorf("%s: id %q type %q content type %q; want %v", d.Name, d.EventID, d.EventType, d.ContentType, w)
		}
	}
	if len(want) != 0 {
		t.Errorf("samples not loaded: %v", want)
	}
}

// WithID on a Slack sample changes only the id's bytes.
func TestWithIDRewritesSlackIDInPlace(t *testing.T) {
	ds, err := LoadFixtures("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Provider != "slack" || d.IsHandshake() {
			continue
		}
		got := WithID(d, "e2e-0123456789ab")
		if got.EventID != "e2e-0123456789ab" || strings.Replace(string(got.Body), "e2e-0123456789ab", d.EventID, 1) != string(d.Body) {
			t.Errorf("%s: body not rewritten in place", d.Name)
		}
		if id, _, _ := slackIdentity(got.ContentType, got.Body); id != got.EventID {
			t.Errorf("%s: rewritten body identifies as %q", d.Name, id)
		}
	}
}
