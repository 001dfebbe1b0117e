package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
)

// A scheme under test: a configured source holding two live secrets (the
// current one and the one being rotated out), a real sample body, and a
// signer that signs as the provider does with key 0 (current), 1 (previous)
// or 2 (never configured).
type schemeCase struct {
	name        string
	source      string
	contentType string
	// body returns the sample with id in it where the provider puts the id in
	// the body (Stripe, Slack); other providers send the id in a header.
	body        func(id string) []byte
	sign        func(h http.Header, body []byte, id string, key int, ts time.Time)
	sigHeader   string // removed for the "missing header" case
	bodyBound   bool   // the signature covers the body (not bearer/basic)
	timestamped bool   // the scheme signs a timestamp (replay window)
}

// Rotation material: index 0 is live and current, 1 is live and being
// rotated out, 2 was never configured.
var (
	githubKeys  = [3]string{"dev-github-secret", "old-github-secret-2025", "never-the-github-secret"}
	stripeKeys  = [3]string{"whsec_dev_stripe_secret", "whsec_old_stripe_secret_2025", "whsec_never_the_stripe_secret"}
	standardKey = func(i int) string {
		k := sha256.Sum256([]byte("e2e standard key " + strconv.Itoa(i)))
		return "whsec_" + base64.StdEncoding.EncodeToString(k[:])
	}
	appKeys     = [3]string{"whsec_aG9va2Zsb3ctZGV2LWFwcC1zZWNyZXQtMDEyMzQ1Njc4OQ==", standardKey(1), standardKey(2)}
	svixKeys    = [3]string{standardKey(10), standardKey(11), standardKey(12)}
	slackKeys   = [3]string{"dev-slack-signing-secret", "old-slack-signing-secret", "never-the-slack-secret"}
	shopifyKeys = [3]string{"dev-shopify-secret", "old-shopify-secret-2025", "never-the-shopify-secret"}
	hmacKeys    = [3]string{"partner-hmac-secret-current", "partner-hmac-secret-previous", "partner-hmac-secret-never"}
	bearerKeys  = [3]string{"internal-token-current-0123", "internal-token-previous-0123", "internal-token-never-0123"}
	basicKeys   = [3]string{"producer:current-password-0123", "producer:previous-password-0123", "producer:never-password-0123"}
)

