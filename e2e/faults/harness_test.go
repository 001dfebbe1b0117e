// Package faults is the fault-injection suite (`make test-faults`). Each
// scenario starts its own Temporal dev server (file-backed, so a restart
// keeps every workflow) and its own ClickHouse on free ports with their state
// in a temporary directory, and `hookflow serve` as a child process (so it
// can be SIGKILLed and restarted), all through internal/procs; it never
// touches the shared servers on :7233/:9000. A scenario sends a known set of
// distinct signed events the way a provider does (retrying 429, 503 and
// connection errors), injects its fault, then checks ClickHouse with FINAL:
// every event that got a 202 is there exactly once, and every answer that
// was not a 202 was retryable.
//
// The tests are compiled and vetted with everything else but skip unless
// HOOKFLOW_FAULTS=1 (make test-faults sets it): they take minutes and need
// the Temporal CLI and clickhouse-server installed (scripts/stack.sh install).
package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/procs"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
)

var (
	root    string // repository root
	binPath string // hookflow built once for the whole suite
)

func TestMain(m *testing.M) {
	if os.Getenv("HOOKFLOW_FAULTS") != "1" {
		fmt.Println("fault-injection suite skipped: set HOOKFLOW_FAULTS=1 (make test-faults)")
		os.Exit(m.Run()) // every test skips itself, so `go test ./...` stays quick
	}
	var err error
	root, err = procs.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "hookflow-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "hookflow")
	if err := procs.BuildHookflow(root, binPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireFaults(t *testing.T) {
	t.Helper()
	if os.Getenv("HOOKFLOW_FAULTS") != "1" {
		t.Skip("fault injection runs only with HOOKFLOW_FAULTS=1 (make test-faults)")
	}
}

// cluster is one scenario's private world.
type cluster struct {
	t        *testing.T
	stack    *procs.Stack
	hf       *procs.Hookflow
	cfg      *config.Config
	cfgPath  string
	db       string
	conn     driver.Conn
	send     *sender.Client
	receiver *receiver
	env      []string // the HOOKFLOW_* overrides every hookflow process of the scenario gets
	dir      string
}

type clusterOptions struct {
	// edit changes the derived config (the dev config with destinations
	// pointed at the scenario's receiver).
	edit func(doc map[string]any)
	// receiver answers outbound deliveries; nil means a receiver that
	// answers 204 to everything.
	receiver http.HandlerFunc
	// ingressOnly runs `hookflow ingress` instead of `serve`: events are
	// accepted and wait in Temporal until startWorker runs a worker.
	ingressOnly bool
}

func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	requireFaults(t)
	ctx := context.Background()
	dir := t.TempDir()
	c := &cluster{t: t, db: testenv.Unique("hookflow_faults_")}
	var err error
	start := time.Now()
	c.stack, err = procs.StartStack(ctx, root, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stack.Stop)
	t.Logf("private Temporal %s and ClickHouse %s up in %s", c.stack.Temporal.Addr(), c.stack.ClickHouse.Addr(), time.Since(start).Round(time.Millisecond))

	c.receiver = newReceiver(t, o.receiver)
	c.cfgPath = filepath.Join(dir, "hookflow.yaml")
	err = procs.DeriveConfig(filepath.Join(root, "config", "dev.yaml"), c.cfgPath, func(doc map[string]any) {
		procs.PointDestinations(doc, c.receiver.URL()+"/hooks")
		procs.Section(doc, "log")["format"] = "json"
		if o.edit != nil {
			o.edit(doc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	c.cfg, err = config.Load(c.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	port, err := procs.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c.env = []string{
		"HOOKFLOW_TEMPORAL_ADDRESS=" + c.stack.Temporal.Addr(),
		"HOOKFLOW_CLICKHOUSE_ADDR=" + c.stack.ClickHouse.Addr(),
		"HOOKFLOW_CLICKHOUSE_DATABASE=" + c.db,
		"HOOKFLOW_TEMPORAL_TASK_QUEUE=" + testenv.Unique("hookflow-faults-"),
		"HOOKFLOW_LOG_LEVEL=info",
	}
	c.dir = dir
	var args []string
	if o.ingressOnly {
		args = []string{"ingress"}
	}
	c.hf, err = procs.StartHookflow(ctx, procs.HookflowOptions{
		Bin: binPath, Dir: root, Config: c.cfgPath, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		Log: filepath.Join(dir, "hookflow.log"), Env: c.env, Args: args,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.hf.Stop(20 * time.Second)
		if t.Failed() {
			t.Logf("hookflow log (last 6 KB):\n%s", c.hf.LogTail(6000))
		}
	})
	c.conn, err = ch.Open(&ch.Options{Addr: []string{c.stack.ClickHouse.Addr()}, Auth: ch.Auth{Username: "default"},
		DialTimeout: 2 * time.Second, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.conn.Close() })

	secrets := map[string]string{}
	for name, s := range c.cfg.Sources {
		v, err := s.ResolvedSecrets()
		if err != nil {
			t.Fatal(err)
		}
		secrets[name] = v[0]
	}
	c.send = &sender.Client{BaseURL: c.hf.BaseURL(), Secrets: secrets, HTTP: &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second},
	}}
	return c
}

// startWorker runs `hookflow worker` next to an ingress-only cluster.
func (c *cluster) startWorker() *procs.Hookflow {
	c.t.Helper()
	port, err := procs.FreePort()
	if err != nil {
		c.t.Fatal(err)
	}
	w, err := procs.StartHookflow(context.Background(), procs.HookflowOptions{
		Bin: binPath, Dir: root, Config: c.cfgPath, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		Log: filepath.Join(c.dir, "worker.log"), Env: c.env, Args: []string{"worker"},
		ReadyLog: "worker polling",
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		w.Stop(20 * time.Second)
		if c.t.Failed() {
			c.t.Logf("worker log (last 6 KB):\n%s", w.LogTail(6000))
		}
	})
	return w
}

// events returns n distinct deliveries dealt round-robin from the real
// samples of the sources the config has, each with a fresh id.
func (c *cluster) events(n int) []*event {
	c.t.Helper()
	samples, err := sender.LoadFixtures(filepath.Join(root, "testdata", "fixtures"))
	if err != nil {
		c.t.Fatal(err)
	}
	usable := samples[:0]
	for _, s := range samples {
		// Handshakes are no events; a sample without an id of its own (its
		// body's digest is its id) cannot be made into distinct events.
		if _, ok := c.send.Secrets[s.Source]; ok && !s.IsHandshake() && s.EventID != "" {
			usable = append(usable, s)
		}
	}
	run := testenv.Unique("")
	out := make([]*event, n)
	for i := range out {
		s := usable[i%len(usable)]
		var id string
		switch s.Provider {
		case "stripe":
			id = fmt.Sprintf("evt_fault_%s_%05d", run, i)
		case "standard":
			id = fmt.Sprintf("msg_fault_%s_%05d", run, i)
		default:
			id = fmt.Sprintf("fault-%s-%05d", run, i)
		}
		out[i] = &event{d: sender.WithID(s, id)}
	}
	return out
}

// eventFor is an event sent by hand rather than dealt from the samples.
func eventFor(source, id string) sender.Delivery {
	return sender.Delivery{Source: source, Provider: source, EventID: id}
}

// event is one distinct delivery and every answer it got.
type event struct {
	d sender.Delivery

	mu       sync.Mutex
	answers  []answer
	accepted bool
}

type answer struct {
	status    int    // 0: no answer (connection refused, reset, timeout)
	err       string // the transport error
	duplicate bool
	latency   time.Duration
}

func (e *event) record(a answer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.answers = append(e.answers, a)
	if a.status == http.StatusAccepted {
		e.accepted = true
	}
}

func (e *event) isAccepted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted
}

// retryable reports whether a provider retries after this answer.
func retryable(a answer) bool {
	return a.status == 0 || a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable
}

// post sends one delivery once and records the answer.
func (c *cluster) post(ctx context.Context, e *event) answer {
	r, err := c.send.Send(ctx, e.d)
	a := answer{status: r.Status, latency: r.Latency}
	if err != nil {
		a = answer{err: err.Error()}
	} else {
		a.duplicate = bytes.Contains(r.Body, []byte(`"duplicate":true`))
	}
	e.record(a)
	return a
}

// deliver sends each event as a provider does: at about rate new events per
// second (0 = as fast as conc allows), up to conc at a time, retrying an
// event after a retryable answer (backoff 100 ms doubling to 1 s; real
// providers wait longer) until it is accepted or giveUp has passed since
// the first send. A non-retryable answer ends that event's attempts.
func (c *cluster) deliver(ctx context.Context, events []*event, rate float64, conc int, giveUp time.Duration) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, conc)
	start := time.Now()
	for i, e := range events {
		if rate > 0 {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			first := time.Now()
			wait := 100 * time.Millisecond
			for ctx.Err() == nil {
				a := c.post(ctx, e)
				if a.status == http.StatusAccepted || !retryable(a) || time.Since(first) > giveUp {
					return
				}
				time.Sleep(wait)
				wait = min(wait*2, time.Second)
			}
		})
	}
	wg.Wait()
}

