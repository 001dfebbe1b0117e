package body

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

func TestFormValueSlashCommand(t *testing.T) {
	// Slack's documented signing example (see testdata/SOURCES.md).
	body, err := os.ReadFile(filepath.Join("testdata", "slack_docs_slash_command.body"))
	if err != nil {
		t.Fatal(err)
	}
	orig := bytes.Clone(body)
	want := map[string]string{
		"token":        "xyzz0WbapA4vBCDEFasx0q6G",
		"command":      "/webhook-collect",
		"text":         "",
		"response_url": "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
		"trigger_id":   "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
	}
	for k, v := range want {
		got, err := FormValue(body, k)
		if err != nil || got != v {
			t.Errorf("FormValue(%q) = %q, %v; want %q", k, got, err, v)
		}
	}
	if _, err := FormValue(body, "payload"); !errors.Is(err, ErrNoField) {
		t.Errorf("payload: %v", err)
	}
	if !bytes.Equal(body, orig) {
		t.Fatal("FormValue changed the body")
	}
}

func TestFormValueInteractivityPayload(t *testing.T) {
	payload := `{"type":"block_actions","user":{"id":"U2CERLKJA"},"actions":[{"value":"a+b & c=d; 100%"}]}`
	body := []byte("payload=" + url.QueryEscape(payload))
	orig := bytes.Clone(body)
	got, err := FormValue(body, "payload")
	if err != nil || got != payload {
		t.Fatalf("got %q, %v", got, err)
	}
	if !bytes.Equal(body, orig) {
		t.Fatal("FormValue changed the body")
	}
}

func TestFormValueEdges(t *testing.T) {
	cases := []struct {
		body, key, want string
		err             error
	}{
		{"a=1&b=2", "b", "2", nil},
		{"a=1&&b=2&", "b", "2", nil},
		{"a+b=c+d", "a b", "c d", nil},
		{"a%20b=c%2Bd", "a b", "c+d", nil},
		{"flag&x=1", "flag", "", nil},
		{"x==1", "x", "=1", nil},
		{"", "a", "", ErrNoField},
		{"a=1", "A", "", ErrNoField},
		{"a=1&a=2", "a", "", ErrMalformed},
		{"a=%zz", "a", "", ErrMalformed},
		{"a=%zz&b=1", "b", "1", nil}, // a bad value elsewhere is not this field's problem
		{"%zz=1&b=1", "b", "", ErrMalformed},
		{"a=1;b=2", "b", "", ErrMalformed},
	}
	for _, c := range cases {
		got, err := FormValue([]byte(c.body), c.key)
		if c.err == nil && (err != nil || got != c.want) {
			t.Errorf("FormValue(%q, %q) = %q, %v; want %q", c.body, c.key, got, err, c.want)
		}
		if c.err != nil && !errors.Is(err, c.err) {
			t.Errorf("FormValue(%q, %q) = %q, %v; want %v", c.body, c.key, got, err, c.err)
		}
	}
}
