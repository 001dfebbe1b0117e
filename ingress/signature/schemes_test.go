package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Signing material: index 0 is the old secret, 1 the new one, 2 one that is
// never configured.
var hmacSecrets = [3]string{"old-secret-0123456789", "new-secret-9876543210", "never-configured-secret"}

// standardKey is a deterministic 32-byte Standard Webhooks v1 key.
func standardKey(i int) []byte {
	k := sha256.Sum256([]byte("standard-webhooks test key " + strconv.Itoa(i)))
	return k[:]
}

func standardSecret(i int) string {
	return "whsec_" + base64.StdEncoding.EncodeToString(standardKey(i))
}

// edKey is a deterministic ed25519 key pair for v1a.
func edKey(i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("standard-webhooks v1a seed " + strconv.Itoa(i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

func edPublic(i int) string {
	return "whpk_" + base64.StdEncoding.EncodeToString(edKey(i).Public().(ed25519.PublicKey))
}

func macWith(newHash func() hash.Hash, key string, parts ...string) []byte {
	m := hmac.New(newHash, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

const testMsgID = "msg_2Lz8cMmQj1kqp0XAxZz7S"

func swV1(i int, prefix string, body []byte, ts time.Time) http.Header {
	s := unix(ts)
	return hdr(prefix+"-id", testMsgID, prefix+"-timestamp", s,
		prefix+"-signature", "v1,"+b64HMAC256(standardKey(i), testMsgID+"."+s+"."+string(body)))
}

func swV1a(i int, body []byte, ts time.Time) http.Header {
	s := unix(ts)
	sig := ed25519.Sign(edKey(i), []byte(testMsgID+"."+s+"."+string(body)))
	return hdr("webhook-id", testMsgID, "webhook-timestamp", s,
		"webhook-signature", "v1a,"+base64.StdEncoding.EncodeToString(sig))
}

// schemeCase describes one configured scheme and an independent signer for it.
type schemeCase struct {
	name        string
	scheme      string
	options     map[string]string
	secrets     [3]string // configuration strings matching sign(0), sign(1), sign(2)
	sign        func(i int, body []byte, ts time.Time) http.Header
	headers     []string // every header the scheme needs
	timestamped bool
	bodyBound   bool
}

func schemeCases() []schemeCase {
	twitchOpts := map[string]string{
		"header": "Twitch-Eventsub-Message-Signature", "prefix": "sha256=",
		"template": "{id}{timestamp}{body}", "id_header": "Twitch-Eventsub-Message-Id",
		"timestamp_header": "Twitch-Eventsub-Message-Timestamp", "timestamp_format": "rfc3339",
	}
	return []schemeCase{
		{
			name: "github", scheme: "github", secrets: hmacSecrets, bodyBound: true,
			headers: []string{"X-Hub-Signature-256"},
			sign: func(i int, body []byte, _ time.Time) http.Header {
				return hdr("X-Hub-Signature-256", "sha256="+hexHMAC256(hmacSecrets[i], string(body)))
			},
		},
		{
			name: "github-sha1", scheme: "github", options: map[string]string{"allow_sha1": "true"},
			secrets: hmacSecrets, bodyBound: true, headers: []string{"X-Hub-Signature"},
			sign: func(i int, body []byte, _ time.Time) http.Header {
				return hdr("X-Hub-Signature", "sha1="+hex.EncodeToString(macWith(sha1.New, hmacSecrets[i], string(body))))
			},
		},
		{
			name: "stripe", scheme: "stripe", secrets: hmacSecrets, bodyBound: true, timestamped: true,
			headers: []string{"Stripe-Signature"},
			sign: func(i int, body []byte, ts time.Time) http.Header {
				s := unix(ts)
				return hdr("Stripe-Signature", "t="+s+",v1="+hexHMAC256(hmacSecrets[i], s+"."+string(body))+",v0=00")
			},
		},
		{
			name: "standard-webhooks", scheme: "standard-webhooks", bodyBound: true, timestamped: true,
			secrets: [3]string{standardSecret(0), standardSecret(1), standardSecret(2)},
			headers: []string{"webhook-id", "webhook-timestamp", "webhook-signature"},
			sign:    func(i int, body []byte, ts time.Time) http.Header { return swV1(i, "webhook", body, ts) },
		},
		{
			name: "standard-webhooks-v1a", scheme: "standard-webhooks", bodyBound: true, timestamped: true,
			secrets: [3]string{edPublic(0), edPublic(1), edPublic(2)},
			headers: []string{"webhook-id", "webhook-timestamp", "webhook-signature"},
			sign:    swV1a,
		},
		{
			name: "standard-webhooks-mixed", scheme: "standard-webhooks", bodyBound: true, timestamped: true,
			secrets: [3]string{standardSecret(0), edPublic(1), edPublic(2)},
			headers: []string{"webhook-id", "webhook-timestamp", "webhook-signature"},
			sign: func(i int, body []byte, ts time.Time) http.Header {
				if i == 0 {
					return swV1(0, "webhook", body, ts)
				}
				// Both kinds in one header; only the v1a entry can be valid.
				h := swV1a(i, body, ts)
				h.Set("webhook-signature", "v1,"+b64HMAC256(standardKey(9), "x")+" "+h.Get("webhook-signature"))
				return h
			},
		},
		{
			name: "svix", scheme: "standard-webhooks", options: map[string]string{"header_prefix": "svix"},
			bodyBound: true, timestamped: true,
			secrets: [3]string{standardSecret(0), standardSecret(1), standardSecret(2)},
			headers: []string{"svix-id", "svix-timestamp", "svix-signature"},
			sign:    func(i int, body []byte, ts time.Time) http.Header { return swV1(i, "svix", body, ts) },
		},
		{
			name: "shopify", scheme: "shopify", secrets: hmacSecrets, bodyBound: true,
			headers: []string{"X-Shopify-Hmac-Sha256"},
			sign: func(i int, body []byte, _ time.Time) http.Header {
				return hdr("X-Shopify-Hmac-Sha256", b64HMAC256([]byte(hmacSecrets[i]), string(body)))
			},
		},
		{
			name: "slack", scheme: "slack", secrets: hmacSecrets, bodyBound: true, timestamped: true,
			headers: []string{"X-Slack-Signature", "X-Slack-Request-Timestamp"},
			sign: func(i int, body []byte, ts time.Time) http.Header {
				s := unix(ts)
				return hdr("X-Slack-Request-Timestamp", s, "X-Slack-Signature", "v0="+hexHMAC256(hmacSecrets[i], "v0:"+s+":"+string(body)))
			},
		},
		{
			name: "hmac", scheme: "hmac", secrets: hmacSecrets, bodyBound: true,
			options: map[string]string{"header": "X-Signature", "prefix": "sha256="},
			headers: []string{"X-Signature"},
			sign: func(i int, body []byte, _ time.Time) http.Header {
				return hdr("X-Signature", "sha256="+hexHMAC256(hmacSecrets[i], string(body)))
			},
		},
		{
			name: "hmac-id-rfc3339", scheme: "hmac", secrets: hmacSecrets, bodyBound: true, timestamped: true,
			options: twitchOpts,
			headers: []string{"Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Id", "Twitch-Eventsub-Message-Timestamp"},
			sign: func(i int, body []byte, ts time.Time) http.Header {
				s := ts.UTC().Format(time.RFC3339Nano)
				return hdr("Twitch-Eventsub-Message-Id", testMsgID, "Twitch-Eventsub-Message-Timestamp", s,
					"Twitch-Eventsub-Message-Signature", "sha256="+hexHMAC256(hmacSecrets[i], testMsgID+s+string(body)))
			},
		},
		{
			name: "hmac-sha512-base64-ms", scheme: "hmac", secrets: hmacSecrets, bodyBound: true, timestamped: true,
			options: map[string]string{
				"header": "x-sig", "algorithm": "sha512", "encoding": "base64",
				"template": "{timestamp}.{body}", "timestamp_header": "x-ts", "timestamp_format": "unix_ms",
			},
			headers: []string{"X-Sig", "X-Ts"},
			sign: func(i int, body []byte, ts time.Time) http.Header {
				s := strconv.FormatInt(ts.UnixMilli(), 10)
				return hdr("X-Ts", s, "X-Sig", base64.StdEncoding.EncodeToString(macWith(sha512.New, hmacSecrets[i], s+"."+string(body))))
			},
		},
		{
			name: "hmac-sha1", scheme: "hmac", secrets: hmacSecrets, bodyBound: true,
			options: map[string]string{"header": "X-Hub-Signature", "algorithm": "sha1", "prefix": "sha1="},
			headers: []string{"X-Hub-Signature"},
			sign: func(i int, body []byte, _ time.Time) http.Header {
				return hdr("X-Hub-Signature", "sha1="+hex.EncodeToString(macWith(sha1.New, hmacSecrets[i], string(body))))
			},
		},
		{
			name: "bearer", scheme: "bearer", secrets: hmacSecrets, headers: []string{"Authorization"},
			sign: func(i int, _ []byte, _ time.Time) http.Header {
				return hdr("Authorization", "Bearer "+hmacSecrets[i])
			},
		},
		{
			name: "bearer-custom-header", scheme: "bearer", options: map[string]string{"header": "x-gitlab-token"},
			secrets: hmacSecrets, headers: []string{"X-Gitlab-Token"},
			sign: func(i int, _ []byte, _ time.Time) http.Header {
				return hdr("X-Gitlab-Token", hmacSecrets[i])
			},
		},
		{
			name: "basic", scheme: "basic", headers: []string{"Authorization"},
			secrets: [3]string{"hooks:" + hmacSecrets[0], "hooks:" + hmacSecrets[1], "hooks:" + hmacSecrets[2]},
			sign: func(i int, _ []byte, _ time.Time) http.Header {
				cred := base64.StdEncoding.EncodeToString([]byte("hooks:" + hmacSecrets[i]))
				return hdr("Authorization", "Basic "+cred)
			},
		},
	}
}

var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func TestSchemes(t *testing.T) {
	body := readTestdata(t, "github/push.json")
	for _, c := range schemeCases() {
		t.Run(c.name, func(t *testing.T) {
			rotated := mustNew(t, c.scheme, Config{Secrets: c.secrets[:2], Options: c.options})
			newOnly := mustNew(t, c.scheme, Config{Secrets: c.secrets[1:2], Options: c.options})
			verify := func(v Verifier, h http.Header, b []byte, now time.Time) error {
				err := v.Verify(&Request{Header: h, Body: b, Now: now})
				if err != nil {
					if ReasonOf(err) == "" {
						t.Fatalf("refusal is not an *Error: %v", err)
					}
					for _, s := range c.secrets {
						if strings.Contains(err.Error(), s) {
							t.Fatalf("refusal reveals a secret: %v", err)
						}
					}
				}
				return err
			}
			t.Run("rotation old secret", func(t *testing.T) {
				wantReason(t, verify(rotated, c.sign(0, body, testNow), body, testNow), "")
			})
			t.Run("rotation new secret", func(t *testing.T) {
				wantReason(t, verify(rotated, c.sign(1, body, testNow), body, testNow), "")
				wantReason(t, verify(newOnly, c.sign(1, body, testNow), body, testNow), "")
			})
			t.Run("retired secret", func(t *testing.T) {
				wantReason(t, verify(newOnly, c.sign(0, body, testNow), body, testNow), ReasonMismatch)
			})
			t.Run("wrong secret", func(t *testing.T) {
				wantReason(t, verify(rotated, c.sign(2, body, testNow), body, testNow), ReasonMismatch)
			})
			t.Run("lower-case header names", func(t *testing.T) {
				h := c.sign(1, body, testNow)
				wantReason(t, verify(rotated, lowerKeys(h), body, testNow), "")
				set := http.Header{}
				for k, vs := range h {
					set.Set(strings.ToLower(k), vs[0])
				}
				wantReason(t, verify(rotated, set, body, testNow), "")
			})
			t.Run("tampered body", func(t *testing.T) {
				tampered := slices.Clone(body)
				tampered[len(tampered)/2] ^= 0x01
				want := ReasonMismatch
				if !c.bodyBound {
					want = "" // a bearer token or password does not cover the body
				}
				wantReason(t, verify(rotated, c.sign(1, body, testNow), tampered, testNow), want)
			})
			for _, name := range c.headers {
				t.Run("missing "+name, func(t *testing.T) {
					h := c.sign(1, body, testNow)
					h.Del(name)
					wantReason(t, verify(rotated, h, body, testNow), ReasonMissing)
					h = c.sign(1, body, testNow)
					h.Set(name, "")
					wantReason(t, verify(rotated, h, body, testNow), ReasonMissing)
				})
			}
			t.Run("no headers", func(t *testing.T) {
				wantReason(t, verify(rotated, http.Header{}, body, testNow), ReasonMissing)
			})
			if !c.timestamped {
				return
			}
			tol := DefaultTolerance
			t.Run("stale timestamp", func(t *testing.T) {
				ts := testNow.Add(-tol - time.Second)
				wantReason(t, verify(rotated, c.sign(1, body, ts), body, testNow), ReasonStale)
			})
			t.Run("future timestamp", func(t *testing.T) {
				ts := testNow.Add(tol + time.Second)
				wantReason(t, verify(rotated, c.sign(1, body, ts), body, testNow), ReasonFuture)
			})
			t.Run("window edges", func(t *testing.T) {
				for _, ts := range []time.Time{testNow.Add(-tol), testNow.Add(tol)} {
					wantReason(t, verify(rotated, c.sign(1, body, ts), body, testNow), "")
				}
			})
			t.Run("zero Now is the wall clock", func(t *testing.T) {
				now := time.Now()
				wantReason(t, verify(rotated, c.sign(1, body, now), body, time.Time{}), "")
				wantReason(t, verify(rotated, c.sign(1, body, testNow), body, time.Time{}), ReasonStale)
			})
			t.Run("custom tolerance", func(t *testing.T) {
				short := mustNew(t, c.scheme, Config{Secrets: c.secrets[:2], Options: c.options, Tolerance: 10 * time.Second})
				wantReason(t, verify(short, c.sign(1, body, testNow.Add(-11*time.Second)), body, testNow), ReasonStale)
				wantReason(t, verify(short, c.sign(1, body, testNow.Add(11*time.Second)), body, testNow), ReasonFuture)
				wantReason(t, verify(short, c.sign(1, body, testNow.Add(-9*time.Second)), body, testNow), "")
			})
		})
	}
}

func TestSchemesRegistered(t *testing.T) {
	want := []string{"basic", "bearer", "github", "hmac", "shopify", "slack", "standard-webhooks", "stripe"}
	got := Schemes()
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("scheme %q not registered (have %v)", name, got)
		}
	}
}

func TestStandardWebhooksV1a(t *testing.T) {
	body := []byte(`{"type":"invoice.paid"}`)
	v := mustNew(t, "standard-webhooks", Config{Secrets: []string{edPublic(0)}})
	good := swV1a(0, body, testNow)
	sig := good.Get("webhook-signature")
	t.Run("valid", func(t *testing.T) {
		wantReason(t, v.Verify(&Request{Header: good, Body: body, Now: testNow}), "")
	})
	t.Run("valid among others", func(t *testing.T) {
		h := swV1a(0, body, testNow)
		other := swV1a(1, body, testNow).Get("webhook-signature")
		h.Set("webhook-signature", other+"  v2,abc "+sig+" v1,"+b64HMAC256(standardKey(0), "x"))
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: testNow}), "")
	})
	t.Run("v1a signature labelled v1", func(t *testing.T) {
		h := swV1a(0, body, testNow)
		h.Set("webhook-signature", "v1,"+strings.TrimPrefix(sig, "v1a,"))
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: testNow}), ReasonMalformed)
	})
	t.Run("signature over another id", func(t *testing.T) {
		h := swV1a(0, body, testNow)
		h.Set("webhook-id", "msg_other")
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: testNow}), ReasonMismatch)
	})
	t.Run("truncated signature", func(t *testing.T) {
		h := swV1a(0, body, testNow)
		h.Set("webhook-signature", sig[:len(sig)-8])
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: testNow}), ReasonMalformed)
	})
	t.Run("too many v1a entries", func(t *testing.T) {
		h := swV1a(0, body, testNow)
		other := swV1a(1, body, testNow).Get("webhook-signature")
		h.Set("webhook-signature", strings.Repeat(other+" ", maxEd25519Sigs)+sig)
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: testNow}), ReasonMalformed)
	})
	t.Run("v1 secret cannot verify v1a", func(t *testing.T) {
		hm := mustNew(t, "standard-webhooks", Config{Secrets: []string{standardSecret(0)}})
		wantReason(t, hm.Verify(&Request{Header: good, Body: body, Now: testNow}), ReasonMismatch)
	})
}

