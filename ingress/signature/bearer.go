package signature

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Bearer: a shared token, "Authorization: Bearer <token>". Option header names
// another header that carries the bare token instead (GitLab's X-Gitlab-Token,
// for one); the default is Authorization, where the "Bearer" scheme (any case)
// is required. Tokens are compared as SHA-256 digests in constant time, so the
// comparison leaks neither content nor length. No timestamp, no body binding:
// this proves only that the sender knows the token.
type bearer struct {
	header  string
	digests [][sha256.Size]byte
}

func init() { Register("bearer", newBearer) }

func newBearer(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options, "header"); err != nil {
		return nil, err
	}
	b := &bearer{header: "Authorization"}
	if h, ok := cfg.Options["header"]; ok {
		if !isToken(h) {
			return nil, errors.New("option header is not a valid header name")
		}
		b.header = http.CanonicalHeaderKey(h)
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	for i, s := range cfg.Secrets {
		if strings.ContainsFunc(s, isSpaceOrControl) {
			return nil, fmt.Errorf("secret #%d contains whitespace or control characters, which a token cannot", i+1)
		}
		b.digests = append(b.digests, sha256.Sum256([]byte(s)))
	}
	return b, nil
}

func (b *bearer) Verify(r *Request) error {
	value := headerValue(r.Header, b.header)
	if value == "" {
		return refuse(ReasonMissing, "%s header is missing", b.header)
	}
	token := value
	if b.header == "Authorization" {
		var ok bool
		if token, ok = cutAuthScheme(value, "Bearer"); !ok {
			return refuse(ReasonMalformed, `Authorization is not a "Bearer <token>" credential`)
		}
	}
	if token == "" {
		return refuse(ReasonMalformed, "%s carries an empty token", b.header)
	}
	return matchDigest(b.digests, sha256.Sum256([]byte(token)), b.header)
}

// cutAuthScheme strips "<scheme> " (scheme case-insensitive, RFC 9110) and
// returns the credential with surrounding spaces removed.
func cutAuthScheme(value, scheme string) (string, bool) {
	if len(value) <= len(scheme) || !strings.EqualFold(value[:len(scheme)], scheme) || value[len(scheme)] != ' ' {
		return "", false
	}
	return strings.Trim(value[len(scheme)+1:], " "), true
}

// matchDigest compares got against every configured digest in constant time.
func matchDigest(want [][sha256.Size]byte, got [sha256.Size]byte, header string) error {
	match := 0
	for i := range want {
		match |= subtle.ConstantTimeCompare(want[i][:], got[:])
	}
	if match == 1 {
		return nil
	}
	return refuse(ReasonMismatch, "%s does not carry a valid credential", header)
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }
