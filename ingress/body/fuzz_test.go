package body

import (
	"bytes"
	"errors"
	"net/url"
	"testing"
)

// Seed corpora are a few entries each so plain `go test` stays fast; run one with
//
//	go test -run '^$' -fuzz '^FuzzReadGzip$' -fuzztime 30s ./ingress/body/

const fuzzMaxBytes, fuzzMaxDecoded = 2048, 8192

// FuzzReadGzip feeds arbitrary bytes as a gzip body: no panic, only the
// package's errors, never more than MaxDecoded returned, and the input left
// untouched.
func FuzzReadGzip(f *testing.F) {
	f.Add(gz(f, []byte(`{"a":1}`)), "gzip")
	f.Add(gz(f, make([]byte, 20000)), "x-gzip")
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), "gzip")
	f.Add([]byte("plain"), "identity")
	f.Add([]byte("plain"), "br")
	f.Fuzz(func(t *testing.T, data []byte, enc string) {
		orig := bytes.Clone(data)
		got, err := Read(request(bytes.NewReader(data), enc, -1), Options{MaxBytes: fuzzMaxBytes, MaxDecoded: fuzzMaxDecoded})
		if !bytes.Equal(data, orig) {
			t.Fatal("input modified")
		}
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedEncoding) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if len(got) > fuzzMaxDecoded {
			t.Fatalf("returned %d bytes over the %d cap", len(got), fuzzMaxDecoded)
		}
		if len(data) > fuzzMaxBytes {
			t.Fatalf("accepted %d received bytes over the %d cap", len(data), fuzzMaxBytes)
		}
	})
}

// FuzzReadGzipRoundTrip compresses arbitrary data: Read must give it back
// exactly when it fits both caps, and ErrTooLarge otherwise.
func FuzzReadGzipRoundTrip(f *testing.F) {
	f.Add([]byte(`{"zen":"Design for failure."}`))
	f.Add(bytes.Repeat([]byte{0}, fuzzMaxDecoded+1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		compressed := gz(t, data)
		got, err := Read(request(bytes.NewReader(compressed), "gzip", int64(len(compressed))), Options{MaxBytes: fuzzMaxBytes, MaxDecoded: fuzzMaxDecoded})
		fits := len(compressed) <= fuzzMaxBytes && len(data) <= fuzzMaxDecoded
		switch {
		case fits && (err != nil || !bytes.Equal(got, data)):
			t.Fatalf("round trip of %d bytes: got %d bytes, %v", len(data), len(got), err)
		case !fits && !errors.Is(err, ErrTooLarge):
			t.Fatalf("%d bytes (%d compressed) not refused: %v", len(data), len(compressed), err)
		}
	})
}

// FuzzFormValue checks FormValue against net/url and that the body is never modified.
func FuzzFormValue(f *testing.F) {
	f.Add([]byte("token=x&command=%2Fwebhook-collect&text="), "command")
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%7D"), "payload")
	f.Add([]byte("a=1&a=2;b=%zz&&=&+=+"), "a")
	f.Add([]byte("%"), "")
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		orig := bytes.Clone(body)
		got, err := FormValue(body, key)
		if !bytes.Equal(body, orig) {
			t.Fatal("body modified")
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoField) {
			t.Fatalf("unexpected error type: %v", err)
		}
		values, perr := url.ParseQuery(string(body))
		if perr != nil {
			return // net/url refuses it; FormValue may still read an unrelated well-formed field
		}
		switch n := len(values[key]); {
		case n == 0 && !errors.Is(err, ErrNoField):
			t.Fatalf("absent field: got %q, %v", got, err)
		case n == 1 && (err != nil || got != values[key][0]):
			t.Fatalf("got %q, %v; net/url says %q", got, err, values[key][0])
		case n > 1 && !errors.Is(err, ErrMalformed):
			t.Fatalf("duplicate field: got %q, %v", got, err)
		}
	})
}