// verify checks the suite's two promises for events, and that ClickHouse
// holds nothing else.
func (c *cluster) verify(events []*event, within time.Duration) {
	t := c.t
	t.Helper()
	var ids []string
	notRetryable := map[string][]string{}
	var neverAccepted []string
	retries := 0
	for _, e := range events {
		ids = append(ids, e.d.EventID)
		for _, a := range e.answers {
			if a.status != http.StatusAccepted {
				retries++
				if !retryable(a) {
					notRetryable[fmt.Sprint(a.status)] = append(notRetryable[fmt.Sprint(a.status)], e.d.EventID)
				}
			}
		}
		if !e.accepted {
			neverAccepted = append(neverAccepted, e.d.EventID)
		}
	}
	for status, which := range notRetryable {
		t.Errorf("%d answers %s (not retryable, so a provider would drop the event), e.g. %s", len(which), status, which[0])
	}
	if len(neverAccepted) > 0 {
		t.Errorf("%d of %d events never got a 202 before the sender gave up, e.g. %s", len(neverAccepted), len(events), neverAccepted[0])
	}
	t.Logf("%d events, %d non-202 answers (all retried), %d never accepted", len(events), retries, len(neverAccepted))

	want := uint64(len(events) - len(neverAccepted))
	final := c.waitRows(ids, want, within)
	// Exactly once, with FINAL: no accepted event missing, none twice, no strangers.
	var missing, doubled []string
	counts := map[string]uint64{}
	rows, err := c.conn.Query(context.Background(), "SELECT event_id, count() FROM "+c.db+".events FINAL GROUP BY event_id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		counts[id] = n
	}
	rows.Close()
	for _, e := range events {
		n := counts[e.d.EventID]
		switch {
		case e.accepted && n == 0:
			missing = append(missing, e.d.Source+":"+e.d.EventID)
		case n > 1:
			doubled = append(doubled, fmt.Sprintf("%s:%s×%d", e.d.Source, e.d.EventID, n))
		}
		delete(counts, e.d.EventID)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("LOST: %d accepted events have no row (after %s), e.g. %s", len(missing), within, strings.Join(missing[:min(5, len(missing))], ", "))
		c.explain(missing[:min(5, len(missing))])
	}
	if len(doubled) > 0 {
		t.Errorf("DOUBLED: %d events have more than one row with FINAL, e.g. %s", len(doubled), strings.Join(doubled[:min(5, len(doubled))], ", "))
	}
	if len(counts) > 0 {
		t.Errorf("%d rows for events never sent", len(counts))
	}
	raw := c.count("SELECT count() FROM "+c.db+".events WHERE has(?, event_id)", ids)
	t.Logf("rows: %d with FINAL (want %d); %d written in all (re-landed after a retry and collapsed by FINAL: %d)",
		final, want, raw, raw-min(raw, final))
}

