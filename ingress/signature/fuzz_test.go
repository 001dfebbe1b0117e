package signature

import (
	"crypto/ed25519"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// Fuzz targets for every header parser. Each asserts that Verify does not
// panic, that every refusal is a typed *Error, and that a request is accepted
// only when an independent computation says the signature is right, so a
// random or mangled signature is never let through. Seed corpora are a few
// entries each, so plain `go test` stays fast; run one with e.g.
//
//	go test -run '^$' -fuzz '^FuzzStripeSignature$' -fuzztime 30s ./ingress/signature/

// checkRefusal fails on an untyped error.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if err != nil && ReasonOf(err) == "" {
		t.Fatalf("refusal is not an *Error: %v", err)
	}
}

func setIf(h http.Header, name, value string) {
	if value != "" {
		h[http.CanonicalHeaderKey(name)] = []string{value}
	}
}

func FuzzStripeSignature(f *testing.F) {
	body := []byte("{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}")
	f.Add(stripeSig, body)
	f.Add(stripeSig+",v1=bad_signature,v0=00", body)
	f.Add("t=1614265330,v1="+strings.Repeat("0", 64), body)
	f.Add("v1,t=1", []byte{})
	f.Add("t=,=,,v1=", []byte("x"))
	v := mustNew(f, "stripe", Config{Secrets: []string{stripeSecret}})
	now := at(1614265330)
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		h := http.Header{}
		setIf(h, "Stripe-Signature", header)
		err := v.Verify(&Request{Header: h, Body: body, Now: now})
		checkRefusal(t, err)
		if err != nil {
			return
		}
		var ts string
		var v1 []string
		for pair := range strings.SplitSeq(header, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(pair), "=")
			switch k {
			case "t":
				ts = val
			case "v1":
				v1 = append(v1, val)
			}
		}
		want := hexHMAC256(stripeSecret, ts+"."+string(body))
		for _, s := range v1 {
			if strings.EqualFold(s, want) {
				return
			}
		}
		t.Fatalf("accepted %q without a valid v1", header)
	})
}

func FuzzStandardWebhooksSignature(f *testing.F) {
	body := []byte(`{"test": 2432232314}`)
	f.Add(swID, swTS, swSig, body)
	f.Add(swID, swTS, swBogus+" v2,xx "+swSig, body)
	f.Add(swID, swTS, "v1, v1a,"+strings.Repeat("A", 86)+"==", body)
	f.Add("", "0", "v1a,", []byte{})
	priv := edKey(0)
	key, _ := DecodeStandardSecret(swSecret)
	v := mustNew(f, "standard-webhooks", Config{Secrets: []string{swSecret, edPublic(0)}})
	now := at(1614265330)
	f.Add(swID, swTS, "v1a,"+base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(swID+"."+swTS+"."+string(body)))), body)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		if _, err := parseStandardSignatures(sig); err != nil {
			checkRefusal(t, err)
		}
		h := http.Header{}
		setIf(h, "webhook-id", id)
		setIf(h, "webhook-timestamp", ts)
		setIf(h, "webhook-signature", sig)
		err := v.Verify(&Request{Header: h, Body: body, Now: now})
		checkRefusal(t, err)
		if err != nil {
			return
		}
		content := id + "." + ts + "." + string(body)
		wantV1 := "v1," + b64HMAC256(key, content)
		for entry := range strings.FieldsSeq(sig) {
			if entry == wantV1 {
				return
			}
			if raw, ok := strings.CutPrefix(entry, "v1a,"); ok {
				if s, err := base64.StdEncoding.DecodeString(raw); err == nil &&
					ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte(content), s) {
					return
				}
			}
		}
		t.Fatalf("accepted %q without a valid entry", sig)
	})
}

func FuzzSlackSignature(f *testing.F) {
	body := []byte("token=xyz&team_id=T1")
	f.Add(slackDocsSig, slackDocsTS, body)
	f.Add("v0="+hexHMAC256(slackDocsSecret, "v0:"+slackDocsTS+":"+string(body)), slackDocsTS, body)
	f.Add("v0=", "01531420618", []byte{})
	f.Add("v1=zz", "-1", []byte("a"))
	v := mustNew(f, "slack", Config{Secrets: []string{slackDocsSecret}})
	now := at(1531420618)
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		h := http.Header{}
		setIf(h, "X-Slack-Signature", sig)
		setIf(h, "X-Slack-Request-Timestamp", ts)
		err := v.Verify(&Request{Header: h, Body: body, Now: now})
		checkRefusal(t, err)
		if err == nil && !strings.EqualFold(sig, "v0="+hexHMAC256(slackDocsSecret, "v0:"+ts+":"+string(body))) {
			t.Fatalf("accepted %q", sig)
		}
	})
}

