package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
)

const internalToken = "internal-token-current-0123"

// answerSources adds the sources the answers test needs next to the dev ones.
func answerSources(cfg *config.Config) {
	for name, s := range map[string]config.Source{
		// One token per 50 s after a burst of 2: deterministic on any machine.
		"limited": {Provider: "generic", Scheme: "bearer", EventID: "header:X-Request-Id", EventType: "json:type",
			RateLimit: config.RateLimit{PerSecond: 0.02, Burst: 2}},
		"tiny": {Provider: "generic", Scheme: "bearer", EventID: "header:X-Request-Id", EventType: "json:type",
			MaxBody: 1024, ContentTypes: []string{"application/json"}},
	} {
		s.Secrets = secrets(internalToken)
		if err := addSource(cfg, name, s); err != nil {
			panic(err)
		}
	}
}

type answer struct {
	sender.Response
	header http.Header
}

// postRaw posts body to source with exactly the given headers.
func (s *stack) postRaw(t *testing.T, source string, body []byte, header http.Header) answer {
	t.Helper()
	req := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/"+source, bytes.NewReader(body))
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{sender.Response{Status: resp.StatusCode, Body: b}, resp.Header}
}

// signed returns the headers d's provider sends, signed with the dev secret.
func (s *stack) signed(t *testing.T, d sender.Delivery, contentType string) http.Header {
	t.Helper()
	h := http.Header{}
	h.Set("Content-Type", contentType)
	if err := sender.Sign(h, d, s.send.Secrets[d.Source], time.Now()); err != nil {
		t.Fatal(err)
	}
	return h
}

func bearer(id string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+internalToken)
	h.Set("X-Request-Id", id)
	return h
}

func problemOf(t *testing.T, a answer, status int, typ, reason string) {
	t.Helper()
	assertProblem(t, a.Response, status, typ)
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var p struct{ Reason string }
	_ = json.Unmarshal(a.Body, &p)
	if reason != "" && p.Reason != reason {
		t.Fatalf("reason %q, want %q: %s", p.Reason, reason, a.Body)
	}
}