func edPrivate(i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("e2e v1a seed " + strconv.Itoa(i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

func edPublic(i int) string {
	return "whpk_" + base64.StdEncoding.EncodeToString(edPrivate(i).Public().(ed25519.PublicKey))
}

func secrets(keys ...string) []config.Secret {
	out := make([]config.Secret, len(keys))
	for i, k := range keys {
		out[i] = config.Secret{Value: k}
	}
	return out
}

// rotationSources adds the previous secret to the dev sources and adds one
// source per remaining scheme, each with two live secrets.
func rotationSources(cfg *config.Config) {
	for name, prev := range map[string]string{"github": githubKeys[1], "stripe": stripeKeys[1], "app": appKeys[1],
		"slack": slackKeys[1], "shopify": shopifyKeys[1]} {
		s := cfg.Sources[name]
		s.Secrets = append(s.Secrets, config.Secret{Value: prev})
		cfg.Sources[name] = s
	}
	add := func(name string, s config.Source) {
		if err := addSource(cfg, name, s); err != nil {
			panic(err)
		}
	}
	add("svix", config.Source{Provider: "standard", Options: map[string]string{"header_prefix": "svix"},
		EventID: "header:svix-id", Secrets: secrets(svixKeys[0], svixKeys[1])})
	add("app-v1a", config.Source{Provider: "standard", Secrets: secrets(edPublic(0), edPublic(1))})
	add("partner", config.Source{Provider: "generic", Scheme: "hmac", Options: map[string]string{
		"header": "X-Partner-Signature", "algorithm": "sha512", "encoding": "base64", "prefix": "sha512=",
		"template": "{id}.{timestamp}.{body}", "timestamp_header": "X-Partner-Timestamp", "id_header": "X-Partner-Event",
	}, EventID: "header:X-Partner-Event", EventType: "json:type", Secrets: secrets(hmacKeys[0], hmacKeys[1])})
	add("internal-bearer", config.Source{Provider: "generic", Scheme: "bearer",
		EventID: "header:X-Request-Id", EventType: "json:type", Secrets: secrets(bearerKeys[0], bearerKeys[1])})
	add("internal-basic", config.Source{Provider: "generic", Scheme: "basic",
		EventID: "header:X-Request-Id", EventType: "json:type", Secrets: secrets(basicKeys[0], basicKeys[1])})
}

// addSource adds a source the way a config file would: through Parse, so
// provider presets and validation apply exactly as in production.
func addSource(cfg *config.Config, name string, s config.Source) error {
	raw, err := json.Marshal(map[string]any{"sources": map[string]any{name: sourceYAML(s)}})
	if err != nil {
		return err
	}
	parsed, err := config.Parse(raw) // YAML is a superset of JSON
	if err != nil {
		return err
	}
	cfg.Sources[name] = parsed.Sources[name]
	return nil
}

func sourceYAML(s config.Source) map[string]any {
	m := map[string]any{"provider": s.Provider}
	var secs []string
	for _, sec := range s.Secrets {
		secs = append(secs, sec.Value)
	}
	m["secrets"] = secs
	for k, v := range map[string]string{"scheme": s.Scheme, "event_id": s.EventID, "event_type": s.EventType, "fallback_id": s.FallbackID} {
		if v != "" {
			m[k] = v
		}
	}
	if len(s.Options) > 0 {
		m["options"] = s.Options
	}
	if s.MaxBody > 0 {
		m["max_body"] = strconv.FormatInt(int64(s.MaxBody), 10)
	}
	if len(s.ContentTypes) > 0 {
		m["content_types"] = s.ContentTypes
	}
	if s.RateLimit.PerSecond > 0 {
		m["rate_limit"] = map[string]any{"per_second": s.RateLimit.PerSecond, "burst": s.RateLimit.Burst}
	}
	return m
}

// sample returns a fixture by name.
func sample(t *testing.T, name string) sender.Delivery {
	t.Helper()
	ds, err := sender.LoadFixtures("../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no sample %s", name)
	return sender.Delivery{}
}

func providerSigner(d sender.Delivery, keys [3]string) func(http.Header, []byte, string, int, time.Time) {
	return func(h http.Header, body []byte, id string, key int, ts time.Time) {
		d.Body, d.EventID = body, id
		if err := sender.Sign(h, d, keys[key], ts); err != nil {
			panic(err)
		}
	}
}

func schemeCases(t *testing.T) []schemeCase {
	gh := sample(t, "github/push.json")
	st := sample(t, "stripe/synthetic.invoice.payment_failed.json")
	app := sample(t, "app/account.lockout.json")
	slackEvent := sample(t, "slack/event_callback.app_mention.shared_channel.json")
	slackCommand := sample(t, "slack/slash_command.docs_example.form-urlencoded.txt")
	slackAction := sample(t, "slack/interactivity.block_actions.form-urlencoded.txt")
	shop := sample(t, "shopify/orders.create.json")
	fixed := func(b []byte) func(string) []byte { return func(string) []byte { return b } }
	inBody := func(d sender.Delivery) func(string) []byte {
		return func(id string) []byte { return sender.WithID(d, id).Body }
	}
	standardSigner := func(prefix string, keys [3]string) func(http.Header, []byte, string, int, time.Time) {
		return func(h http.Header, body []byte, id string, key int, ts time.Time) {
			sign := providerSigner(app, keys)
			tmp := http.Header{}
			sign(tmp, body, id, key, ts)
			for _, k := range []string{"id", "timestamp", "signature"} {
				h.Set(prefix+"-"+k, tmp.Get("webhook-"+k))
			}
		}
	}
	return []schemeCase{
		{name: "github", source: "github", contentType: "application/json", body: fixed(gh.Body),
			sign: providerSigner(gh, githubKeys), sigHeader: "X-Hub-Signature-256", bodyBound: true},
		{name: "stripe", source: "stripe", contentType: "application/json; charset=utf-8", body: inBody(st),
			sign: providerSigner(st, stripeKeys), sigHeader: "Stripe-Signature", bodyBound: true, timestamped: true},
		{name: "standard-webhooks v1", source: "app", contentType: "application/json", body: fixed(app.Body),
			sign: standardSigner("webhook", appKeys), sigHeader: "webhook-signature", bodyBound: true, timestamped: true},
		{name: "standard-webhooks svix headers", source: "svix", contentType: "application/json", body: fixed(app.Body),
			sign: standardSigner("svix", svixKeys), sigHeader: "svix-signature", bodyBound: true, timestamped: true},
		{name: "standard-webhooks v1a ed25519", source: "app-v1a", contentType: "application/json", body: fixed(app.Body),
			sign: func(h http.Header, body []byte, id string, key int, ts time.Time) {
				unix := strconv.FormatInt(ts.Unix(), 10)
				sig := ed25519.Sign(edPrivate(key), []byte(id+"."+unix+"."+string(body)))
				h.Set("webhook-id", id)
				h.Set("webhook-timestamp", unix)
				h.Set("webhook-signature", "v1a,"+base64.StdEncoding.EncodeToString(sig))
			}, sigHeader: "webhook-signature", bodyBound: true, timestamped: true},
		{name: "slack event callback", source: "slack", contentType: "application/json", body: inBody(slackEvent),
			sign: providerSigner(slackEvent, slackKeys), sigHeader: "X-Slack-Signature", bodyBound: true, timestamped: true},
		{name: "slack slash command (form)", source: "slack", contentType: "application/x-www-form-urlencoded", body: inBody(slackCommand),
			sign: providerSigner(slackCommand, slackKeys), sigHeader: "X-Slack-Signature", bodyBound: true, timestamped: true},
		{name: "slack interactivity (form payload=)", source: "slack", contentType: "application/x-www-form-urlencoded", body: inBody(slackAction),
			sign: providerSigner(slackAction, slackKeys), sigHeader: "X-Slack-Signature", bodyBound: true, timestamped: true},
		{name: "shopify", source: "shopify", contentType: "application/json", body: fixed(shop.Body),
			sign: providerSigner(shop, shopifyKeys), sigHeader: "X-Shopify-Hmac-Sha256", bodyBound: true},
		{name: "generic hmac", source: "partner", contentType: "application/json", body: fixed(app.Body),
			sign: func(h http.Header, body []byte, id string, key int, ts time.Time) {
				unix := strconv.FormatInt(ts.Unix(), 10)
				m := hmac.New(sha512.New, []byte(hmacKeys[key]))
				m.Write([]byte(id + "." + unix + "."))
				m.Write(body)
				h.Set("X-Partner-Event", id)
				h.Set("X-Partner-Timestamp", unix)
				h.Set("X-Partner-Signature", "sha512="+base64.StdEncoding.EncodeToString(m.Sum(nil)))
			}, sigHeader: "X-Partner-Signature", bodyBound: true, timestamped: true},
		{name: "bearer", source: "internal-bearer", contentType: "application/json", body: fixed(app.Body),
			sign: func(h http.Header, _ []byte, id string, key int, _ time.Time) {
				h.Set("X-Request-Id", id)
				h.Set("Authorization", "Bearer "+bearerKeys[key])
			}, sigHeader: "Authorization"},
		{name: "basic", source: "internal-basic", contentType: "application/json", body: fixed(app.Body),
			sign: func(h http.Header, _ []byte, id string, key int, _ time.Time) {
				h.Set("X-Request-Id", id)
				h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(basicKeys[key])))
			}, sigHeader: "Authorization"},
	}
}

// lowerCaseHeaders rewrites h so every name goes on the wire in lower case
// (Go's client writes map keys as they are).
func lowerCaseHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}

