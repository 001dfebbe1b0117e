package body

import (
	"bytes"
	"fmt"
	"net/url"
)

// FormValue returns the decoded value of field key in an
// application/x-www-form-urlencoded body: Slack's slash commands, and the
// "payload=<JSON>" of its interactivity requests. It reads body without
// changing it (the same bytes are the ones the signature was checked over),
// and parses strictly, as net/url does: a malformed escape or a raw ';' in a
// pair is ErrMalformed. A field that appears more than once is ErrMalformed
// too, since which copy a consumer would pick is ambiguous; a field that is
// absent is ErrNoField. A field with no '=' has the empty value.
func FormValue(body []byte, key string) (string, error) {
	var (
		value string
		found bool
	)
	for rest := body; len(rest) > 0; {
		var pair []byte
		pair, rest, _ = bytes.Cut(rest, []byte("&"))
		if len(pair) == 0 {
			continue
		}
		if bytes.IndexByte(pair, ';') >= 0 {
			return "", fmt.Errorf("%w: form has a ';' separator", ErrMalformed)
		}
		rawKey, rawValue, _ := bytes.Cut(pair, []byte("="))
		k, err := url.QueryUnescape(string(rawKey))
		if err != nil {
			return "", fmt.Errorf("%w: form field name is badly escaped", ErrMalformed)
		}
		if k != key {
			continue
		}
		if found {
			return "", fmt.Errorf("%w: form field %.64q appears more than once", ErrMalformed, key)
		}
		if value, err = url.QueryUnescape(string(rawValue)); err != nil {
			return "", fmt.Errorf("%w: form field %.64q is badly escaped", ErrMalformed, key)
		}
		found = true
	}
	if !found {
		return "", fmt.Errorf("%w: %.64q", ErrNoField, key)
	}
	return value, nil
}