func FuzzGitHubSignature(f *testing.F) {
	body := []byte("Hello, World!")
	f.Add(githubDocsSig, "", body)
	f.Add("", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", body)
	f.Add("sha256=", "sha1=", []byte{})
	f.Add("SHA256="+strings.Repeat("f", 64), "", body)
	v := mustNew(f, "github", Config{Secrets: []string{githubDocsSecret}, Options: map[string]string{"allow_sha1": "true"}})
	f.Fuzz(func(t *testing.T, sig256, sig1 string, body []byte) {
		h := http.Header{}
		setIf(h, "X-Hub-Signature-256", sig256)
		setIf(h, "X-Hub-Signature", sig1)
		err := v.Verify(&Request{Header: h, Body: body})
		checkRefusal(t, err)
		if err != nil {
			return
		}
		if sig256 != "" {
			if !strings.EqualFold(sig256, "sha256="+hexHMAC256(githubDocsSecret, string(body))) {
				t.Fatalf("accepted %q", sig256)
			}
		} else if !strings.EqualFold(sig1, "sha1="+hex.EncodeToString(macWith(sha1.New, githubDocsSecret, string(body)))) {
			t.Fatalf("accepted %q", sig1)
		}
	})
}

func FuzzGenericHMACSignature(f *testing.F) {
	const secret = "generic-fuzz-secret"
	body := []byte(`{"a":1}`)
	ts := "1614265330"
	f.Add("sha256="+hexHMAC256(secret, "id1."+ts+"."+string(body)), ts, "id1", body)
	f.Add("sha256=", ts, "", []byte{})
	f.Add("sha256="+strings.Repeat("0", 64), "1614265330000", "x", body)
	v := mustNew(f, "hmac", Config{Secrets: []string{secret}, Options: map[string]string{
		"header": "X-Sig", "prefix": "sha256=", "template": "{id}.{timestamp}.{body}",
		"timestamp_header": "X-Ts", "id_header": "X-Id",
	}})
	now := at(1614265330)
	f.Fuzz(func(t *testing.T, sig, ts, id string, body []byte) {
		h := http.Header{}
		setIf(h, "X-Sig", sig)
		setIf(h, "X-Ts", ts)
		setIf(h, "X-Id", id)
		err := v.Verify(&Request{Header: h, Body: body, Now: now})
		checkRefusal(t, err)
		if err == nil && !strings.EqualFold(sig, "sha256="+hexHMAC256(secret, id+"."+ts+"."+string(body))) {
			t.Fatalf("accepted %q", sig)
		}
	})
}

func FuzzShopifySignature(f *testing.F) {
	body := []byte(`{"foo": "bar"}`)
	f.Add(shopifySig, body)
	f.Add("B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7h=", body)
	f.Add("====", []byte{})
	v := mustNew(f, "shopify", Config{Secrets: []string{shopifySecret}})
	f.Fuzz(func(t *testing.T, sig string, body []byte) {
		h := http.Header{}
		setIf(h, "X-Shopify-Hmac-Sha256", sig)
		err := v.Verify(&Request{Header: h, Body: body})
		checkRefusal(t, err)
		if err == nil && sig != b64HMAC256([]byte(shopifySecret), string(body)) {
			t.Fatalf("accepted %q", sig)
		}
	})
}

func FuzzAuthorization(f *testing.F) {
	const token = "fuzz-bearer-token-123"
	const cred = "hooks:fuzz-basic-password"
	f.Add("Bearer " + token)
	f.Add("Basic " + base64.StdEncoding.EncodeToString([]byte(cred)))
	f.Add("bearer  " + token + " ")
	f.Add("Basic ====")
	bearerV := mustNew(f, "bearer", Config{Secrets: []string{token}})
	basicV := mustNew(f, "basic", Config{Secrets: []string{cred}})
	f.Fuzz(func(t *testing.T, value string) {
		h := http.Header{}
		setIf(h, "Authorization", value)
		err := bearerV.Verify(&Request{Header: h})
		checkRefusal(t, err)
		if err == nil && (len(value) < 7 || !strings.EqualFold(value[:7], "bearer ") || strings.Trim(value[7:], " ") != token) {
			t.Fatalf("bearer accepted %q", value)
		}
		err = basicV.Verify(&Request{Header: h})
		checkRefusal(t, err)
		if err != nil {
			return
		}
		if len(value) < 6 || !strings.EqualFold(value[:6], "basic ") {
			t.Fatalf("basic accepted %q", value)
		}
		if got, _ := base64.StdEncoding.DecodeString(strings.Trim(value[6:], " ")); string(got) != cred {
			t.Fatalf("basic accepted %q", value)
		}
	})
}
