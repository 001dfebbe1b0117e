package signature

import (
	"net/http"
	"testing"
	"time"
)

// Vectors from shared/fixtures/VECTORS.md. PUBLISHED ones come from the
// provider (interoperability); DERIVED ones were computed for this project
// (regression only). Bodies are under testdata/.

const (
	githubDocsSecret = "It's a Secret to Everybody"
	githubDocsSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

	slackDocsSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocsTS     = "1531420618"
	slackDocsSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS     = "1614265330"
	swSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	swBogus  = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

	stripeSecret = "whsec_test_secret"
	stripeTS     = "1614265330"
	stripeSig    = "t=1614265330,v1=af4ead0627a34a8cca29808e8de9ada8e41a92e6237c63cef6eacf51d36cca34"

	shopifySecret = "test_secret_key"
	shopifySig    = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
)

func at(unix int64) time.Time { return time.Unix(unix, 0) }

func TestVectorsGitHub(t *testing.T) {
	body := readTestdata(t, "vectors/github_docs.body")
	v := mustNew(t, "github", Config{Secrets: []string{githubDocsSecret}})
	sha1 := mustNew(t, "github", Config{Secrets: []string{githubDocsSecret}, Options: map[string]string{"allow_sha1": "true"}})
	withLF := append(append([]byte(nil), body...), '\n')
	cases := []struct {
		name   string
		v      Verifier
		header http.Header
		body   []byte
		want   Reason
	}{
		{"published", v, hdr("X-Hub-Signature-256", githubDocsSig), body, ""},
		{"published lower-case header", v, lowerKeys(hdr("X-Hub-Signature-256", githubDocsSig)), body, ""},
		{"published sig, body with trailing LF (derived)", v, hdr("X-Hub-Signature-256", githubDocsSig), withLF, ReasonMismatch},
		{"trailing LF with its own sig (derived)", v, hdr("X-Hub-Signature-256", "sha256=8fde2e970f9163923fb1cb61bb945626ff2b4091d87e622ee3ad600160592325"), withLF, ""},
		{"legacy sha1 (derived), allow_sha1", sha1, hdr("X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), body, ""},
		{"legacy sha1 (derived), default config", v, hdr("X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), body, ReasonMissing},
		{"legacy sha1 ignored when sha256 present", sha1, hdr("X-Hub-Signature-256", "sha256="+hexHMAC256("wrong secret!!", string(body)), "X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), body, ReasonMismatch},
		{"no sha256= prefix", v, hdr("X-Hub-Signature-256", githubDocsSig[len("sha256="):]), body, ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantReason(t, c.v.Verify(&Request{Header: c.header, Body: c.body}), c.want)
		})
	}
}

// The octokit payload examples, each signed (DERIVED) over the exact file bytes.
func TestVectorsGitHubFixtures(t *testing.T) {
	v := mustNew(t, "github", Config{Secrets: []string{githubDocsSecret}})
	fixtures := []struct {
		file string
		size int
		sig  string
	}{
		{"installation.created.json", 3329, "sha256=c6a72c221581535a1d22e6c4fcabfa62f3b8897e7b4ddbd60524b11648564255"},
		{"issues.opened.json", 13521, "sha256=875f5b04149debbe128e0521dadfa4afc90d192439111d59096790feb11b64d5"},
		{"ping.json", 7633, "sha256=0781a4c342e19ba538f4541868124c3fc6deb4b56ae69a04a38e6cd5c188806a"},
		{"pull_request.opened.json", 28011, "sha256=9dc478d9f168340c18752a2c72bfbec57a9230b5a8af4e1b5cd19e4469a0e55a"},
		{"push.json", 7324, "sha256=27ff3b2dbb02e7c8d6ab08b0d8d6faa2b2be5dba436346ac7616884f476acdc8"},
		{"push.with-no-username-committer.json", 8761, "sha256=93f74e1978a80d06969d4a7a6a7b730fe1a4e7e5e867e5413a78487a48444e03"},
		{"workflow_run.completed.json", 21908, "sha256=54e36d3495c5dcb94038f73113b6de077b7d27120cc921718077a00abcafca42"},
	}
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			body := readTestdata(t, "github/"+f.file)
			if len(body) != f.size {
				t.Fatalf("fixture is %d bytes, VECTORS.md says %d", len(body), f.size)
			}
			wantReason(t, v.Verify(&Request{Header: hdr("X-Hub-Signature-256", f.sig), Body: body}), "")
			// Without the trailing newline the signature no longer holds.
			wantReason(t, v.Verify(&Request{Header: hdr("X-Hub-Signature-256", f.sig), Body: body[:len(body)-1]}), ReasonMismatch)
		})
	}
}

func TestVectorsSlack(t *testing.T) {
	body := readTestdata(t, "vectors/slack_docs_slash_command.body")
	if len(body) != 362 {
		t.Fatalf("slack body is %d bytes, want 362", len(body))
	}
	v := mustNew(t, "slack", Config{Secrets: []string{slackDocsSecret}})
	now := at(1531420618)
	signed := hdr("X-Slack-Request-Timestamp", slackDocsTS, "X-Slack-Signature", slackDocsSig)
	cases := []struct {
		name   string
		header http.Header
		body   []byte
		now    time.Time
		want   Reason
	}{
		{"published, clock pinned", signed, body, now, ""},
		{"published, lower-case header names", lowerKeys(signed), body, now, ""},
		{"published, real clock", signed, body, time.Now(), ReasonStale},
		{"body + ------", signed, append(append([]byte(nil), body...), "------"...), now, ReasonMismatch},
		{"no body", signed, nil, now, ReasonMismatch},
		{"no timestamp", hdr("X-Slack-Signature", slackDocsSig), body, now, ReasonMissing},
		{"no signature", hdr("X-Slack-Request-Timestamp", slackDocsTS), body, now, ReasonMissing},
		{"no headers", http.Header{}, body, now, ReasonMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantReason(t, v.Verify(&Request{Header: c.header, Body: c.body, Now: c.now}), c.want)
		})
	}
	for _, secret := range []string{"", "   ", "\t\n", " " + slackDocsSecret} {
		if _, err := New("slack", Config{Secrets: []string{secret}}); err == nil {
			t.Errorf("secret %q accepted at build time", secret)
		}
	}
}

func TestVectorsStandardWebhooks(t *testing.T) {
	body := readTestdata(t, "vectors/standardwebhooks_sign_test.body")
	key, err := DecodeStandardSecret(swSecret)
	if err != nil || len(key) != 24 {
		t.Fatalf("DecodeStandardSecret: %d bytes, %v", len(key), err)
	}
	v := mustNew(t, "standard-webhooks", Config{Secrets: []string{swSecret}})
	now := at(1614265330)
	headers := func(id, ts, sig string) http.Header {
		return hdr("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)
	}
	// A valid v1 signature for another timestamp, computed independently.
	sigAt := func(ts string) string { return "v1," + b64HMAC256(key, swID+"."+ts+"."+string(body)) }
	if got := sigAt(swTS); got != swSig {
		t.Fatalf("independent signer disagrees with the published vector: %s", got)
	}
	stale := unix(now.Add(-5*time.Minute - time.Second))
	future := unix(now.Add(5*time.Minute + time.Second))
	list := swBogus + " v2," + swBogus[3:] + " " + swSig + " " + swBogus
	cases := []struct {
		name   string
		header http.Header
		want   Reason
	}{
		{"published", headers(swID, swTS, swSig), ""},
		{"published, lower-case header names", lowerKeys(headers(swID, swTS, swSig)), ""},
		{"published, svix names on a webhook-* verifier", hdr("svix-id", swID, "svix-timestamp", swTS, "svix-signature", swSig), ReasonMissing},
		{"space-separated list with one valid v1", headers(swID, swTS, list), ""},
		{"missing webhook-id", hdr("webhook-timestamp", swTS, "webhook-signature", swSig), ReasonMissing},
		{"missing webhook-timestamp", hdr("webhook-id", swID, "webhook-signature", swSig), ReasonMissing},
		{"missing webhook-signature", hdr("webhook-id", swID, "webhook-timestamp", swTS), ReasonMissing},
		{"wrong signature", headers(swID, swTS, swBogus), ReasonMismatch},
		{"v1, with no value", headers(swID, swTS, "v1,"), ReasonMalformed},
		{"only v2 entries", headers(swID, swTS, "v2,"+swSig[3:]), ReasonMissing},
		{"timestamp 5m1s old", headers(swID, stale, sigAt(stale)), ReasonStale},
		{"timestamp 5m1s ahead", headers(swID, future, sigAt(future)), ReasonFuture},
		{"other id", headers("msg_other", swTS, swSig), ReasonMismatch},
		{"non-canonical timestamp", headers(swID, "0"+swTS, swSig), ReasonMalformed},
		{"misconfig (derived): key not base64-decoded", headers(swID, swTS, "v1,ELhqG0Ku1gwOc1f4jyKdp3SFGFLAOdJ9bvpWLciCakI="), ReasonMismatch},
		{"misconfig (derived): whsec_ prefix kept in key", headers(swID, swTS, "v1,TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b+LcUg="), ReasonMismatch},
		// The spec's example header (no secret published): it parses, one v1 and one
		// v1a, and matches nothing of ours.
		{"spec example header, clock at the published vector", headers("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "1674087231", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="), ReasonFuture},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantReason(t, v.Verify(&Request{Header: c.header, Body: body, Now: now}), c.want)
		})
	}
	t.Run("spec example header at its own time", func(t *testing.T) {
		h := headers("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "1674087231", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==")
		sigs, err := parseStandardSignatures(h.Get("webhook-signature"))
		if err != nil || len(sigs.v1) != 1 || len(sigs.v1a) != 1 {
			t.Fatalf("parse: %d v1, %d v1a, %v", len(sigs.v1), len(sigs.v1a), err)
		}
		wantReason(t, v.Verify(&Request{Header: h, Body: body, Now: at(1674087231)}), ReasonMismatch)
	})
	t.Run("timestamp swapped to 2000-01-01, window satisfied", func(t *testing.T) {
		// The timestamp is signed: moving it breaks the signature even when the
		// clock agrees with the new value.
		err := v.Verify(&Request{Header: headers(swID, "946684800", swSig), Body: body, Now: at(946684800)})
		wantReason(t, err, ReasonMismatch)
	})
	t.Run("window edges are inclusive", func(t *testing.T) {
		for _, ts := range []time.Time{now.Add(-5 * time.Minute), now.Add(5 * time.Minute)} {
			s := unix(ts)
			wantReason(t, v.Verify(&Request{Header: headers(swID, s, sigAt(s)), Body: body, Now: now}), "")
		}
	})
	t.Run("svix header_prefix", func(t *testing.T) {
		sv := mustNew(t, "standard-webhooks", Config{Secrets: []string{swSecret}, Options: map[string]string{"header_prefix": "svix"}})
		h := hdr("svix-id", swID, "svix-timestamp", swTS, "svix-signature", swSig)
		wantReason(t, sv.Verify(&Request{Header: h, Body: body, Now: now}), "")
		wantReason(t, sv.Verify(&Request{Header: lowerKeys(h), Body: body, Now: now}), "")
		wantReason(t, sv.Verify(&Request{Header: headers(swID, swTS, swSig), Body: body, Now: now}), ReasonMissing)
	})
	t.Run("secret without whsec_ prefix is the same key", func(t *testing.T) {
		bare := mustNew(t, "standard-webhooks", Config{Secrets: []string{swSecret[len("whsec_"):]}})
		wantReason(t, bare.Verify(&Request{Header: headers(swID, swTS, swSig), Body: body, Now: now}), "")
	})
	for _, secret := range []string{"", "whsec_"} {
		if _, err := New("standard-webhooks", Config{Secrets: []string{secret}}); err == nil {
			t.Errorf("secret %q accepted at build time", secret)
		}
	}
}

