package signature

import (
	"crypto/hmac"
	"crypto/sha256"
)

// Shopify sends X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body)), the
// secret being the app's API secret (or the webhook signing secret shown in the
// admin) used as raw bytes. There is no timestamp: X-Shopify-Webhook-Id is the
// redelivery key.
type shopify struct{ keys [][]byte }

func init() { Register("shopify", newShopify) }

func newShopify(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options); err != nil {
		return nil, err
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	return &shopify{keys: rawKeys(cfg.Secrets)}, nil
}

func (s *shopify) Verify(r *Request) error {
	header := headerValue(r.Header, "X-Shopify-Hmac-Sha256")
	if header == "" {
		return refuse(ReasonMissing, "X-Shopify-Hmac-Sha256 header is missing")
	}
	got, err := strictB64.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return refuse(ReasonMalformed, "X-Shopify-Hmac-Sha256 is not a base64 SHA-256 digest")
	}
	for _, key := range s.keys {
		if hmac.Equal(got, hmacSHA256(key, r.Body)) {
			return nil
		}
	}
	return refuse(ReasonMismatch, "X-Shopify-Hmac-Sha256 does not match the body")
}