func (s *stack) assertNoWorkflow(t *testing.T, workflowID string) {
	t.Helper()
	_, err := s.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("%s: a refused delivery has a workflow (err=%v)", workflowID, err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every answer the ingress gives besides the signature checks, through the
// real endpoint: Slack's url_verification, media types and charsets, gzip,
// 413, 415, 429 with Retry-After, 400 without an id, the fallback id, and
// the per-source, per-reason metrics they leave.
func TestIngressAnswers(t *testing.T) {
	s := startHookflow(t, answerSources)
	accepted := 0

	t.Run("slack url_verification is answered only when signed, and starts nothing", func(t *testing.T) {
		d := sample(t, "slack/url_verification.json")
		var want struct{ Challenge string }
		if err := json.Unmarshal(d.Body, &want); err != nil || want.Challenge == "" {
			t.Fatalf("fixture has no challenge: %v", err)
		}
		a := s.postRaw(t, "slack", d.Body, s.signed(t, d, "application/json"))
		var got struct{ Challenge string }
		if a.Status != http.StatusOK || json.Unmarshal(a.Body, &got) != nil || got.Challenge != want.Challenge {
			t.Fatalf("answer %d %s, want 200 with challenge %s", a.Status, a.Body, want.Challenge)
		}
		// The handshake has no id; had it been taken for an event, the
		// fallback id would have named its workflow.
		sum := sha256.Sum256(d.Body)
		s.assertNoWorkflow(t, "slack:sha256-"+hex.EncodeToString(sum[:]))

		unsigned := http.Header{"Content-Type": {"application/json"}}
		forged := s.signed(t, d, "application/json")
		forged.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
		stale := http.Header{"Content-Type": {"application/json"}}
		if err := sender.Sign(stale, d, "dev-slack-signing-secret", time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		for name, h := range map[string]http.Header{"unsigned": unsigned, "forged": forged, "stale": stale} {
			a := s.postRaw(t, "slack", d.Body, h)
			problemOf(t, a, http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature", "")
			if strings.Contains(string(a.Body), want.Challenge) {
				t.Fatalf("%s: the challenge was echoed without a valid signature", name)
			}
		}

		noChallenge := d
		noChallenge.Body = []byte(`{"token":"x","type":"url_verification"}`)
		problemOf(t, s.postRaw(t, "slack", noChallenge.Body, s.signed(t, noChallenge, "application/json")),
			http.StatusBadRequest, "urn:hookflow:problem:malformed-request", "malformed_handshake")
	})

	t.Run("content types: parameters and case tolerated, others 415", func(t *testing.T) {
		form := sender.WithID(sample(t, "slack/slash_command.docs_example.form-urlencoded.txt"), testenv.Unique("e2e-"))
		a := s.postRaw(t, "slack", form.Body, s.signed(t, form, "application/x-www-form-urlencoded; charset=UTF-8"))
		s.waitPayload(t, decodeAck(t, a.Response).WorkflowID, form.Body)
		accepted++

		gh := sender.WithID(sample(t, "github/ping.json"), testenv.Unique("e2e-"))
		a = s.postRaw(t, "github", gh.Body, s.signed(t, gh, "Application/JSON"))
		s.waitPayload(t, decodeAck(t, a.Response).WorkflowID, gh.Body)
		accepted++

		// GitHub hooks set to form delivery send payload=<JSON>: verified over
		// the form bytes, normalized from the JSON inside.
		ghForm := sender.WithID(gh, testenv.Unique("e2e-"))
		ghForm.Body = []byte(url.Values{"payload": {string(gh.Body)}}.Encode())
		a = s.postRaw(t, "github", ghForm.Body, s.signed(t, ghForm, "application/x-www-form-urlencoded"))
		wf := decodeAck(t, a.Response).WorkflowID
		s.waitPayload(t, wf, ghForm.Body)
		accepted++
		if n := s.count(t, "SELECT count() FROM "+s.table("events")+" WHERE workflow_id = ? AND status = 'processed' AND subject = 'Octocoders/Hello-World'", wf); n != 1 {
			t.Fatalf("form-encoded GitHub delivery was not normalized from its payload field")
		}

		for _, ct := range []string{"text/plain", "application/xml", ""} {
			d := sender.WithID(gh, testenv.Unique("e2e-"))
			h := s.signed(t, d, ct)
			if ct == "" {
				h.Del("Content-Type")
			}
			problemOf(t, s.postRaw(t, "github", d.Body, h), http.StatusUnsupportedMediaType,
				"urn:hookflow:problem:unsupported-media-type", "unsupported_media_type")
			s.assertNoWorkflow(t, "github:"+d.EventID)
		}
		// A form body where only JSON is accepted.
		shop := sender.WithID(sample(t, "shopify/orders.create.json"), testenv.Unique("e2e-"))
		problemOf(t, s.postRaw(t, "shopify", shop.Body, s.signed(t, shop, "application/x-www-form-urlencoded")),
			http.StatusUnsupportedMediaType, "urn:hookflow:problem:unsupported-media-type", "unsupported_media_type")
		s.assertNoWorkflow(t, "shopify:"+shop.EventID)
	})

	t.Run("gzip is removed before verification; other encodings 415", func(t *testing.T) {
		d := sender.WithID(sample(t, "slack/interactivity.block_actions.form-urlencoded.txt"), testenv.Unique("e2e-"))
		h := s.signed(t, d, "application/x-www-form-urlencoded")
		h.Set("Content-Encoding", "gzip")
		a := s.postRaw(t, "slack", gzipped(t, d.Body), h)
		s.waitPayload(t, decodeAck(t, a.Response).WorkflowID, d.Body)
		accepted++

		d = sender.WithID(d, testenv.Unique("e2e-"))
		h = s.signed(t, d, "application/x-www-form-urlencoded")
		h.Set("Content-Encoding", "br")
		problemOf(t, s.postRaw(t, "slack", d.Body, h), http.StatusUnsupportedMediaType,
			"urn:hookflow:problem:unsupported-media-type", "unsupported_encoding")
		s.assertNoWorkflow(t, "slack:"+d.EventID)
	})

	t.Run("413 over the source's cap, as sent or once decompressed", func(t *testing.T) {
		id := testenv.Unique("e2e-")
		big := []byte(`{"type":"x","pad":"` + strings.Repeat("x", 4096) + `"}`)
		a := s.postRaw(t, "tiny", big, bearer(id))
		problemOf(t, a, http.StatusRequestEntityTooLarge, "urn:hookflow:problem:payload-too-large", "too_large")
		if !strings.Contains(string(a.Body), "1 KiB") {
			t.Fatalf("detail does not state the limit: %s", a.Body)
		}
		s.assertNoWorkflow(t, "tiny:"+id)

		bomb := gzipped(t, append([]byte(`{"type":"x","pad":"`), make([]byte, 200<<10)...))
		if len(bomb) > 1024 {
			t.Fatalf("test bomb is %d bytes compressed; must fit the cap as sent", len(bomb))
		}
		h := bearer(testenv.Unique("e2e-"))
		h.Set("Content-Encoding", "gzip")
		problemOf(t, s.postRaw(t, "tiny", bomb, h), http.StatusRequestEntityTooLarge, "urn:hookflow:problem:payload-too-large", "too_large")
		s.assertNoWorkflow(t, "tiny:"+h.Get("X-Request-Id"))
	})

	t.Run("429 with Retry-After once the bucket is empty; forged requests take no tokens", func(t *testing.T) {
		body := []byte(`{"type":"export.finished"}`)
		for range 3 {
			h := bearer(testenv.Unique("e2e-"))
			h.Set("Authorization", "Bearer not-the-internal-token")
			problemOf(t, s.postRaw(t, "limited", body, h), http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature", "signature_mismatch")
		}
		for range 2 {
			a := s.postRaw(t, "limited", body, bearer(testenv.Unique("e2e-")))
			s.waitPayload(t, decodeAck(t, a.Response).WorkflowID, body)
			accepted++
		}
		id := testenv.Unique("e2e-")
		a := s.postRaw(t, "limited", body, bearer(id))
		problemOf(t, a, http.StatusTooManyRequests, "urn:hookflow:problem:rate-limited", "rate_limited")
		if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || secs < 1 || secs > 50 {
			t.Fatalf("Retry-After %q, want whole seconds within the 50 s refill", a.header.Get("Retry-After"))
		}
		s.assertNoWorkflow(t, "limited:"+id)
		// Other sources have their own buckets.
		a = s.postRaw(t, "tiny", body, bearer(testenv.Unique("e2e-")))
		s.waitPayload(t, decodeAck(t, a.Response).WorkflowID, body)
		accepted++
	})

	t.Run("400 without an event id, unless the source has a fallback id", func(t *testing.T) {
		shop := sample(t, "shopify/orders.create.json")
		h := s.signed(t, shop, "application/json")
		h.Del("X-Shopify-Webhook-Id")
		problemOf(t, s.postRaw(t, "shopify", shop.Body, h), http.StatusBadRequest, "urn:hookflow:problem:missing-event-id", "missing_event_id")

		// A Slack interaction without a trigger_id (view_closed): the dev
		// slack source identifies it by the SHA-256 of its body, so the same
		// body again is the same event.
		payload := `{"type":"view_closed","team":{"id":"T1DC2JH3J","domain":"testteamnow"},"user":{"id":"U2CERLKJA","team_id":"T1DC2JH3J"},` +
			`"view":{"id":"V` + testenv.Unique("") + `","callback_id":"retention_offer","type":"modal"},"is_cleared":false}`
		d := sender.Delivery{Source: "slack", Provider: "slack", Body: []byte(url.Values{"payload": {payload}}.Encode())}
		first := decodeAck(t, s.postRaw(t, "slack", d.Body, s.signed(t, d, "application/x-www-form-urlencoded")).Response)
		sum := sha256.Sum256(d.Body)
		if want := "sha256-" + hex.EncodeToString(sum[:]); first.EventID != want || first.Duplicate {
			t.Fatalf("ack %+v, want new event %s", first, want)
		}
		again := decodeAck(t, s.postRaw(t, "slack", d.Body, s.signed(t, d, "application/x-www-form-urlencoded")).Response)
		if !again.Duplicate || again.WorkflowID != first.WorkflowID {
			t.Fatalf("identical body: %+v, want a duplicate of %s", again, first.WorkflowID)
		}
		s.waitPayload(t, first.WorkflowID, d.Body)
		accepted++
	})

	t.Run("404 and 405 are problems too", func(t *testing.T) {
		problemOf(t, s.postRaw(t, "no-such-source", []byte("{}"), http.Header{"Content-Type": {"application/json"}}),
			http.StatusNotFound, "urn:hookflow:problem:unknown-source", "")
		r := doRaw(t, newRequest(t, http.MethodGet, s.baseURL+"/v1/webhooks/github", nil))
		assertProblem(t, r, http.StatusMethodNotAllowed, "urn:hookflow:problem:method-not-allowed")
	})

	// Nothing beyond the accepted deliveries was stored; the handshake none.
	time.Sleep(3 * s.cfg.ClickHouse.FlushInterval)
	if n := s.count(t, "SELECT count() FROM "+s.table("events")); n != uint64(accepted) {
		t.Fatalf("%d rows, want %d (one per accepted delivery)", n, accepted)
	}

	t.Run("metrics count every outcome per source", func(t *testing.T) {
		r := doRaw(t, newRequest(t, http.MethodGet, s.baseURL+"/metrics", nil))
		text := string(r.Body)
		for _, want := range []struct{ source, outcome string }{
			{"slack", "handshake"}, {"slack", "malformed_handshake"}, {"slack", "missing_signature"},
			{"slack", "signature_mismatch"}, {"slack", "timestamp_too_old"}, {"slack", "accepted"}, {"slack", "duplicate"},
			{"github", "unsupported_media_type"}, {"shopify", "unsupported_media_type"}, {"slack", "unsupported_encoding"},
			{"tiny", "too_large"}, {"limited", "rate_limited"}, {"limited", "signature_mismatch"},
			{"shopify", "missing_event_id"}, {"unknown", "unknown_source"}, {"github", "method_not_allowed"},
		} {
			line := `hookflow_ingress_deliveries_total{outcome="` + want.outcome + `",source="` + want.source + `"}`
			if !strings.Contains(text, line) {
				t.Errorf("/metrics lacks %s", line)
			}
		}
		if strings.Contains(text, `source="no-such-source"`) {
			t.Error("an unconfigured source name became a metric label")
		}
	})
}
