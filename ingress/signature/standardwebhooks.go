package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Standard Webhooks: the signed content is "<webhook-id>.<webhook-timestamp>.<body>"
// and webhook-signature is a space-separated list of "<version>,<base64>"
// entries, so a sender can rotate keys and algorithms:
//
//   - v1:  HMAC-SHA256 with a symmetric key, configured as "whsec_<base64>" (or
//     bare base64). The HMAC itself is computed by the reference library.
//   - v1a: ed25519, configured as the sender's public key "whpk_<base64>".
//
// A source may mix both kinds of secret; any valid entry under any live key
// passes. Entries of other versions, and v1/v1a entries whose value does not
// decode to a signature of the right size, are skipped. The replay window is
// ours (the library's is fixed and reads the wall clock).
//
// Option header_prefix ("webhook", default, or "svix") selects the header names:
// Svix sends the same scheme as svix-id, svix-timestamp and svix-signature.
type standardWebhooks struct {
	hooks     []*standardwebhooks.Webhook // v1 keys
	pubKeys   []ed25519.PublicKey         // v1a keys
	idHeader  string
	tsHeader  string
	sigHeader string
	tolerance time.Duration
}

const (
	// Standard Webhooks asks for 24 to 64 random bytes of key.
	minStandardKeyLen = 24
	// maxEd25519Sigs bounds the public-key work one request can cause
	// (keys × v1a entries); a sender rotating keys sends two or three.
	maxEd25519Sigs = 8
)

func init() { Register("standard-webhooks", newStandardWebhooks) }

func newStandardWebhooks(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options, "header_prefix"); err != nil {
		return nil, err
	}
	prefix := "webhook"
	switch p, ok := cfg.Options["header_prefix"]; {
	case !ok || p == "webhook":
	case p == "svix":
		prefix = "svix"
	default:
		return nil, errors.New(`option header_prefix must be "webhook" or "svix"`)
	}
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("no secrets configured")
	}
	sw := &standardWebhooks{
		idHeader:  prefix + "-id",
		tsHeader:  prefix + "-timestamp",
		sigHeader: prefix + "-signature",
		tolerance: cfg.Tolerance,
	}
	for i, s := range cfg.Secrets {
		switch {
		case strings.HasPrefix(s, "whpk_"):
			pub, err := decodeStandardPublicKey(s)
			if err != nil {
				return nil, fmt.Errorf("secret #%d: %w", i+1, err)
			}
			sw.pubKeys = append(sw.pubKeys, pub)
		case strings.HasPrefix(s, "whsk_"):
			return nil, fmt.Errorf("secret #%d is a whsk_ signing (private) key: configure the sender's whpk_ public key instead", i+1)
		default:
			key, err := DecodeStandardSecret(s)
			if err != nil {
				return nil, fmt.Errorf("secret #%d: %w", i+1, err)
			}
			hook, err := standardwebhooks.NewWebhookRaw(key)
			if err != nil {
				return nil, fmt.Errorf("secret #%d: %w", i+1, err)
			}
			sw.hooks = append(sw.hooks, hook)
		}
	}
	return sw, nil
}

// DecodeStandardSecret turns "whsec_<base64>" (or bare base64) into key bytes.
func DecodeStandardSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("not a whsec_ base64 secret")
	}
	if len(key) < minStandardKeyLen {
		return nil, fmt.Errorf("key is %d bytes, Standard Webhooks needs at least %d", len(key), minStandardKeyLen)
	}
	return key, nil
}

// decodeStandardPublicKey turns "whpk_<base64>" into an ed25519 public key.
func decodeStandardPublicKey(secret string) (ed25519.PublicKey, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whpk_"))
	if err != nil {
		return nil, fmt.Errorf("not a whpk_ base64 public key")
	}
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("whpk_ key is %d bytes, an ed25519 public key is %d", len(key), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(key), nil
}

// standardSignatures is a parsed signature header: v1 values kept as the
// base64 text (compared as the reference library does), v1a values decoded.
type standardSignatures struct {
	v1  []string
	v1a [][]byte
}

var strictB64 = base64.StdEncoding.Strict()

// parseStandardSignatures reads a space-separated "<version>,<base64>" list.
func parseStandardSignatures(header string) (standardSignatures, error) {
	var (
		sigs     standardSignatures
		sawKnown bool
	)
	for entry := range strings.FieldsSeq(header) {
		version, value, ok := strings.Cut(entry, ",")
		if !ok {
			continue
		}
		switch version {
		case "v1":
			sawKnown = true
			if sig, err := strictB64.DecodeString(value); err == nil && len(sig) == 32 {
				sigs.v1 = append(sigs.v1, value)
			}
		case "v1a":
			sawKnown = true
			if sig, err := strictB64.DecodeString(value); err == nil && len(sig) == ed25519.SignatureSize {
				if len(sigs.v1a) == maxEd25519Sigs {
					return sigs, refuse(ReasonMalformed, "signature header carries more than %d v1a signatures", maxEd25519Sigs)
				}
				sigs.v1a = append(sigs.v1a, sig)
			}
		}
	}
	if len(sigs.v1) == 0 && len(sigs.v1a) == 0 {
		if sawKnown {
			return sigs, refuse(ReasonMalformed, "no v1 or v1a entry in the signature header is a base64 signature")
		}
		return sigs, refuse(ReasonMissing, "signature header has no v1 or v1a signature")
	}
	return sigs, nil
}

func (s *standardWebhooks) Verify(r *Request) error {
	id := headerValue(r.Header, s.idHeader)
	rawTS := headerValue(r.Header, s.tsHeader)
	sigHeader := headerValue(r.Header, s.sigHeader)
	for _, h := range [...]struct{ name, value string }{
		{s.idHeader, id}, {s.tsHeader, rawTS}, {s.sigHeader, sigHeader},
	} {
		if h.value == "" {
			return refuse(ReasonMissing, "%s header is missing", h.name)
		}
	}
	sec, ok := parseUnix(rawTS)
	if !ok {
		return refuse(ReasonMalformed, "%s is not a unix timestamp", s.tsHeader)
	}
	ts := time.Unix(sec, 0)
	if err := checkWindow(ts, r.now(), s.tolerance); err != nil {
		return err
	}
	sigs, err := parseStandardSignatures(sigHeader)
	if err != nil {
		return err
	}
	if len(sigs.v1) > 0 {
		for _, hook := range s.hooks {
			want, err := hook.Sign(id, ts, r.Body)
			if err != nil {
				continue
			}
			want = strings.TrimPrefix(want, "v1,")
			for _, got := range sigs.v1 {
				if hmac.Equal([]byte(got), []byte(want)) {
					return nil
				}
			}
		}
	}
	if len(sigs.v1a) > 0 && len(s.pubKeys) > 0 {
		content := make([]byte, 0, len(id)+len(rawTS)+2+len(r.Body))
		content = append(append(append(append(append(content, id...), '.'), rawTS...), '.'), r.Body...)
		for _, pub := range s.pubKeys {
			for _, sig := range sigs.v1a {
				if ed25519.Verify(pub, content, sig) {
					return nil
				}
			}
		}
	}
	return refuse(ReasonMismatch, "no signature in %s matches the body", s.sigHeader)
}