// Every scheme, through the real endpoint, Temporal and ClickHouse: both live
// secrets of a rotation are accepted and land the exact bytes; a tampered
// body, a wrong secret, a missing signature header and a timestamp outside
// the replay window either way are refused with 401, the reason named, and
// leave no workflow and no row.
func TestEverySchemeThroughTheEndpoint(t *testing.T) {
	s := startHookflow(t, rotationSources)
	ctx := context.Background()
	type refusal struct{ name, workflowID string }
	var refused []refusal
	accepted := 0
	for _, sc := range schemeCases(t) {
		post := func(t *testing.T, id string, key int, ts time.Time, mutate func(h http.Header, body []byte) []byte) (sender.Response, []byte) {
			t.Helper()
			body := sc.body(id)
			h := http.Header{}
			h.Set("Content-Type", sc.contentType)
			sc.sign(h, body, id, key, ts)
			sent := body
			if mutate != nil {
				sent = mutate(h, bytes.Clone(body))
			}
			req := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/"+sc.source, bytes.NewReader(sent))
			req.Header = h
			return doRaw(t, req), sent
		}
		accept := func(t *testing.T, key int, mutate func(h http.Header, body []byte) []byte) {
			t.Helper()
			id := testenv.Unique("e2e-")
			r, sent := post(t, id, key, time.Now(), mutate)
			a := decodeAck(t, r)
			if a.Duplicate || a.WorkflowID != sc.source+":"+id {
				t.Fatalf("ack %+v, want a new workflow %s:%s", a, sc.source, id)
			}
			s.waitPayload(t, a.WorkflowID, sent)
			accepted++
		}
		refuse := func(t *testing.T, key int, ts time.Time, reason string, mutate func(h http.Header, body []byte) []byte) {
			t.Helper()
			id := testenv.Unique("e2e-")
			r, _ := post(t, id, key, ts, mutate)
			assertProblem(t, r, http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature")
			var p struct{ Reason, Source, Detail string }
			_ = json.Unmarshal(r.Body, &p)
			if p.Reason != reason || p.Source != sc.source || p.Detail == "" {
				t.Fatalf("problem %+v, want reason %s for source %s", p, reason, sc.source)
			}
			for _, keys := range [][3]string{githubKeys, stripeKeys, appKeys, svixKeys, slackKeys, shopifyKeys, hmacKeys, bearerKeys, basicKeys} {
				for _, k := range keys {
					if strings.Contains(string(r.Body), k) {
						t.Fatal("a refusal reveals a secret")
					}
				}
			}
			refused = append(refused, refusal{sc.name + "/" + t.Name(), sc.source + ":" + id})
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Run("current secret accepted", func(t *testing.T) { accept(t, 0, nil) })
			t.Run("previous secret accepted", func(t *testing.T) { accept(t, 1, nil) })
			t.Run("lower-case header names accepted", func(t *testing.T) {
				accept(t, 0, func(h http.Header, b []byte) []byte {
					lc := lowerCaseHeaders(h)
					clear(h)
					for k, v := range lc {
						h[k] = v
					}
					return b
				})
			})
			t.Run("wrong secret refused", func(t *testing.T) { refuse(t, 2, time.Now(), "signature_mismatch", nil) })
			t.Run("missing header refused", func(t *testing.T) {
				refuse(t, 0, time.Now(), "missing_signature", func(h http.Header, b []byte) []byte { h.Del(sc.sigHeader); return b })
			})
			if sc.bodyBound {
				t.Run("tampered body refused", func(t *testing.T) {
					refuse(t, 0, time.Now(), "signature_mismatch", func(_ http.Header, b []byte) []byte {
						i := bytes.LastIndexByte(b, 'e') // one byte changed, length kept
						b[i] = 'E'
						return b
					})
				})
			}
			if sc.timestamped {
				t.Run("stale timestamp refused", func(t *testing.T) {
					refuse(t, 0, time.Now().Add(-10*time.Minute), "timestamp_too_old", nil)
				})
				t.Run("future timestamp refused", func(t *testing.T) {
					refuse(t, 0, time.Now().Add(10*time.Minute), "timestamp_in_future", nil)
				})
			}
		})
	}

	// Nothing refused was started or stored.
	for _, r := range refused {
		_, err := s.temporal.DescribeWorkflowExecution(ctx, r.workflowID, "")
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			t.Errorf("%s: refused delivery %s has a workflow (err=%v)", r.name, r.workflowID, err)
		}
	}
	time.Sleep(3 * s.cfg.ClickHouse.FlushInterval)
	if n := s.count(t, "SELECT count() FROM "+s.table("events")); n != uint64(accepted) {
		t.Fatalf("%d rows, want one per accepted delivery (%d); %d refusals", n, accepted, len(refused))
	}
	if len(refused) < 40 || accepted < 30 {
		t.Fatalf("only %d refusals and %d acceptances exercised", len(refused), accepted)
	}
}
