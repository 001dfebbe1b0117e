package faults

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Slow-loris clients (idle connections, headers a byte at a time, bodies a
// few bytes a second) and oversized or garbage bodies, alongside normal
// traffic: every normal event is accepted and lands exactly once, each
// abusive request gets its specific 4xx (never a 5xx, never a row unless it
// was validly signed), and the server cuts the slow clients off at its
// read timeouts instead of holding them forever.
func TestSlowLorisAndGarbageAlongsideNormalTraffic(t *testing.T) {
	c := newCluster(t, clusterOptions{})
	ctx := context.Background()
	addr := strings.TrimPrefix(c.hf.BaseURL(), "http://")
	httpCfg := c.cfg.HTTP

	// Slow clients, started first so they are in place during the load.
	var slowWG sync.WaitGroup
	cutOff := make(chan slowResult, 400)
	slow := func(kind string, n int, fn func(conn net.Conn) error) {
		for range n {
			slowWG.Go(func() {
				conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					cutOff <- slowResult{kind: kind, err: err}
					return
				}
				defer conn.Close()
				start := time.Now()
				err = fn(conn)
				cutOff <- slowResult{kind: kind, after: time.Since(start), err: err}
			})
		}
	}
	limit := httpCfg.ReadTimeout + 15*time.Second // the trickles give up by themselves after this
	slow("idle", 150, func(conn net.Conn) error { return waitClosed(conn, limit) })
	slow("header trickle", 100, func(conn net.Conn) error {
		return trickle(conn, "POST /v1/webhooks/github HTTP/1.1\r\nHost: hookflow\r\nX-Slow: ", "a", limit)
	})
	slow("body trickle", 50, func(conn net.Conn) error {
		head := "POST /v1/webhooks/stripe HTTP/1.1\r\nHost: hookflow\r\nContent-Type: application/json\r\n" +
			"Stripe-Signature: t=1,v1=00\r\nContent-Length: 100000\r\n\r\n{"
		return trickle(conn, head, " ", limit)
	})

	// Normal traffic, as a provider sends it.
	events := c.events(400)
	normalDone := make(chan struct{})
	go func() { defer close(normalDone); c.deliver(ctx, events, 40, 32, time.Minute) }()

	// Garbage, repeated while the normal traffic runs.
	var signedGarbage []*event
	var mu sync.Mutex
	got := map[string]map[string]int{} // case → answer → count
	record := func(name, answer string) {
		mu.Lock()
		defer mu.Unlock()
		if got[name] == nil {
			got[name] = map[string]int{}
		}
		got[name][answer]++
	}
	secret := c.send.Secrets["github"]
	base := c.hf.BaseURL() + "/v1/webhooks/"
	garbageClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	cases := garbageCases(secret)
	for round := range 10 {
		for _, g := range cases {
			req, _ := http.NewRequest(g.method, base+g.source, g.body())
			for k, v := range g.header {
				req.Header.Set(k, v)
			}
			if g.signedID {
				id := fmt.Sprintf("garbage-%s-%d", c.db, round)
				req.Header.Set("X-GitHub-Delivery", id)
				signedGarbage = append(signedGarbage, &event{d: eventFor("github", id), accepted: false})
			}
			resp, err := garbageClient.Do(req)
			if err != nil {
				record(g.name, "transport error")
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			record(g.name, fmt.Sprint(resp.StatusCode))
			if g.signedID && resp.StatusCode == http.StatusAccepted {
				signedGarbage[len(signedGarbage)-1].accepted = true
				signedGarbage[len(signedGarbage)-1].answers = []answer{{status: 202}}
			}
		}
		time.Sleep(time.Second)
	}
	<-normalDone

	// Abusive requests got their own answer, never a 5xx.
	for _, g := range cases {
		for answer, n := range got[g.name] {
			if !g.allowed[answer] {
				t.Errorf("%s: %d answered %s, want one of %v", g.name, n, answer, keys(g.allowed))
			}
		}
		t.Logf("%-36s %v", g.name, got[g.name])
	}

	// The normal traffic was unaffected: every event accepted and landed once.
	var lat []time.Duration
	for _, e := range events {
		for _, a := range e.answers {
			if a.status == http.StatusAccepted {
				lat = append(lat, a.latency)
			}
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		t.Logf("normal traffic under attack: %d accepted, 202 latency p50 %s, p99 %s, max %s", len(lat),
			lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*99/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
	c.verify(append(events, signedGarbage...), time.Minute)
	if n := c.count("SELECT count() FROM " + c.db + ".events FINAL WHERE event_id LIKE 'garbage-%' AND status != 'invalid'"); n != 0 {
		t.Errorf("%d signed garbage bodies landed as something other than invalid", n)
	}

	// The slow clients were cut off by the server's timeouts.
	slowWG.Wait()
	close(cutOff)
	worst := map[string]time.Duration{}
	held := map[string]int{}
	for r := range cutOff {
		if r.err != nil {
			held[r.kind]++
			continue
		}
		worst[r.kind] = max(worst[r.kind], r.after)
	}
	for kind, n := range held {
		t.Errorf("%s: %d connections were still open after %s (the server never cut them off)", kind, n, limit)
	}
	t.Logf("slow clients cut off after at most: %v (read_header_timeout 10s, read_timeout %s)", worst, httpCfg.ReadTimeout)
	if code, _ := c.ready(); code != http.StatusOK {
		t.Errorf("/readyz %d after the attack", code)
	}
}

type slowResult struct {
	kind  string
	after time.Duration
	err   error // the connection outlived the limit (or could not be made)
}

// waitClosed sends nothing and waits for the server to close the connection.
func waitClosed(conn net.Conn, limit time.Duration) error {
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return fmt.Errorf("still open after %s", limit)
	}
	return nil
}

// trickle writes head, then one piece a second, until the server closes the
// connection (a write fails or the server answers and closes).
func trickle(conn net.Conn, head, piece string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	closed := make(chan struct{})
	go func() {
		_ = conn.SetReadDeadline(deadline)
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes (or the deadline passes)
		close(closed)
	}()
	if _, err := conn.Write([]byte(head)); err != nil {
		return nil
	}
	for time.Now().Before(deadline) {
		select {
		case <-closed:
			if time.Now().Before(deadline) {
				return nil
			}
			return fmt.Errorf("still open after %s", limit)
		case <-time.After(time.Second):
		}
		if _, err := conn.Write([]byte(piece)); err != nil {
			return nil
		}
	}
	return fmt.Errorf("still open after %s", limit)
}

type garbageCase struct {
	name     string
	method   string
	source   string
	header   map[string]string
	body     func() io.Reader
	signedID bool // a valid GitHub signature and a fresh delivery id: accepted, lands as invalid
	allowed  map[string]bool
}

func garbageCases(githubSecret string) []garbageCase {
	random := make([]byte, 64<<10)
	_, _ = rand.Read(random)
	bomb := gzipped(bytes.Repeat([]byte{'0'}, 30<<20))
	sign := func(b []byte) string {
		m := hmac.New(sha256.New, []byte(githubSecret))
		m.Write(b)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	allow := func(codes ...string) map[string]bool {
		m := map[string]bool{}
		for _, c := range codes {
			m[c] = true
		}
		return m
	}
	return []garbageCase{
		{name: "random bytes, unsigned", method: "POST", source: "github",
			header: map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "x"},
			body:   func() io.Reader { return bytes.NewReader(random) }, allowed: allow("401")},
		{name: "random bytes, validly signed", method: "POST", source: "github", signedID: true,
			header: map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": sign(random)},
			body:   func() io.Reader { return bytes.NewReader(random) }, allowed: allow("202")},
		{name: "2 MiB body to a 1 MiB source", method: "POST", source: "stripe",
			header: map[string]string{"Content-Type": "application/json", "Expect": "100-continue"},
			body:   func() io.Reader { return bytes.NewReader(big) }, allowed: allow("413")},
		{name: "26 MiB chunked body to GitHub", method: "POST", source: "github",
			header: map[string]string{"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "y"},
			// No length: the server must stop reading at its cap. The client
			// may see the connection closed before it reads the 413.
			body:    func() io.Reader { return io.LimitReader(zeros{}, 26<<20) },
			allowed: allow("413", "transport error")},
		{name: "gzip bomb (30 MiB of zeros)", method: "POST", source: "stripe",
			header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"},
			body:   func() io.Reader { return bytes.NewReader(bomb) }, allowed: allow("413")},
		{name: "corrupt gzip", method: "POST", source: "stripe",
			header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"},
			body:   func() io.Reader { return bytes.NewReader(random[:4096]) }, allowed: allow("400")},
		{name: "unsupported encoding", method: "POST", source: "stripe",
			header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "br"},
			body:   func() io.Reader { return strings.NewReader("{}") }, allowed: allow("415")},
		{name: "unknown source", method: "POST", source: "nope",
			header: map[string]string{"Content-Type": "application/json"},
			body:   func() io.Reader { return strings.NewReader("{}") }, allowed: allow("404")},
		{name: "GET on the webhook endpoint", method: "GET", source: "github",
			body: func() io.Reader { return http.NoBody }, allowed: allow("405")},
		// (Well over the 64 KiB cap: Go's server allows some slack on a
		// reused connection.)
		{name: "200 KB of headers", method: "POST", source: "github",
			header: map[string]string{"X-Junk": strings.Repeat("j", 200<<10)},
			body:   func() io.Reader { return strings.NewReader("{}") }, allowed: allow("431")},
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
