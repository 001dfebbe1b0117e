package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
)

// GitHub signs the body with HMAC-SHA256 of the raw secret and sends
// "sha256=<hex>" in X-Hub-Signature-256. There is no timestamp, so there is
// no replay window: the delivery id (workflow ID) absorbs redeliveries.
//
// Option allow_sha1 ("true"/"false", default false) also accepts the legacy
// "X-Hub-Signature: sha1=<hex>" (HMAC-SHA1), and only when the request has no
// X-Hub-Signature-256: a present SHA-256 header is always the one checked.
type gitHub struct {
	keys      [][]byte
	allowSHA1 bool
}

func init() { Register("github", newGitHub) }

func newGitHub(cfg Config) (Verifier, error) {
	if err := checkOptions(cfg.Options, "allow_sha1"); err != nil {
		return nil, err
	}
	allowSHA1, err := boolOption(cfg.Options, "allow_sha1")
	if err != nil {
		return nil, err
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	return &gitHub{keys: rawKeys(cfg.Secrets), allowSHA1: allowSHA1}, nil
}

func (g *gitHub) Verify(r *Request) error {
	name, algo, newHash, size := "X-Hub-Signature-256", "sha256", sha256.New, sha256.Size
	header := headerValue(r.Header, name)
	if header == "" && g.allowSHA1 {
		name, algo, newHash, size = "X-Hub-Signature", "sha1", sha1.New, sha1.Size
		header = headerValue(r.Header, name)
		if header == "" {
			return refuse(ReasonMissing, "neither X-Hub-Signature-256 nor X-Hub-Signature is present")
		}
	}
	if header == "" {
		return refuse(ReasonMissing, "X-Hub-Signature-256 header is missing")
	}
	hexSig, ok := strings.CutPrefix(header, algo+"=")
	if !ok {
		return refuse(ReasonMalformed, "%s must start with %q", name, algo+"=")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != size {
		return refuse(ReasonMalformed, "%s is not a hex %s digest", name, algo)
	}
	for _, key := range g.keys {
		if hmac.Equal(got, hmacSum(newHash, key, r.Body)) {
			return nil
		}
	}
	return refuse(ReasonMismatch, "%s does not match the body", name)
}

func hmacSHA256(key []byte, parts ...[]byte) []byte {
	return hmacSum(sha256.New, key, parts...)
}

func hmacSum(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func rawKeys(secrets []string) [][]byte {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(s)
	}
	return keys
}