// explain logs what Temporal says about workflows whose event has no row.
func (c *cluster) explain(workflowIDs []string) {
	tc, err := client.Dial(client.Options{HostPort: c.stack.Temporal.Addr(), Logger: procs.QuietTemporalLogger()})
	if err != nil {
		c.t.Logf("temporal: %v", err)
		return
	}
	defer tc.Close()
	for _, id := range workflowIDs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := tc.DescribeWorkflowExecution(ctx, id, "")
		cancel()
		if err != nil {
			c.t.Logf("  %s: %v", id, err)
			continue
		}
		info := d.GetWorkflowExecutionInfo()
		c.t.Logf("  %s: %s, %d history events", id, info.GetStatus(), info.GetHistoryLength())
	}
}

// waitRows waits until FINAL counts want rows among ids.
func (c *cluster) waitRows(ids []string, want uint64, within time.Duration) uint64 {
	deadline := time.Now().Add(within)
	var got uint64
	for {
		var err error
		got, err = c.tryCount("SELECT count() FROM "+c.db+".events FINAL WHERE has(?, event_id)", ids)
		if err == nil && got >= want {
			return got
		}
		if time.Now().After(deadline) {
			return got
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (c *cluster) tryCount(q string, args ...any) (uint64, error) {
	var n uint64
	err := c.conn.QueryRow(context.Background(), q, args...).Scan(&n)
	return n, err
}

func (c *cluster) count(q string, args ...any) uint64 {
	c.t.Helper()
	n, err := c.tryCount(q, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// ready asks /readyz and returns the status code and body.
func (c *cluster) ready() (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.hf.BaseURL()+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// receiver is the outbound destination of a scenario: it records every
// delivery it gets and answers with handler.
type receiver struct {
	srv *http.Server
	l   net.Listener

	mu   sync.Mutex
	hits []receivedHit
}

type receivedHit struct {
	id  string // webhook-id header
	at  time.Time
	got int // the status answered
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{l: l}
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &statusRecorder{ResponseWriter: w} // status 0: no answer written
		h(rec, req)
		r.mu.Lock()
		r.hits = append(r.hits, receivedHit{id: req.Header.Get("webhook-id"), at: time.Now(), got: rec.status})
		r.mu.Unlock()
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	})
	return r
}

func (r *receiver) URL() string { return "http://" + r.l.Addr().String() }

func (r *receiver) snapshot() []receivedHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedHit(nil), r.hits...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// shuffled returns a random permutation of xs.
func shuffled[T any](xs []T) []T {
	out := append([]T(nil), xs...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

var errTimeout = errors.New("timeout")

// eventually polls cond every 100 ms for up to within.
func eventually(within time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return errTimeout
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