func TestBearerAndBasicParsing(t *testing.T) {
	token := hmacSecrets[0]
	b := mustNew(t, "bearer", Config{Secrets: []string{token}})
	basicV := mustNew(t, "basic", Config{Secrets: []string{"user:" + token}})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name  string
		v     Verifier
		value string
		want  Reason
	}{
		{"bearer lower-case scheme", b, "bearer " + token, ""},
		{"bearer upper-case scheme", b, "BEARER " + token, ""},
		{"bearer token prefix only", b, "Bearer " + token[:len(token)-1], ReasonMismatch},
		{"bearer token extended", b, "Bearer " + token + "x", ReasonMismatch},
		{"bearer without token", b, "Bearer ", ReasonMalformed},
		{"bearer without space", b, "Bearer" + token, ReasonMalformed},
		{"basic sent to bearer", b, "Basic " + b64("user:"+token), ReasonMalformed},
		{"raw token without scheme", b, token, ReasonMalformed},
		{"basic ok", basicV, "Basic " + b64("user:"+token), ""},
		{"basic lower-case scheme", basicV, "basic " + b64("user:"+token), ""},
		{"basic wrong user", basicV, "Basic " + b64("admin:"+token), ReasonMismatch},
		{"basic wrong password", basicV, "Basic " + b64("user:"+token+"!"), ReasonMismatch},
		{"basic not base64", basicV, "Basic user:" + token, ReasonMalformed},
		{"basic no colon", basicV, "Basic " + b64("user"+token), ReasonMalformed},
		{"bearer sent to basic", basicV, "Bearer " + token, ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantReason(t, c.v.Verify(&Request{Header: hdr("Authorization", c.value)}), c.want)
		})
	}
}

