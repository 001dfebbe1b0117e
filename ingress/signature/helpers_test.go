package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readTestdata returns a file under testdata/.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustNew builds a verifier or fails the test.
func mustNew(tb testing.TB, scheme string, cfg Config) Verifier {
	tb.Helper()
	v, err := New(scheme, cfg)
	if err != nil {
		tb.Fatalf("New(%q): %v", scheme, err)
	}
	return v
}

// hdr builds a header from name/value pairs through Set (canonical keys).
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// lowerKeys copies h with every key lower-cased and stored as is (not
// canonicalized), as a hand-built or replayed header map would hold it.
func lowerKeys(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		out[strings.ToLower(k)] = append([]string(nil), vs...)
	}
	return out
}

// The helpers below sign independently of the package code, so a test that
// passes is not the package agreeing with itself.

func testHMAC256(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func hexHMAC256(key string, parts ...string) string {
	return hex.EncodeToString(testHMAC256([]byte(key), parts...))
}

func b64HMAC256(key []byte, parts ...string) string {
	return base64.StdEncoding.EncodeToString(testHMAC256(key, parts...))
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// wantReason fails unless err is a refusal with the given reason.
func wantReason(tb testing.TB, err error, want Reason) {
	tb.Helper()
	if want == "" {
		if err != nil {
			tb.Fatalf("want success, got %v", err)
		}
		return
	}
	if err == nil {
		tb.Fatalf("want refusal %s, got success", want)
	}
	if got := ReasonOf(err); got != want {
		tb.Fatalf("want refusal %s, got %v", want, err)
	}
}
