package ingress

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// locator says where a delivery carries a value: a header, a JSON body path
// or a form field. Sources configure them as "header:X-GitHub-Delivery",
// "json:id", "json:event.type", "form:trigger_id".
type locator struct {
	kind string
	arg  string
	path []string
}

func parseLocator(s string) (locator, error) {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" {
		return locator{}, fmt.Errorf("invalid locator %q", s)
	}
	l := locator{kind: kind, arg: arg}
	switch kind {
	case "header", "form":
	case "json":
		l.path = strings.Split(arg, ".")
	default:
		return locator{}, fmt.Errorf("invalid locator kind %q", kind)
	}
	return l, nil
}

func (l locator) String() string { return l.kind + ":" + l.arg }

// delivery is the verified request as the locators read it. The JSON body is
// decoded at most once, lazily, and only after the signature verified.
type delivery struct {
	header http.Header
	body   []byte
	json   map[string]any
	form   url.Values
	parsed bool
}

func (d *delivery) lookup(l locator) string {
	switch l.kind {
	case "header":
		return d.header.Get(l.arg)
	case "form":
		if d.form == nil {
			d.form, _ = url.ParseQuery(string(d.body))
		}
		return d.form.Get(l.arg)
	case "json":
		if !d.parsed {
			d.parsed = true
			_ = json.Unmarshal(d.body, &d.json)
		}
		var cur any = d.json
		for _, key := range l.path {
			m, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			cur = m[key]
		}
		switch v := cur.(type) {
		case string:
			return v
		case float64:
			return strings.TrimSuffix(fmt.Sprintf("%.0f", v), ".0")
		}
	}
	return ""
}

// validEventID keeps ids usable inside a workflow ID and a ClickHouse key.
func validEventID(id string) error {
	if id == "" {
		return fmt.Errorf("empty")
	}
	if len(id) > 200 {
		return fmt.Errorf("longer than 200 bytes")
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("contains control or invalid characters")
		}
	}
	return nil
}