func TestVectorsStripe(t *testing.T) {
	body := readTestdata(t, "vectors/stripe_derived.body")
	if len(body) != 51 {
		t.Fatalf("stripe body is %d bytes, want 51", len(body))
	}
	v := mustNew(t, "stripe", Config{Secrets: []string{stripeSecret}})
	now := at(1614265330)
	sig := func(secret, ts string) string { return hexHMAC256(secret, ts+"."+string(body)) }
	rolled := stripeSecret + "_rolled_key"
	both := stripeSig + ",v1=" + sig(rolled, stripeTS)
	cases := []struct {
		name   string
		v      Verifier
		header string
		now    time.Time
		want   Reason
	}{
		{"derived", v, stripeSig, now, ""},
		{"empty header", v, "", now, ReasonMissing},
		{"v1,t=1", v, "v1,t=1", now, ReasonMalformed},
		{"t=", v, "t=", now, ReasonMalformed},
		{"t= empty with valid v1", v, "t=," + stripeSig[len("t=1614265330,"):], now, ReasonMalformed},
		{"valid + v1=bad_signature", v, stripeSig + ",v1=bad_signature", now, ""},
		{"v0 only", v, "t=" + stripeTS + ",v0=" + sig(stripeSecret, stripeTS), now, ReasonMissing},
		{"unknown keys ignored", v, "t=" + stripeTS + ",v9=zz,foo=bar,v1=" + sig(stripeSecret, stripeTS), now, ""},
		{"no t", v, "v1=" + sig(stripeSecret, stripeTS), now, ReasonMalformed},
		{"two t", v, stripeSig + ",t=" + stripeTS, now, ReasonMalformed},
		{"trailing comma", v, stripeSig + ",", now, ReasonMalformed},
		{"rolled: two v1, old secret", v, both, now, ""},
		{"rolled: two v1, rolled secret", mustNew(t, "stripe", Config{Secrets: []string{rolled}}), both, now, ""},
		{"15s old, 10s tolerance", mustNew(t, "stripe", Config{Secrets: []string{stripeSecret}, Tolerance: 10 * time.Second}), stripeSig, now.Add(15 * time.Second), ReasonStale},
		{"15s old, 20s tolerance", mustNew(t, "stripe", Config{Secrets: []string{stripeSecret}, Tolerance: 20 * time.Second}), stripeSig, now.Add(15 * time.Second), ""},
		{"6 minutes in the future (stripe-go would accept)", v, stripeSig, now.Add(-6 * time.Minute), ReasonFuture},
		{"real clock", v, stripeSig, time.Now(), ReasonStale},
		// Stripe's docs example (secret unpublished): parses, matches nothing of ours.
		{"docs example header", v, "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", at(1492774577), ReasonMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.header != "" {
				h.Set("Stripe-Signature", c.header)
			}
			wantReason(t, c.v.Verify(&Request{Header: h, Body: body, Now: c.now}), c.want)
			if c.want == "" {
				wantReason(t, c.v.Verify(&Request{Header: lowerKeys(h), Body: body, Now: c.now}), "")
			}
		})
	}
}

func TestVectorsShopify(t *testing.T) {
	body := readTestdata(t, "vectors/shopify_app_js_validate_test.body")
	v := mustNew(t, "shopify", Config{Secrets: []string{shopifySecret}})
	cases := []struct {
		name   string
		header http.Header
		body   []byte
		want   Reason
	}{
		{"published", hdr("X-Shopify-Hmac-Sha256", shopifySig), body, ""},
		{"published, lower-case header name", lowerKeys(hdr("X-Shopify-Hmac-Sha256", shopifySig)), body, ""},
		{"empty hmac", hdr("X-Shopify-Hmac-Sha256", ""), body, ReasonMissing},
		{"wrong hmac", hdr("X-Shopify-Hmac-Sha256", b64HMAC256([]byte("other_secret_key"), string(body))), body, ReasonMismatch},
		{"no body", hdr("X-Shopify-Hmac-Sha256", shopifySig), nil, ReasonMismatch},
		{"hex instead of base64", hdr("X-Shopify-Hmac-Sha256", hexHMAC256(shopifySecret, string(body))), body, ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantReason(t, v.Verify(&Request{Header: c.header, Body: c.body}), c.want)
		})
	}
}
