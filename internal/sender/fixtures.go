package sender

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadFixtures reads the sample payloads under dir (testdata/fixtures):
// github/<event>[.<action>...].json, stripe/*.json, app/*.json. Event ids are
// derived from the file's name and bytes, so replaying the same file twice is
// the same event, which is what a provider's redelivery looks like.
func LoadFixtures(dir string) ([]Delivery, error) {
	var out []Delivery
	for _, src := range []struct{ folder, source, provider string }{
		{"github", "github", "github"},
		{"stripe", "stripe", "stripe"},
		{"app", "app", "standard"},
	} {
		files, err := filepath.Glob(filepath.Join(dir, src.folder, "*.json"))
		if err != nil {
			return nil, err
		}
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
			}
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no fixtures under %s", dir)
	}
	return out, nil
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

// WithID returns d as a distinct event with the given id: for GitHub and
// Standard Webhooks the id travels in a header; for Stripe it is in the
// body, whose "id" is rewritten (and so re-signed by Send).
func WithID(d Delivery, id string) Delivery {
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
