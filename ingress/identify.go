package ingress

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/ingress/body"
)

// locator says where a delivery carries a value. Sources configure one as
// "header:X-GitHub-Delivery", "json:event.type", "form:trigger_id" or
// "const:slash_command", or as alternatives "json:event_id | json:trigger_id"
// tried in order, the first non-empty value winning.
//
// "json:" reads the body's document (envelope.Document): the JSON body, or for
// a form-encoded body the JSON in its "payload" field, else its fields. "form:"
// reads a raw field of a form-encoded body. Neither reads a body of the other
// kind, so text inside a JSON string can never pose as a form field.
type locator []locatorPart

type locatorPart struct {
	kind string // header, json, form, const
	arg  string
	path []string // json only
}

func parseLocator(s string) (locator, error) {
	var l locator
	for alt := range strings.SplitSeq(s, "|") {
		alt = strings.TrimSpace(alt)
		kind, arg, ok := strings.Cut(alt, ":")
		if !ok || arg == "" {
			return nil, fmt.Errorf("invalid locator %q", alt)
		}
		p := locatorPart{kind: kind, arg: arg}
		switch kind {
		case "header":
			p.arg = http.CanonicalHeaderKey(arg)
		case "form", "const":
		case "json":
			p.path = strings.Split(arg, ".")
		default:
			return nil, fmt.Errorf("invalid locator kind %q", kind)
		}
		l = append(l, p)
	}
	return l, nil
}

func (l locator) String() string {
	parts := make([]string, len(l))
	for i, p := range l {
		parts[i] = p.kind + ":" + p.arg
	}
	return strings.Join(parts, " | ")
}

// delivery is the verified request as the locators read it. The body's
// document is decoded at most once, lazily, and only after the signature
// verified.
type delivery struct {
	header      http.Header
	body        []byte
	contentType string

	doc     any
	decoded bool
}

func (d *delivery) document() any {
	if !d.decoded {
		d.decoded = true
		d.doc, _ = envelope.Document(d.contentType, d.body) // undecodable: every json: locator finds nothing
	}
	return d.doc
}

// lookup returns the first value l finds, or "".
func (d *delivery) lookup(l locator) string {
	for _, p := range l {
		if v := d.lookupPart(p); v != "" {
			return v
		}
	}
	return ""
}

func (d *delivery) lookupPart(p locatorPart) string {
	switch p.kind {
	case "header":
		return d.header.Get(p.arg)
	case "const":
		return p.arg
	case "form":
		if !envelope.IsForm(d.contentType) {
			return ""
		}
		v, _ := body.FormValue(d.body, p.arg) // absent or ambiguous: nothing
		return v
	case "json":
		cur := d.document()
		for _, key := range p.path {
			m, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			cur = m[key]
		}
		switch v := cur.(type) {
		case string:
			return v
		case json.Number:
			return v.String() // exact: 64-bit ids survive
		}
	}
	return ""
}

// validEventID keeps ids usable inside a workflow ID and a ClickHouse key.
func validEventID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("is empty")
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("is blank")
	case len(id) > 200:
		return fmt.Errorf("is longer than 200 bytes")
	case !utf8.ValidString(id):
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("contains control or invalid characters")
		}
	}
	return nil
}

// cleanEventType cleans the delivery's type for search attributes and storage: a
// type that is missing or unusable (too long, control characters) is "unknown".
func cleanEventType(t string) string {
	if t == "" || validEventID(t) != nil {
		return "unknown"
	}
	return t
}

// handshake answers a provider's endpoint check instead of starting a
// workflow. It runs only after the signature verified. handled false means
// the delivery is an ordinary event; err means a malformed check (400).
type handshake func(d *delivery) (answer any, handled bool, err error)

// slackURLVerification answers Slack's url_verification: Slack posts
// {"type":"url_verification","challenge":…} when an Events API request URL is
// saved, and expects the challenge back with a 200.
func slackURLVerification(d *delivery) (any, bool, error) {
	m, ok := d.document().(map[string]any)
	if !ok || m["type"] != "url_verification" {
		return nil, false, nil
	}
	challenge, ok := m["challenge"].(string)
	if !ok || challenge == "" {
		return nil, true, fmt.Errorf("url_verification has no challenge")
	}
	return map[string]string{"challenge": challenge}, true, nil
}
