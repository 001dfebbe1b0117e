// Package body reads a webhook request body safely: capped while it is read
// (never buffering more than the cap plus one byte), with a gzip transport
// encoding removed under a second cap on the decoded size, so neither a huge
// upload nor a compression bomb can exhaust memory. The bytes returned are the
// payload exactly as the sender signed it.
package body

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Errors returned by Read, MediaType and FormValue; test with errors.Is. The
// returned error wraps one of these with a detail that is safe to show the
// sender. HTTPStatus maps them to a response code.
var (
	// ErrTooLarge: the body as received, or once decoded, exceeds its cap (413).
	ErrTooLarge = errors.New("request body too large")
	// ErrUnsupportedEncoding: a Content-Encoding other than gzip/x-gzip/identity (415).
	ErrUnsupportedEncoding = errors.New("unsupported content encoding")
	// ErrMalformed: the body (bad gzip), the media type or the form is not well formed (400).
	ErrMalformed = errors.New("malformed request body")
	// ErrNoField: FormValue found no such field.
	ErrNoField = errors.New("form field not present")
)

// HTTPStatus is the response status for an error from this package: 413, 415
// or 400 (also for ErrNoField and for a failed read of the connection).
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupportedEncoding):
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusBadRequest
	}
}

// DefaultMaxBytes is the cap on a body as received when Options.MaxBytes is not set.
const DefaultMaxBytes = 1 << 20

// Options caps what Read accepts.
type Options struct {
	// MaxBytes caps the body as received (compressed, if it is). Zero or
	// negative means DefaultMaxBytes.
	MaxBytes int64
	// MaxDecoded caps the payload Read returns, after any decompression; it
	// applies to an unencoded body too. Zero or negative means MaxBytes.
	MaxDecoded int64
}

func (o Options) limits() (raw, decoded int64) {
	raw = o.MaxBytes
	if raw <= 0 {
		raw = DefaultMaxBytes
	}
	decoded = o.MaxDecoded
	if decoded <= 0 {
		decoded = raw
	}
	return raw, decoded
}

// Read returns the request's payload. It refuses, before reading, a declared
// Content-Length over MaxBytes; stops reading as soon as the body passes
// MaxBytes; removes a gzip (or x-gzip) Content-Encoding, stopping as soon as
// the output passes MaxDecoded; and accepts "identity" as no encoding. Any
// other encoding is ErrUnsupportedEncoding, a corrupt gzip stream ErrMalformed,
// either cap ErrTooLarge. A failed read of the connection is returned wrapped,
// matching none of the sentinels. Read does not change r's headers; the
// caller treats Content-Encoding as consumed.
func Read(r *http.Request, opts Options) ([]byte, error) {
	maxRaw, maxDecoded := opts.limits()
	gzipped, err := contentEncoding(r.Header)
	if err != nil {
		return nil, err
	}
	if r.ContentLength > maxRaw {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the %d-byte limit", ErrTooLarge, r.ContentLength, maxRaw)
	}
	var src io.Reader = http.NoBody
	if r.Body != nil {
		src = r.Body
	}
	capped := &capReader{r: src, left: maxRaw}
	if !gzipped {
		if r.ContentLength > maxDecoded {
			return nil, fmt.Errorf("%w: Content-Length %d exceeds the %d-byte limit", ErrTooLarge, r.ContentLength, maxDecoded)
		}
		b, err := readCapped(capped, min(maxRaw, maxDecoded), r.ContentLength)
		switch {
		case capped.over, errors.Is(err, errDecodedOver):
			return nil, fmt.Errorf("%w: body exceeds the %d-byte limit", ErrTooLarge, min(maxRaw, maxDecoded))
		case err != nil:
			return nil, readError(err)
		}
		return b, nil
	}
	zr, err := gzip.NewReader(capped)
	if err == nil {
		var b []byte
		b, err = readCapped(zr, maxDecoded, -1)
		if err == nil {
			return b, nil
		}
	}
	switch {
	case capped.over:
		return nil, fmt.Errorf("%w: compressed body exceeds the %d-byte limit", ErrTooLarge, maxRaw)
	case errors.Is(err, errDecodedOver):
		return nil, fmt.Errorf("%w: decompressed body exceeds the %d-byte limit", ErrTooLarge, maxDecoded)
	case capped.err != nil:
		return nil, readError(capped.err)
	default:
		return nil, fmt.Errorf("%w: invalid gzip stream", ErrMalformed)
	}
}

// contentEncoding reports whether the body is gzip-encoded, refusing any
// coding other than a single gzip/x-gzip layer (plus "identity", a no-op).
func contentEncoding(h http.Header) (gzipped bool, err error) {
	for _, v := range h.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			switch c := strings.ToLower(strings.TrimSpace(coding)); c {
			case "", "identity":
			case "gzip", "x-gzip":
				if gzipped {
					return false, fmt.Errorf("%w: more than one gzip layer", ErrUnsupportedEncoding)
				}
				gzipped = true
			default:
				return false, fmt.Errorf("%w: %.40q (only gzip is accepted)", ErrUnsupportedEncoding, c)
			}
		}
	}
	return gzipped, nil
}

func readError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	return fmt.Errorf("reading request body: %w", err)
}

// capReader passes through at most left bytes of r; one byte more marks the
// body as over the cap and ends the stream with errRawOver. It remembers the
// underlying reader's own error so a broken connection is not reported as a
// corrupt gzip stream.
type capReader struct {
	r    io.Reader
	left int64
	over bool
	err  error
}

var (
	errRawOver     = errors.New("body over the received-size cap")
	errDecodedOver = errors.New("body over the decoded-size cap")
)

func (c *capReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, errRawOver
	}
	if c.left < int64(len(p)) {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		c.over = true
		return int(c.left), errRawOver
	}
	c.left -= int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// maxUpfront bounds the allocation a declared Content-Length can cause before
// any byte arrives, so idle connections claiming large bodies cost little.
const maxUpfront = 256 << 10

// readCapped reads src to EOF into a buffer that never holds more than limit
// bytes; a byte beyond limit is errDecodedOver. hint (a declared length, or
// -1) sizes the first allocation.
func readCapped(src io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(512)
	if hint >= 0 {
		size = min(hint, maxUpfront)
	}
	buf := make([]byte, 0, min(size, limit))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= limit {
				return buf, probeEOF(src)
			}
			grown := make([]byte, len(buf), min(max(2*int64(cap(buf)), 512), limit))
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// probeEOF succeeds only if src has nothing left.
func probeEOF(src io.Reader) error {
	var one [1]byte
	for {
		n, err := src.Read(one[:])
		if n > 0 {
			return errDecodedOver
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// MediaType returns the lower-case media type ("application/json") of a
// Content-Type value, ignoring its parameters (charset and the like, even
// malformed ones). A missing or unparsable type is ErrMalformed.
func MediaType(contentType string) (string, error) {
	if strings.TrimSpace(contentType) == "" {
		return "", fmt.Errorf("%w: no Content-Type", ErrMalformed)
	}
	// Parameters do not matter here: parse the type alone, so that no
	// parameter, however broken, can make a good type unreadable.
	typ, _, _ := strings.Cut(contentType, ";")
	mt, _, err := mime.ParseMediaType(typ)
	if err != nil {
		return "", fmt.Errorf("%w: Content-Type is not a media type", ErrMalformed)
	}
	if !strings.Contains(mt, "/") {
		return "", fmt.Errorf("%w: Content-Type is not a type/subtype", ErrMalformed)
	}
	return mt, nil
}
