package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Stripe sends "Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]" where v1 is
// HMAC-SHA256 over "<t>.<body>" keyed by the endpoint secret used as raw bytes
// (the whsec_ prefix included, no base64 decoding). During a secret roll Stripe
// sends several v1 entries; any may match. Other keys (v0, the fake scheme test
// mode sends) are ignored, and so is a v1 value that is not a hex SHA-256
// digest. A header with no usable v1 is refused, as is a timestamp outside the
// replay window in either direction (stripe-go only checks the past).
type stripe struct {
	keys      [][]byte
	tolerance time.Duration
}

func init() { Register("stripe", newStripe) }

func newStripe(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options); err != nil {
		return nil, err
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	return &stripe{keys: rawKeys(cfg.Secrets), tolerance: cfg.Tolerance}, nil
}

func (s *stripe) Verify(r *Request) error {
	header := headerValue(r.Header, "Stripe-Signature")
	if header == "" {
		return refuse(ReasonMissing, "Stripe-Signature header is missing")
	}
	ts, rawTS, sigs, err := parseStripeHeader(header)
	if err != nil {
		return err
	}
	if err := checkWindow(time.Unix(ts, 0), r.now(), s.tolerance); err != nil {
		return err
	}
	prefix := []byte(rawTS + ".")
	for _, key := range s.keys {
		want := hmacSHA256(key, prefix, r.Body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return refuse(ReasonMismatch, "no v1 signature in Stripe-Signature matches the body")
}

// parseStripeHeader returns the timestamp (parsed and as sent) and the
// decodable v1 signatures. Every entry must be key=value; t must appear once.
func parseStripeHeader(header string) (int64, string, [][]byte, error) {
	var (
		ts    int64
		rawTS string
		hasTS bool
		sigs  [][]byte
	)
	for pair := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return 0, "", nil, refuse(ReasonMalformed, "Stripe-Signature has an entry without '='")
		}
		switch key {
		case "t":
			if hasTS {
				return 0, "", nil, refuse(ReasonMalformed, "Stripe-Signature has more than one t=")
			}
			n, ok := parseUnix(value)
			if !ok || n == 0 {
				return 0, "", nil, refuse(ReasonMalformed, "Stripe-Signature t= is not a unix timestamp")
			}
			ts, rawTS, hasTS = n, value, true
		case "v1":
			if len(value) == hex.EncodedLen(sha256.Size) {
				if sig, err := hex.DecodeString(value); err == nil {
					sigs = append(sigs, sig)
				}
			}
		}
	}
	if !hasTS {
		return 0, "", nil, refuse(ReasonMalformed, "Stripe-Signature has no t= timestamp")
	}
	if len(sigs) == 0 {
		return 0, "", nil, refuse(ReasonMissing, "Stripe-Signature has no v1 signature")
	}
	return ts, rawTS, sigs, nil
}
