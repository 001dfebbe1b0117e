package signature

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// Basic: "Authorization: Basic base64(user:pass)" (RFC 7617), secrets
// configured as "user:pass". The password part must meet MinSecretLen. The
// decoded credential is compared as a SHA-256 digest in constant time. No
// timestamp, no body binding.
type basic struct{ digests [][sha256.Size]byte }

func init() { Register("basic", newBasic) }

func newBasic(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options); err != nil {
		return nil, err
	}
	if len(cfg.Secrets) == 0 {
		return nil, fmt.Errorf("no secrets configured")
	}
	b := &basic{}
	for i, s := range cfg.Secrets {
		_, pass, ok := strings.Cut(s, ":")
		if !ok {
			return nil, fmt.Errorf(`secret #%d is not "user:pass"`, i+1)
		}
		if err := checkSecret(pass, MinSecretLen); err != nil {
			return nil, fmt.Errorf("secret #%d: password %w", i+1, err)
		}
		if strings.ContainsFunc(s, isControl) {
			return nil, fmt.Errorf("secret #%d contains control characters", i+1)
		}
		b.digests = append(b.digests, sha256.Sum256([]byte(s)))
	}
	return b, nil
}

func (b *basic) Verify(r *Request) error {
	value := headerValue(r.Header, "Authorization")
	if value == "" {
		return refuse(ReasonMissing, "Authorization header is missing")
	}
	encoded, ok := cutAuthScheme(value, "Basic")
	if !ok {
		return refuse(ReasonMalformed, `Authorization is not a "Basic <credentials>" credential`)
	}
	cred, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return refuse(ReasonMalformed, "Basic credentials are not base64")
	}
	if !strings.Contains(string(cred), ":") {
		return refuse(ReasonMalformed, `Basic credentials are not "user:pass"`)
	}
	return matchDigest(b.digests, sha256.Sum256(cred), "Authorization")
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }
