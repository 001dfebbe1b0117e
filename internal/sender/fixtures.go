package sender

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hookflow/hookflow/envelope"
)

// LoadFixtures reads the sample payloads under dir (testdata/fixtures):
// github/<event>[.<action>...].json, stripe/*.json, app/*.json, slack/*.json
// and slack/*.txt (form-encoded), shopify/<resource>.<action>.json. Event ids
// are derived from the file's name and bytes (or read from the body where the
// provider puts them there), so replaying the same file twice is the same
// event, which is what a provider's redelivery looks like.
func LoadFixtures(dir string) ([]Delivery, error) {
	var out []Delivery
	for _, src := range []struct{ folder, source, provider string }{
		{"github", "github", "github"},
		{"stripe", "stripe", "stripe"},
		{"app", "app", "standard"},
		{"slack", "slack", "slack"},
		{"shopify", "shopify", "shopify"},
	} {
		files, err := filepath.Glob(filepath.Join(dir, src.folder, "*.json"))
		if err != nil {
			return nil, err
		}
		forms, _ := filepath.Glob(filepath.Join(dir, src.folder, "*.txt"))
		files = append(files, forms...)
		sort.Strings(files)
		for _, f := range files {
			body, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			d := Delivery{Source: src.source, Provider: src.provider, Body: body,
				ContentType: "application/json", Name: src.folder + "/" + filepath.Base(f)}
			switch src.provider {
			case "github":
				d.EventType, _, _ = strings.Cut(filepath.Base(f), ".")
				d.EventID = StableUUID(d.Name, body)
			case "stripe", "standard":
				var head struct{ ID, Type string }
				if err := json.Unmarshal(body, &head); err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
				d.EventID, d.EventType = head.ID, head.Type
				if src.provider == "standard" {
					d.EventID = "msg_" + StableUUID(d.Name, body)[:23]
				}
			case "slack":
				if strings.HasSuffix(f, ".txt") {
					d.ContentType = envelope.FormMediaType
				}
				d.EventID, d.EventType, err = slackIdentity(d.ContentType, body)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
			case "shopify":
				topic := strings.TrimSuffix(filepath.Base(f), ".json")
				d.EventType = strings.Replace(topic, ".", "/", 1)
				d.EventID = StableUUID(d.Name, body)
			}
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no fixtures under %s", dir)
	}
	return out, nil
}

// slackIdentity reads a Slack body as hookflow's slack provider does: the
// Events API event_id, else the interaction's trigger_id; the inner event's
// type, else the interaction's, else a slash command. A url_verification has
// no id.
func slackIdentity(contentType string, body []byte) (id, typ string, err error) {
	doc, err := envelope.Document(contentType, body)
	if err != nil {
		return "", "", err
	}
	m, _ := doc.(map[string]any)
	str := func(v any) string { s, _ := v.(string); return s }
	event, _ := m["event"].(map[string]any)
	id = str(m["event_id"])
	if id == "" {
		id = str(m["trigger_id"])
	}
	switch typ = str(event["type"]); {
	case typ != "":
	case str(m["type"]) != "":
		typ = str(m["type"])
	default:
		typ = "slash_command"
	}
	return id, typ, nil
}

// IsHandshake reports whether d is a provider's endpoint check (Slack's
// url_verification), answered with 200 and never an event.
func (d Delivery) IsHandshake() bool {
	return d.Provider == "slack" && d.EventType == "url_verification"
}

// StableUUID derives a UUID-shaped id (like GitHub's X-GitHub-Delivery)
// from a name and content.
func StableUUID(name string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(content)
	s := hex.EncodeToString(h.Sum(nil))
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// WithID returns d as a distinct event with the given id: for GitHub,
// Shopify and Standard Webhooks the id travels in a header; for Stripe it is
// in the body, whose "id" is rewritten (and so re-signed by Send); for Slack
// the body's one occurrence of the old id (event_id or trigger_id) is
// replaced in place, keeping the rest of the bytes as they were. id should
// be URL-safe (letters, digits, '-', '_', '.').
func WithID(d Delivery, id string) Delivery {
	if d.Provider == "slack" && d.EventID != "" && bytes.Count(d.Body, []byte(d.EventID)) == 1 {
		d.Body = bytes.Replace(d.Body, []byte(d.EventID), []byte(id), 1)
	}
	d.EventID = id
	if d.Provider == "stripe" {
		var m map[string]json.RawMessage
		if json.Unmarshal(d.Body, &m) == nil {
			q, _ := json.Marshal(id)
			m["id"] = q
			if b, err := json.Marshal(m); err == nil {
				d.Body = b
			}
		}
	}
	return d
}
