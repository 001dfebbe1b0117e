package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Slack v0: X-Slack-Signature is "v0=<hex>" of HMAC-SHA256, keyed by the app's
// signing secret as raw bytes, over "v0:<X-Slack-Request-Timestamp>:<body>".
// The timestamp must lie within the replay window in either direction.
type slack struct {
	keys      [][]byte
	tolerance time.Duration
}

func init() { Register("slack", newSlack) }

func newSlack(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options); err != nil {
		return nil, err
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	return &slack{keys: rawKeys(cfg.Secrets), tolerance: cfg.Tolerance}, nil
}

func (s *slack) Verify(r *Request) error {
	header := headerValue(r.Header, "X-Slack-Signature")
	if header == "" {
		return refuse(ReasonMissing, "X-Slack-Signature header is missing")
	}
	rawTS := headerValue(r.Header, "X-Slack-Request-Timestamp")
	if rawTS == "" {
		return refuse(ReasonMissing, "X-Slack-Request-Timestamp header is missing")
	}
	hexSig, ok := strings.CutPrefix(header, "v0=")
	if !ok {
		return refuse(ReasonMalformed, `X-Slack-Signature must start with "v0="`)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return refuse(ReasonMalformed, "X-Slack-Signature is not a hex SHA-256 digest")
	}
	sec, ok := parseUnix(rawTS)
	if !ok {
		return refuse(ReasonMalformed, "X-Slack-Request-Timestamp is not a unix timestamp")
	}
	if err := checkWindow(time.Unix(sec, 0), r.now(), s.tolerance); err != nil {
		return err
	}
	prefix := []byte("v0:" + rawTS + ":")
	for _, key := range s.keys {
		if hmac.Equal(got, hmacSHA256(key, prefix, r.Body)) {
			return nil
		}
	}
	return refuse(ReasonMismatch, "X-Slack-Signature does not match the body")
}
