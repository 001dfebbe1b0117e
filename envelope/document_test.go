package envelope

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestDocumentReadsJSONAndBothFormShapes(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		want                    map[string]any
	}{
		{"json", "application/json", `{"id":5823719470214,"type":"x"}`,
			map[string]any{"id": json.Number("5823719470214"), "type": "x"}},
		{"json without a content type", "", `{"a":"b"}`, map[string]any{"a": "b"}},
		{"slash command fields", "application/x-www-form-urlencoded; charset=UTF-8", "command=%2Fdeploy&text=&trigger_id=1.2.3",
			map[string]any{"command": "/deploy", "text": "", "trigger_id": "1.2.3"}},
		{"interactivity payload", "Application/X-WWW-Form-Urlencoded", "payload=" + url.QueryEscape(`{"type":"block_actions","n":1}`),
			map[string]any{"type": "block_actions", "n": json.Number("1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Document(c.contentType, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(c.want)
			if !bytes.Equal(gb, wb) {
				t.Fatalf("got %s, want %s", gb, wb)
			}
		})
	}
}

func TestDocumentRefusesWhatIsAmbiguousOrBroken(t *testing.T) {
	for name, c := range map[string]struct{ contentType, body, want string }{
		"trailing data":     {"application/json", `{"a":1} {"b":2}`, "after the top-level value"},
		"not json":          {"application/json", `{"a":`, "not valid JSON"},
		"repeated field":    {FormMediaType, "trigger_id=a&trigger_id=b", "more than once"},
		"bad escape":        {FormMediaType, "a=%zz", "malformed"},
		"payload not json":  {FormMediaType, "payload=%7Bnope", `"payload"`},
		"json read as form": {FormMediaType, `{"a":"b&c=%zz"}`, "malformed"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Document(c.contentType, []byte(c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// FuzzDocument: never panics, never changes the body, and a form's fields
// agree with net/url whenever it decodes.
func FuzzDocument(f *testing.F) {
	f.Add(true, []byte("payload=%7B%22type%22%3A%22block_actions%22%7D"))
	f.Add(true, []byte("command=%2Fx&text=a+b&trigger_id=1"))
	f.Add(false, []byte(`{"event_id":"Ev1","event":{"type":"app_mention"}}`))
	f.Add(false, []byte(`[1, 2.5e300, "x"]`))
	f.Fuzz(func(t *testing.T, form bool, body []byte) {
		ct := "application/json"
		if form {
			ct = FormMediaType
		}
		orig := bytes.Clone(body)
		doc, err := Document(ct, body)
		if !bytes.Equal(body, orig) {
			t.Fatal("body modified")
		}
		if err != nil || !form {
			return
		}
		values, perr := url.ParseQuery(string(body))
		if perr != nil {
			t.Fatalf("decoded a form net/url refuses: %v", perr)
		}
		if _, ok := values["payload"]; ok {
			return
		}
		m := doc.(map[string]any)
		if len(m) != len(values) {
			t.Fatalf("%d fields, net/url has %d", len(m), len(values))
		}
		for k, vs := range values {
			if m[k] != vs[0] {
				t.Fatalf("field %q = %v, net/url says %q", k, m[k], vs[0])
			}
		}
	})
}

func TestWorkflowIDIsPrintableASCIIAndOneToOne(t *testing.T) {
	cases := map[string]string{
		"c956aa33-debb-67bc-0c75-257dfea421ef": "github:c956aa33-debb-67bc-0c75-257dfea421ef",
		"evt_ü_1":                              "github:evt_%C3%BC_1",
		"100%":                                 "github:100%25",
		"a\u202eb":                             "github:a%E2%80%AEb",
	}
	seen := map[string]string{}
	for id, want := range cases {
		got := WorkflowID("github", id)
		if got != want {
			t.Errorf("WorkflowID(%q) = %q, want %q", id, got, want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q map to the same workflow ID", id, other)
		}
		seen[got] = id
	}
	// "%C3%BC" sent literally must not collide with "ü".
	if WorkflowID("s", "%C3%BC") == WorkflowID("s", "ü") {
		t.Error("escaped and literal ids collide")
	}
}