func TestGenericHMACTemplates(t *testing.T) {
	body := []byte(`{"event":"ping"}`)
	secret := hmacSecrets[0]
	cases := []struct {
		name    string
		options map[string]string
		header  http.Header
		want    Reason
	}{
		{
			"literal text and braces kept",
			map[string]string{"header": "X-Sig", "template": "v1:{x:{timestamp}}:{body}", "timestamp_header": "X-Ts"},
			hdr("X-Ts", unix(testNow), "X-Sig", hexHMAC256(secret, "v1:{x:"+unix(testNow)+"}:"+string(body))),
			"",
		},
		{
			"timestamp is signed as sent",
			map[string]string{"header": "X-Sig", "template": "{timestamp}.{body}", "timestamp_header": "X-Ts"},
			hdr("X-Ts", unix(testNow.Add(time.Second)), "X-Sig", hexHMAC256(secret, unix(testNow)+"."+string(body))),
			ReasonMismatch,
		},
		{
			"prefix required when configured",
			map[string]string{"header": "X-Sig", "prefix": "sha256="},
			hdr("X-Sig", hexHMAC256(secret, string(body))),
			ReasonMalformed,
		},
		{
			"digest of another algorithm",
			map[string]string{"header": "X-Sig", "algorithm": "sha512"},
			hdr("X-Sig", hexHMAC256(secret, string(body))),
			ReasonMalformed,
		},
		{
			"unparsable rfc3339",
			map[string]string{"header": "X-Sig", "template": "{timestamp}{body}", "timestamp_header": "X-Ts", "timestamp_format": "rfc3339"},
			hdr("X-Ts", unix(testNow), "X-Sig", hexHMAC256(secret, unix(testNow)+string(body))),
			ReasonMalformed,
		},
		{
			"unix timestamp with sign",
			map[string]string{"header": "X-Sig", "template": "{timestamp}{body}", "timestamp_header": "X-Ts"},
			hdr("X-Ts", "+"+unix(testNow), "X-Sig", hexHMAC256(secret, "+"+unix(testNow)+string(body))),
			ReasonMalformed,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := mustNew(t, "hmac", Config{Secrets: []string{secret}, Options: c.options})
			wantReason(t, v.Verify(&Request{Header: c.header, Body: body, Now: testNow}), c.want)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	ok := hmacSecrets[0]
	cases := []struct {
		name    string
		scheme  string
		cfg     Config
		wantErr string
	}{
		{"unknown scheme", "nope", Config{Secrets: []string{ok}}, `unknown signature scheme "nope"`},
		{"negative tolerance", "stripe", Config{Secrets: []string{ok}, Tolerance: -time.Second}, "tolerance"},
		{"no secrets", "github", Config{}, "no secrets"},
		{"short second secret", "github", Config{Secrets: []string{ok, "short"}}, "secret #2 is too short"},
		{"whitespace secret", "slack", Config{Secrets: []string{ok + "\n"}}, "secret #1 has leading or trailing whitespace"},
		{"github unknown option", "github", Config{Secrets: []string{ok}, Options: map[string]string{"allow_sha": "true"}}, `unknown option "allow_sha"`},
		{"github bad allow_sha1", "github", Config{Secrets: []string{ok}, Options: map[string]string{"allow_sha1": "yes"}}, "allow_sha1"},
		{"stripe takes no options", "stripe", Config{Secrets: []string{ok}, Options: map[string]string{"tolerance": "5m"}}, `unknown option "tolerance"`},
		{"shopify takes no options", "shopify", Config{Secrets: []string{ok}, Options: map[string]string{"header": "x"}}, `unknown option "header"`},
		{"slack takes no options", "slack", Config{Secrets: []string{ok}, Options: map[string]string{"version": "v0"}}, `unknown option "version"`},
		{"basic takes no options", "basic", Config{Secrets: []string{"u:" + ok}, Options: map[string]string{"realm": "x"}}, `unknown option "realm"`},
		{"sw unknown option", "standard-webhooks", Config{Secrets: []string{standardSecret(0)}, Options: map[string]string{"prefix": "svix"}}, `unknown option "prefix"`},
		{"sw bad header_prefix", "standard-webhooks", Config{Secrets: []string{standardSecret(0)}, Options: map[string]string{"header_prefix": "x"}}, "header_prefix"},
		{"sw not base64", "standard-webhooks", Config{Secrets: []string{standardSecret(0), "whsec_not*base64"}}, "secret #2: not a whsec_ base64 secret"},
		{"sw short key", "standard-webhooks", Config{Secrets: []string{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 16))}}, "secret #1: key is 16 bytes"},
		{"sw private key", "standard-webhooks", Config{Secrets: []string{"whsk_" + base64.StdEncoding.EncodeToString(edKey(0))}}, "secret #1 is a whsk_ signing (private) key"},
		{"sw public key wrong size", "standard-webhooks", Config{Secrets: []string{"whpk_" + base64.StdEncoding.EncodeToString(make([]byte, 31))}}, "secret #1: whpk_ key is 31 bytes"},
		{"sw public key not base64", "standard-webhooks", Config{Secrets: []string{"whpk_???"}}, "secret #1: not a whpk_ base64 public key"},
		{"hmac no header", "hmac", Config{Secrets: []string{ok}}, "option header is required"},
		{"hmac bad header name", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X Sig"}}, "option header is not a valid header name"},
		{"hmac unknown option", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "digest": "hex"}}, `unknown option "digest"`},
		{"hmac bad algorithm", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "algorithm": "md5"}}, "option algorithm"},
		{"hmac bad encoding", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "encoding": "base32"}}, "option encoding"},
		{"hmac unknown placeholder", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "template": "{url}{body}"}}, "unknown placeholder {url}"},
		{"hmac template without body", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "template": "{timestamp}", "timestamp_header": "X-Ts"}}, "must contain {body}"},
		{"hmac timestamp placeholder without header", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "template": "{timestamp}.{body}"}}, "timestamp_header is not set"},
		{"hmac unsigned timestamp", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "timestamp_header": "X-Ts"}}, "does not sign {timestamp}"},
		{"hmac id placeholder without header", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "template": "{id}.{body}"}}, "id_header is not set"},
		{"hmac unsigned id", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "id_header": "X-Id"}}, "does not sign {id}"},
		{"hmac format without header", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "timestamp_format": "unix"}}, "timestamp_format needs timestamp_header"},
		{"hmac bad format", "hmac", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X-Sig", "timestamp_header": "X-Ts", "template": "{timestamp}{body}", "timestamp_format": "iso"}}, "option timestamp_format"},
		{"hmac short secret", "hmac", Config{Secrets: []string{"abc"}, Options: map[string]string{"header": "X-Sig"}}, "secret #1 is too short"},
		{"bearer token with space", "bearer", Config{Secrets: []string{ok, "two words secret"}}, "secret #2 contains whitespace"},
		{"bearer bad header option", "bearer", Config{Secrets: []string{ok}, Options: map[string]string{"header": "X:Token"}}, "option header"},
		{"basic no colon", "basic", Config{Secrets: []string{"user" + ok}}, `secret #1 is not "user:pass"`},
		{"basic short password", "basic", Config{Secrets: []string{"u:" + ok, "administrator:pw"}}, "secret #2: password is too short"},
		{"basic no secrets", "basic", Config{}, "no secrets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.scheme, c.cfg)
			if err == nil {
				t.Fatalf("config accepted, want error containing %q", c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %q does not contain %q", err, c.wantErr)
			}
			for _, s := range c.cfg.Secrets {
				if len(s) >= MinSecretLen && strings.Contains(err.Error(), s) {
					t.Fatalf("config error reveals a secret: %v", err)
				}
			}
		})
	}
}

func TestParseUnix(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1531420618": true, "1614265330123": true,
		"": false, "01": false, "+1": false, "-1": false, "1.5": false, " 1": false,
		"1e9": false, "9999999999999999999": false,
	} {
		if _, ok := parseUnix(s); ok != want {
			t.Errorf("parseUnix(%q) ok=%v, want %v", s, ok, want)
		}
	}
}
