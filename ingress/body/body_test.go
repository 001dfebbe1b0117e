package body

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// gzipWriters reuses writers: a new one allocates ~800 KB, which would
// dominate the fuzz targets.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&b)
	if _, err := w.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func request(body io.Reader, encoding string, contentLength int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/x", body)
	if encoding != "" {
		r.Header.Set("Content-Encoding", encoding)
	}
	if contentLength != 0 {
		r.ContentLength = contentLength
	}
	return r
}

// countingReader counts the bytes handed out by an endless stream of 'a'.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

func TestReadPlain(t *testing.T) {
	payload := []byte(`{"zen":"Keep it logically awesome."}`)
	cases := []struct {
		name     string
		encoding string
	}{
		{"no encoding", ""},
		{"identity", "identity"},
		{"Identity upper-case", "IDENTITY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(request(bytes.NewReader(payload), c.encoding, 0), Options{MaxBytes: 1024})
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
	t.Run("empty body", func(t *testing.T) {
		got, err := Read(request(nil, "", 0), Options{})
		if err != nil || len(got) != 0 {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("nil Body", func(t *testing.T) {
		r := request(nil, "", 0)
		r.Body = nil
		if got, err := Read(r, Options{}); err != nil || len(got) != 0 {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("exactly the cap", func(t *testing.T) {
		data := bytes.Repeat([]byte("x"), 1000)
		got, err := Read(request(bytes.NewReader(data), "", 0), Options{MaxBytes: 1000})
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
	})
	t.Run("one-byte reads", func(t *testing.T) {
		data := bytes.Repeat([]byte("xy"), 700)
		r := request(iotest.OneByteReader(bytes.NewReader(data)), "", -1)
		got, err := Read(r, Options{MaxBytes: 1400})
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
	})
}

func TestReadTooLarge(t *testing.T) {
	t.Run("cap plus one", func(t *testing.T) {
		data := bytes.Repeat([]byte("x"), 1001)
		_, err := Read(request(bytes.NewReader(data), "", -1), Options{MaxBytes: 1000})
		if !errors.Is(err, ErrTooLarge) || HTTPStatus(err) != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("declared Content-Length refused before reading", func(t *testing.T) {
		src := &countingReader{}
		_, err := Read(request(src, "", 5000), Options{MaxBytes: 1000})
		if !errors.Is(err, ErrTooLarge) || src.n != 0 {
			t.Fatalf("got %v after reading %d bytes", err, src.n)
		}
	})
	t.Run("endless body stops at cap+1", func(t *testing.T) {
		for _, enc := range []string{"", "gzip"} {
			src := &countingReader{}
			_, err := Read(request(src, enc, -1), Options{MaxBytes: 4096})
			if enc == "gzip" {
				// An endless run of 'a' is not gzip: refused as malformed at the header.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%q: got %v", enc, err)
				}
			} else if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%q: got %v", enc, err)
			}
			if src.n > 4097 {
				t.Fatalf("%q: read %d bytes for a 4096-byte cap", enc, src.n)
			}
		}
	})
	t.Run("compressed stream over MaxBytes", func(t *testing.T) {
		// Incompressible data: the compressed size is over the cap.
		data := make([]byte, 8000)
		for i := range data {
			data[i] = byte(i*7919 + i*i>>3)
		}
		src := &countingReader{}
		body := io.MultiReader(bytes.NewReader(gz(t, data)), src)
		_, err := Read(request(body, "gzip", -1), Options{MaxBytes: 2000, MaxDecoded: 1 << 20})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("MaxDecoded applies to plain bodies", func(t *testing.T) {
		data := bytes.Repeat([]byte("x"), 600)
		_, err := Read(request(bytes.NewReader(data), "", -1), Options{MaxBytes: 1000, MaxDecoded: 500})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("caller's MaxBytesReader", func(t *testing.T) {
		r := request(bytes.NewReader(bytes.Repeat([]byte("x"), 100)), "", -1)
		r.Body = http.MaxBytesReader(nil, r.Body, 10)
		_, err := Read(r, Options{MaxBytes: 1000})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestReadGzip(t *testing.T) {
	payload := bytes.Repeat([]byte(`{"action":"opened","number":2}`+"\n"), 50)
	for _, enc := range []string{"gzip", "x-gzip", "GZIP", "gzip, identity", "identity,gzip"} {
		t.Run(enc, func(t *testing.T) {
			got, err := Read(request(bytes.NewReader(gz(t, payload)), enc, 0), Options{MaxBytes: 4096, MaxDecoded: 4096})
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("got %d bytes, %v", len(got), err)
			}
		})
	}
	t.Run("two header lines", func(t *testing.T) {
		r := request(bytes.NewReader(gz(t, payload)), "", 0)
		r.Header.Add("Content-Encoding", "identity")
		r.Header.Add("Content-Encoding", "gzip")
		if got, err := Read(r, Options{MaxDecoded: 4096}); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
	})
	t.Run("concatenated members", func(t *testing.T) {
		two := append(gz(t, []byte("hello ")), gz(t, []byte("world"))...)
		got, err := Read(request(bytes.NewReader(two), "gzip", 0), Options{})
		if err != nil || string(got) != "hello world" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("decoded exactly MaxDecoded", func(t *testing.T) {
		got, err := Read(request(bytes.NewReader(gz(t, payload)), "gzip", 0), Options{MaxDecoded: int64(len(payload))})
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
	})
	t.Run("decoded one over MaxDecoded", func(t *testing.T) {
		_, err := Read(request(bytes.NewReader(gz(t, payload)), "gzip", 0), Options{MaxDecoded: int64(len(payload) - 1)})
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestReadGzipMalformed(t *testing.T) {
	good := gz(t, []byte(`{"ok":true}`))
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-5] ^= 0xff
	cases := map[string][]byte{
		"empty":            {},
		"not gzip":         []byte(`{"ok":true}`),
		"truncated":        good[:len(good)-3],
		"bad checksum":     badCRC,
		"trailing garbage": append(bytes.Clone(good), "junk"...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(request(bytes.NewReader(data), "gzip", 0), Options{})
			if !errors.Is(err, ErrMalformed) || HTTPStatus(err) != http.StatusBadRequest {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("connection error is not malformed", func(t *testing.T) {
		broken := io.MultiReader(bytes.NewReader(good[:10]), iotest.ErrReader(io.ErrClosedPipe))
		_, err := Read(request(broken, "gzip", -1), Options{})
		if err == nil || errors.Is(err, ErrMalformed) || !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestReadUnsupportedEncoding(t *testing.T) {
	for _, enc := range []string{"br", "deflate", "zstd", "compress", "gzip, br", "gzip, gzip", "gzip;q=1"} {
		t.Run(enc, func(t *testing.T) {
			src := &countingReader{}
			_, err := Read(request(src, enc, -1), Options{})
			if !errors.Is(err, ErrUnsupportedEncoding) || HTTPStatus(err) != http.StatusUnsupportedMediaType {
				t.Fatalf("got %v", err)
			}
			if src.n != 0 {
				t.Fatalf("read %d bytes before refusing", src.n)
			}
		})
	}
}

// A gzip bomb: 10 MB of zeros compress to about 10 KB. It must be refused with
// ErrTooLarge having buffered no more than about MaxDecoded.
func TestReadGzipBomb(t *testing.T) {
	const decodedCap = 1 << 20
	bomb := gz(t, make([]byte, 10<<20))
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes compressed", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(request(bytes.NewReader(bomb), "gzip", int64(len(bomb))), Options{MaxBytes: 1 << 20, MaxDecoded: decodedCap})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	// The buffer doubles up to the cap (~2 MiB in all) plus the inflater's state.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*decodedCap {
		t.Fatalf("allocated %d bytes to refuse a bomb with a %d-byte cap", alloc, decodedCap)
	}
}

func TestReadOverHTTP(t *testing.T) {
	payload := bytes.Repeat([]byte("webhook "), 4000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := Read(r, Options{MaxBytes: 4096, MaxDecoded: 64 << 10})
		if err != nil {
			http.Error(w, err.Error(), HTTPStatus(err))
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	post := func(body io.Reader, enc string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	// Chunked (no Content-Length): the reader hides the length.
	if code, b := post(io.MultiReader(bytes.NewReader(gz(t, payload))), "gzip"); code != 200 || !bytes.Equal(b, payload) {
		t.Fatalf("gzip: %d, %d bytes", code, len(b))
	}
	if code, _ := post(bytes.NewReader(payload), ""); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("plain over the cap: %d", code)
	}
	if code, _ := post(io.MultiReader(strings.NewReader(string(payload))), ""); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked plain over the cap: %d", code)
	}
	if code, _ := post(strings.NewReader("x"), "br"); code != http.StatusUnsupportedMediaType {
		t.Fatalf("br: %d", code)
	}
	if code, _ := post(strings.NewReader("not gzip"), "gzip"); code != http.StatusBadRequest {
		t.Fatalf("bad gzip: %d", code)
	}
}

func TestMediaType(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"application/json", "application/json", true},
		{"Application/JSON; charset=UTF-8", "application/json", true},
		{"application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded", true},
		{"text/plain;charset=", "text/plain", true}, // malformed parameter tolerated
		{"application/json; charset=utf-8; charset=latin1", "application/json", true},
		{"  application/json  ", "application/json", true},
		{"", "", false},
		{"   ", "", false},
		{"json", "", false},
		{"application/", "", false},
		{"/json", "", false},
		{"application/json/x", "", false},
	}
	for _, c := range cases {
		got, err := MediaType(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("MediaType(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok && !errors.Is(err, ErrMalformed) {
			t.Errorf("MediaType(%q) = %q, %v; want ErrMalformed", c.in, got, err)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	if HTTPStatus(nil) != 200 || HTTPStatus(errors.New("x")) != 400 || HTTPStatus(ErrNoField) != 400 {
		t.Fatal("unexpected mapping")
	}
}

func TestReadHugeCaps(t *testing.T) {
	const maxInt64 = 1<<63 - 1
	data := bytes.Repeat([]byte("z"), 3000)
	got, err := Read(request(bytes.NewReader(data), "", -1), Options{MaxBytes: maxInt64, MaxDecoded: maxInt64})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	got, err = Read(request(bytes.NewReader(gz(t, data)), "gzip", -1), Options{MaxBytes: maxInt64, MaxDecoded: maxInt64})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("gzip: got %d bytes, %v", len(got), err)
	}
}

// A declared Content-Length does not make Read allocate the whole cap before
// the bytes arrive.
func TestReadDeclaredLengthAllocation(t *testing.T) {
	const declared = 64 << 20
	r := request(strings.NewReader("short"), "", declared)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := Read(r, Options{MaxBytes: declared})
	runtime.ReadMemStats(&after)
	if err != nil || string(got) != "short" {
		t.Fatalf("got %q, %v", got, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("allocated %d bytes for a 5-byte body", alloc)
	}
}
