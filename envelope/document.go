package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
)

// FormMediaType is the media type of form-encoded bodies (Slack slash commands
// and interactivity, GitHub hooks set to "application/x-www-form-urlencoded").
const FormMediaType = "application/x-www-form-urlencoded"

// IsForm reports whether a Content-Type value (parameters allowed) is form-encoded.
func IsForm(contentType string) bool {
	typ, _, _ := strings.Cut(contentType, ";")
	mt, _, err := mime.ParseMediaType(typ)
	return err == nil && mt == FormMediaType
}

// Document is the one way every step reads a payload's fields, so that the
// ingress locators (json:<path>) and the normalizers see the same thing:
//
//   - a JSON body is decoded as is (numbers kept exact as json.Number);
//   - a form-encoded body with a "payload" field is that field's JSON (Slack
//     interactivity, GitHub's form delivery);
//   - any other form-encoded body is its fields as an object of strings
//     (Slack slash commands).
//
// The body is never changed: signatures are checked over it before, and the
// exact bytes are what is stored. A form that repeats a field is an error,
// since which copy counts would be ambiguous.
func Document(contentType string, body []byte) (any, error) {
	if !IsForm(contentType) {
		return decodeJSON(body)
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("form body is malformed: %w", err)
	}
	for k, vs := range values {
		if len(vs) > 1 {
			return nil, fmt.Errorf("form field %.64q appears more than once", k)
		}
	}
	if p, ok := values["payload"]; ok {
		doc, err := decodeJSON([]byte(p[0]))
		if err != nil {
			return nil, fmt.Errorf("form field \"payload\": %w", err)
		}
		return doc, nil
	}
	obj := make(map[string]any, len(values))
	for k, vs := range values {
		obj[k] = vs[0]
	}
	return obj, nil
}

// decodeJSON decodes exactly one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: data after the top-level value")
	}
	return v, nil
}
