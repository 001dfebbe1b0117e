package activities

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// doc wraps a decoded JSON document (maps, slices, json.Number, string, bool,
// nil) with lenient getters: a missing or mistyped field reads as zero, since
// the contract has already rejected payloads that lack what is required.
type doc struct{ v any }

// at follows a dotted path ("data.object.customer"); a numeric segment
// indexes an array ("items.data.0.price").
func (d doc) at(path string) doc {
	cur := d.v
	for _, key := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(v) {
				return doc{}
			}
			cur = v[i]
		default:
			return doc{}
		}
	}
	return doc{cur}
}

// str returns a string, or a number/bool rendered as text, else "".
func (d doc) str() string {
	switch v := d.v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// num returns a number (or numeric string) and whether there was one.
func (d doc) num() (float64, bool) {
	switch v := d.v.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// unix reads seconds since the epoch as a time.
func (d doc) unix() (time.Time, bool) {
	f, ok := d.num()
	if !ok || f <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// first returns the first non-empty string among paths.
func (d doc) first(paths ...string) string {
	for _, p := range paths {
		if s := d.at(p).str(); s != "" {
			return s
		}
	}
	return ""
}

// time reads an RFC 3339 string or unix seconds.
func (d doc) time() (time.Time, bool) {
	if s, ok := d.v.(string); ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		return t.UTC(), err == nil
	}
	return d.unix()
}

// firstTime returns the first readable time among paths.
func (d doc) firstTime(paths ...string) (time.Time, bool) {
	for _, p := range paths {
		if t, ok := d.at(p).time(); ok {
			return t, true
		}
	}
	return time.Time{}, false
}
