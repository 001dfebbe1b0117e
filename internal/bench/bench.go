// Package bench is `hookflow bench`: it drives signed real sample webhooks
// through the real HTTP endpoint of a real `hookflow serve` (a child
// process, so /proc gives its CPU time and peak RSS) against a real Temporal
// dev server and ClickHouse, open-loop at fixed offered rates and
// closed-loop at fixed concurrency; measures the 202 latency, ack → row
// queryable in ClickHouse, errors and the process's cost; measures in the
// same run, against the same Temporal server, the ceiling of a no-op
// workflow of the same shape; sweeps payload size and the number of sources;
// and writes results/bench.json, results/bench.txt and results/bench.png.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/internal/procs"
	"github.com/hookflow/hookflow/internal/sender"
)

// Options configure a run.
type Options struct {
	Root     string // repository root (working directory of the hookflow child)
	Bin      string // the hookflow binary to run as `serve`
	Config   string // config file, relative to Root or absolute
	Fixtures string // sample payloads folder
	Out      string // results folder
	Quick    bool   // a ~1 minute smoke run
	// Shared runs against existing servers at TemporalAddr/ClickHouseAddr
	// instead of starting a private pair on free ports.
	Shared         bool
	TemporalAddr   string
	ClickHouseAddr string
	// Profile writes a CPU profile of hookflow during the busiest closed-loop
	// step and a heap profile at the end (results/hookflow-*.pprof).
	Profile bool
	// Env are extra HOOKFLOW_*=value overrides for the hookflow child (to
	// measure a setting before and after a change).
	Env []string
	// TemporalArgs are extra `temporal server start-dev` arguments for the
	// private server (to measure a dev-server lever).
	TemporalArgs []string
	// SkipGoBench skips the hot paths' Go benchmarks at the end.
	SkipGoBench bool
	// SkipSweeps skips the payload-size and sources/rules sweeps (for quick
	// before/after comparisons of the throughput and latency figures).
	SkipSweeps bool
	Log        io.Writer
}

// rowPoll is how often the row watcher asks ClickHouse in latency steps.
const rowPoll = 40 * time.Millisecond

// plan is how long and how hard each part runs.
type plan struct {
	warmup      time.Duration
	closed      time.Duration
	open        time.Duration
	conc        []int
	fractions   []float64
	recheck     bool // measure the ceiling again after the pipeline
	sizes       []int
	sizeTime    time.Duration
	sizeMax     int
	sourceCount []int
	sourceTime  time.Duration
}

func planFor(quick bool) plan {
	if quick {
		return plan{
			warmup: 2 * time.Second, closed: 5 * time.Second, open: 5 * time.Second,
			conc: []int{16}, fractions: []float64{0.25, 0.5, 1.0},
			sizes: []int{1_000, 1_000_000, 25_000_000}, sizeTime: 3 * time.Second, sizeMax: 2,
			sourceCount: []int{3, 30}, sourceTime: 4 * time.Second,
		}
	}
	return plan{
		warmup: 5 * time.Second, closed: 12 * time.Second, open: 20 * time.Second,
		conc: []int{4, 16, 48}, fractions: []float64{0.25, 0.5, 0.75, 0.9, 1.0, 1.1}, recheck: true,
		sizes: []int{1_000, 64_000, 1_000_000, 5_000_000, 25_000_000}, sizeTime: 12 * time.Second, sizeMax: 8,
		sourceCount: []int{3, 30, 300}, sourceTime: 12 * time.Second,
	}
}

// Bench is one run in progress.
type Bench struct {
	o       Options
	p       plan
	run     string
	cfg     *config.Config
	samples []sender.Delivery
	stack   *procs.Stack
	tAddr   string
	chAddr  string
	db      string
	hf      *procs.Hookflow
	conn    driver.Conn
	watch   *RowWatcher
	client  *sender.Client
	deck    *Deck
	report  *Report
	cancel  context.CancelFunc
	recv    *receiver
	cfgPath string // the derived config hookflow runs on
}

// Run runs the whole benchmark and writes the results.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Log == nil {
		o.Log = os.Stdout
	}
	// The overrides apply to this process's reading of the config too, so
	// that the ceiling's client is dialed with the same settings.
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "HOOKFLOW_") {
			continue // GOMEMLIMIT, GOGC: for the child only
		}
		if err := os.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	b := &Bench{o: o, p: planFor(o.Quick), run: randomHex(4)}
	b.report = &Report{Started: time.Now().UTC(), Quick: o.Quick, CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version(), Config: o.Config}
	b.report.Host, _ = os.Hostname()
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	defer b.close()
	if err := b.setUp(ctx); err != nil {
		return nil, err
	}
	err := b.measure(ctx)
	summarize(b.report)
	if n, avg := b.watch.Cost(); n > 0 {
		b.report.PollCostMs = ms(avg)
	}
	if werr := b.write(); werr != nil {
		err = errors.Join(err, werr)
	}
	return b.report, err
}

func (b *Bench) logf(format string, args ...any) { fmt.Fprintf(b.o.Log, format+"\n", args...) }

func (b *Bench) setUp(ctx context.Context) error {
	orig := b.o.Config
	if !filepath.IsAbs(orig) {
		orig = filepath.Join(b.o.Root, orig)
	}
	// hookflow runs on the given config with every outbound destination
	// pointed at a receiver in this process that answers 204 at once, so
	// that the triggers the rules ask for are part of the measured pipeline.
	var err error
	b.recv, err = startReceiver()
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(b.o.Out, "bench-config.yaml")
	if err := procs.DeriveConfig(orig, cfgPath, func(doc map[string]any) {
		procs.PointDestinations(doc, b.recv.url+"/hooks")
	}); err != nil {
		return err
	}
	b.cfgPath = cfgPath
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	b.cfg = cfg
	all, err := sender.LoadFixtures(b.o.Fixtures)
	if err != nil {
		return err
	}
	for _, s := range all {
		if _, ok := cfg.Sources[s.Source]; ok {
			b.samples = append(b.samples, s)
		}
	}
	if len(b.samples) == 0 {
		return fmt.Errorf("no sample under %s is for a source of %s", b.o.Fixtures, b.o.Config)
	}
	b.report.Samples = len(b.samples)

	if b.o.Shared {
		b.report.Stack = "shared"
		b.tAddr, b.chAddr = b.o.TemporalAddr, b.o.ClickHouseAddr
		b.logf("== using the running servers: Temporal %s, ClickHouse %s", b.tAddr, b.chAddr)
	} else {
		b.report.Stack = "own"
		dir := filepath.Join(b.o.Root, ".run", "bench-"+b.run)
		b.logf("== starting a private Temporal dev server (file-backed, headless) and ClickHouse under %s", rel(b.o.Root, dir))
		b.stack, err = procs.StartStack(ctx, b.o.Root, dir, b.o.TemporalArgs...)
		if err != nil {
			return err
		}
		b.tAddr, b.chAddr = b.stack.Temporal.Addr(), b.stack.ClickHouse.Addr()
		b.logf("   Temporal %s, ClickHouse %s", b.tAddr, b.chAddr)
	}
	b.db = "hookflow_bench_" + b.run
	b.conn, err = ch.Open(&ch.Options{Addr: []string{b.chAddr}, Auth: ch.Auth{Username: "default"},
		DialTimeout: 5 * time.Second, MaxOpenConns: 4})
	if err != nil {
		return err
	}
	if err := b.startHookflow(ctx, cfgPath); err != nil {
		return err
	}
	// Each poll is a query ClickHouse pays for (50 a second cost it about
	// 0.09 of a core here): 40 ms keeps the error small against a 300 ms
	// target at half that cost.
	b.watch = NewRowWatcher(b.conn, b.db+".events", rowPoll)
	b.report.PollMs = ms(rowPoll)
	wctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.watch.Run(wctx)
	b.deck = NewDeck(b.samples, b.run)
	b.client = b.newClient(cfg)
	return nil
}

func (b *Bench) newClient(cfg *config.Config) *sender.Client {
	secrets := map[string]string{}
	for name, s := range cfg.Sources {
		if v, err := s.ResolvedSecrets(); err == nil && len(v) > 0 {
			secrets[name] = v[0]
		}
	}
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 60 * time.Second,
		DisableCompression: true}
	return &sender.Client{BaseURL: b.hf.BaseURL(), Secrets: secrets,
		HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// startHookflow runs `hookflow serve` on cfgPath with the run's database
// and task queue.
func (b *Bench) startHookflow(ctx context.Context, cfgPath string) error {
	port, err := procs.FreePort()
	if err != nil {
		return err
	}
	env := []string{
		"HOOKFLOW_TEMPORAL_ADDRESS=" + b.tAddr,
		"HOOKFLOW_TEMPORAL_TASK_QUEUE=hookflow-bench-" + b.run,
		"HOOKFLOW_CLICKHOUSE_ADDR=" + b.chAddr,
		"HOOKFLOW_CLICKHOUSE_DATABASE=" + b.db,
		"HOOKFLOW_LOG_LEVEL=warn",
	}
	if b.o.Profile {
		pp, err := procs.FreePort()
		if err != nil {
			return err
		}
		env = append(env, fmt.Sprintf("HOOKFLOW_PPROF_ADDR=127.0.0.1:%d", pp))
	}
	env = append(env, b.o.Env...)
	start := time.Now()
	b.hf, err = procs.StartHookflow(ctx, procs.HookflowOptions{
		Bin: b.o.Bin, Dir: b.o.Root, Config: cfgPath, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		Env: env, Log: filepath.Join(b.o.Out, "hookflow.log"),
	})
	if err != nil {
		return err
	}
	b.logf("   hookflow serve (pid %d) ready on %s in %s", b.hf.Pid(), b.hf.BaseURL(), time.Since(start).Round(time.Millisecond))
	return nil
}

func (b *Bench) pids() map[string]int {
	// "bench" is this process: the load generator, the row watcher and, in
	// the ceiling steps, the no-op workflow's client and worker.
	m := map[string]int{"hookflow": b.hf.Pid(), "bench": os.Getpid()}
	if b.stack != nil {
		m["temporal"] = b.stack.Temporal.Pid()
		m["clickhouse"] = b.stack.ClickHouse.Pid()
	}
	return m
}

func (b *Bench) close() {
	if b.cancel != nil {
		b.cancel()
	}
	if b.hf != nil {
		b.hf.Stop(20 * time.Second)
	}
	if b.conn != nil {
		_ = b.conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+b.db)
		b.conn.Close()
	}
	if b.stack != nil {
		b.stack.Stop()
		_ = os.RemoveAll(b.stack.Dir)
	}
	if b.recv != nil {
		b.recv.close()
	}
}

// pipelineSend posts the delivery dealt for request i and watches for its row.
func (b *Bench) pipelineSend(deal func(i int) sender.Delivery) SendFunc {
	return func(ctx context.Context, i int) Outcome {
		d := deal(i)
		o := Outcome{ID: d.EventID, Source: d.Source}
		r, err := b.client.Send(ctx, d)
		if err != nil {
			o.Err = err.Error()
			return o
		}
		o.Status = r.Status
		o.Duplicate = bytes.Contains(r.Body, []byte(`"duplicate":true`))
		if r.Status == http.StatusAccepted && !o.Duplicate {
			b.watch.Watch(d.EventID)
		}
		return o
	}
}

// finishPipelineStep waits for the acked rows and fills in the step.
func (b *Bench) finishPipelineStep(ctx context.Context, st *Step, outs []Outcome, gen Generator, window time.Duration, ps *procSampler) {
	var ids []string
	for _, o := range outs {
		if o.Status == http.StatusAccepted && !o.Duplicate {
			ids = append(ids, o.ID)
		}
	}
	st.NotLanded = b.watch.WaitAll(ctx, ids, 20*time.Second)
	st.ClickHouse = delta(b.chEvents(ctx), ps.ch)
	st.RowPollMs = ms(b.watch.Interval())
	for i := range outs {
		if t, ok := b.watch.Seen(outs[i].ID); ok {
			outs[i].Landed = t
		}
	}
	fillStep(st, outs, gen, window)
	st.Procs = ps.finish(st.Accepted)
}

// fillStep computes a step's figures from its outcomes.
func fillStep(st *Step, outs []Outcome, gen Generator, window time.Duration) {
	st.Generator = gen
	st.Seconds = window.Seconds()
	st.Sent = len(outs)
	st.Errors = map[string]int{}
	var acks, rows []time.Duration
	var first, last time.Time
	for _, o := range outs {
		if first.IsZero() || o.Sched.Before(first) {
			first = o.Sched
		}
		switch {
		case o.Status == http.StatusAccepted && o.Duplicate:
			st.Duplicates++
			acks = append(acks, o.Latency())
		case o.Status == http.StatusAccepted:
			st.Accepted++
			acks = append(acks, o.Latency())
			if !o.Landed.IsZero() {
				st.Landed++
				rows = append(rows, max(o.Landed.Sub(o.Done), 0))
				if o.Landed.After(last) {
					last = o.Landed
				}
			}
		case o.Status == 0:
			st.Errors["transport"]++
		default:
			st.Errors[fmt.Sprint(o.Status)]++
		}
	}
	st.Ack, st.Row = percentiles(acks), percentiles(rows)
	if window > 0 {
		st.AcceptedPerSec = float64(st.Accepted) / window.Seconds()
	}
	if st.Landed > 0 && last.After(first) {
		st.LandedPerSec = float64(st.Landed) / last.Sub(first).Seconds()
	}
}

func (b *Bench) measure(ctx context.Context) error {
	p := b.p
	b.logf("\n== warm-up: open loop 30/s for %s", p.warmup)
	_, warm := b.openStep(ctx, "warmup", "warm-up", 30, p.warmup)

	b.logf("\n== ceiling: ProcessEvent with no-op steps (same shape, same server), closed loop")
	ce, err := StartCeiling(ctx, b.tAddr, b.cfg, "hookflow-bench-ceiling-"+b.run, b.deck, nil)
	if err != nil {
		return err
	}
	// The shape of each sample's workflow, from a warm-up event of it.
	ids := map[int]string{}
	for _, o := range warm {
		if i, ok := b.deck.SampleOf(o.ID); ok && o.Status == http.StatusAccepted {
			ids[i] = envelope.WorkflowID(o.Source, o.ID)
		}
	}
	if shapes, err := RecordShapes(ctx, ce.client, b.deck.Samples(), ids); err != nil {
		b.note("ceiling: could not record the pipeline's shapes (%v): no-op steps return zero values", err)
	} else {
		ce.shapes = shapes
		b.logf("   recorded the real steps' results of %d of %d samples from warm-up workflows", len(ids), b.deck.Samples())
	}
	bestC := p.conc[0]
	var best float64
	for i, c := range p.conc {
		st, outs := b.ceilingStep(ctx, ce, c, p.closed)
		if st.LandedPerSec > best {
			best, bestC = st.LandedPerSec, c
		}
		if i == 0 {
			// The workflows really are of the pipeline's shape: same history length.
			n, differ := ce.CheckShapes(ctx, outs)
			b.logf("   shape check: %d of %d samples' ceiling workflows have the pipeline's history length", n-len(differ), n)
			for _, d := range differ {
				b.note("ceiling shape differs from the pipeline's: %s", d)
			}
		}
	}

	b.logf("\n== pipeline: closed loop through the HTTP endpoint")
	var pipeMax float64
	for i, c := range p.conc {
		st := b.closedStep(ctx, c, p.closed, b.o.Profile && i == len(p.conc)-1)
		pipeMax = max(pipeMax, st.LandedPerSec)
	}
	if pipeMax < 1 {
		ce.Stop()
		return fmt.Errorf("bench: the pipeline landed nothing (see %s)", b.hf.Log)
	}

	b.logf("\n== pipeline: open loop at fixed offered rates (max measured %.1f/s)", pipeMax)
	for _, f := range p.fractions {
		rate := float64(int(pipeMax*f + 0.5))
		b.openStep(ctx, "open", fmt.Sprintf("open %.0f%% (%.0f/s)", f*100, rate), rate, p.open)
		b.logf("     (%d triggers delivered to the receiver so far)", b.recv.hits.Load())
	}
	// The ceiling's own latency and costs at half the pipeline's maximum:
	// the floor under the pipeline's figures at that rate.
	half := float64(int(pipeMax/2 + 0.5))
	b.logf("\n== ceiling, open loop at %.0f/s (half the pipeline's max): the floor under its latency", half)
	b.ceilingOpenStep(ctx, ce, half, p.open)
	if p.recheck {
		b.logf("\n== ceiling again (the server's state grew meanwhile)")
		b.ceilingStep(ctx, ce, bestC, p.closed)
	}
	ce.Stop()

	if !b.o.SkipSweeps {
		b.logf("\n== payload size sweep (GitHub source, bodies over %s go through the payload store)", humanSize(int(b.cfg.Payloads.InlineLimit)))
		if err := b.payloadSweep(ctx); err != nil {
			b.note("payload sweep: %v", err)
		}
		b.logf("\n== sources/rules sweep (hookflow restarted per config, open loop at half the max)")
		if err := b.sourcesSweep(ctx, pipeMax/2); err != nil {
			b.note("sources sweep: %v", err)
		}
	}
	if b.o.Profile {
		if err := b.fetchProfile(ctx, "heap", 0); err != nil {
			b.note("heap profile: %v", err)
		}
	}
	if !b.o.SkipGoBench {
		b.hf.Stop(20 * time.Second) // leave the machine to the Go benchmarks
		b.logf("\n== Go benchmarks of the hot paths (%s; ClickHouse %s)", strings.Join(GoBenchPackages, " "), b.chAddr)
		res, err := b.runGoBenchmarks(ctx)
		if err != nil {
			b.note("go benchmarks: %v (output in results/gobench.txt)", err)
		}
		b.report.GoBench = res
		b.logf("   %d benchmarks, raw output in results/gobench.txt", len(res))
	}
	return nil
}

func (b *Bench) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	b.report.Notes = append(b.report.Notes, n)
	b.logf("   note: %s", n)
}

func (b *Bench) ceilingStep(ctx context.Context, ce *Ceiling, c int, d time.Duration) (Step, []Outcome) {
	st := Step{Kind: "ceiling", Label: fmt.Sprintf("ceiling c=%d", c), Concurrency: c}
	ps := newProcSampler(b.pids())
	outs, gen := ClosedLoop(ctx, c, d, 0, ce.Send())
	return b.finishCeilingStep(ce, st, outs, gen, d, ps), outs
}

// ceilingOpenStep offers rate no-op workflows/s on a fixed schedule.
func (b *Bench) ceilingOpenStep(ctx context.Context, ce *Ceiling, rate float64, d time.Duration) Step {
	st := Step{Kind: "ceiling-open", Label: fmt.Sprintf("ceiling open %.0f/s", rate), Offered: rate}
	ps := newProcSampler(b.pids())
	outs, gen := OpenLoop(ctx, rate, d, 8192, ce.Send())
	return b.finishCeilingStep(ce, st, outs, gen, d, ps)
}

func (b *Bench) finishCeilingStep(ce *Ceiling, st Step, outs []Outcome, gen Generator, d time.Duration, ps *procSampler) Step {
	// Wait for the no-op Lands of everything started.
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := 0
		for i := range outs {
			if outs[i].Landed.IsZero() && outs[i].Status == http.StatusAccepted && !outs[i].Duplicate {
				if t, ok := ce.Landed(outs[i].Source, outs[i].ID); ok {
					outs[i].Landed = t
				} else {
					left++
				}
			}
		}
		if left == 0 || time.Now().After(deadline) {
			st.NotLanded = left
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fillStep(&st, outs, gen, d)
	st.Procs = ps.finish(st.Accepted)
	b.add(st)
	return st
}

func (b *Bench) closedStep(ctx context.Context, c int, d time.Duration, profile bool) Step {
	st := Step{Kind: "closed", Label: fmt.Sprintf("closed c=%d", c), Concurrency: c}
	ps := newProcSampler(b.pids())
	ps.ch = b.chEvents(ctx)
	if profile {
		go func() {
			if err := b.fetchProfile(ctx, "profile", d-time.Second); err != nil {
				b.note("cpu profile: %v", err)
			}
		}()
	}
	// Throughput only: poll for rows rarely, so that measuring costs the
	// machine little (the last row's time is late by at most 250 ms).
	b.watch.SetInterval(250 * time.Millisecond)
	defer b.watch.SetInterval(rowPoll)
	outs, gen := ClosedLoop(ctx, c, d, 0, b.pipelineSend(func(int) sender.Delivery { return b.deck.Next() }))
	b.finishPipelineStep(ctx, &st, outs, gen, d, ps)
	b.add(st)
	return st
}

// openStep offers rate events/s for d on a fixed schedule. The deliveries
// are dealt (and Stripe's re-encoded) before the clock starts.
func (b *Bench) openStep(ctx context.Context, kind, label string, rate float64, d time.Duration) (Step, []Outcome) {
	st := Step{Kind: kind, Label: label, Offered: rate}
	ds := b.deck.Deal(int(rate*d.Seconds()) + 1)
	ps := newProcSampler(b.pids())
	ps.ch = b.chEvents(ctx)
	outs, gen := OpenLoop(ctx, rate, d, 8192, b.pipelineSend(func(i int) sender.Delivery { return ds[i] }))
	b.finishPipelineStep(ctx, &st, outs, gen, d, ps)
	if kind != "warmup" {
		b.add(st)
	} else {
		PrintStep(b.o.Log, st)
	}
	return st, outs
}

func (b *Bench) add(st Step) {
	b.report.Steps = append(b.report.Steps, st)
	PrintStep(b.o.Log, st)
}

// payloadSweep sends GitHub pushes of growing size, closed loop at
// concurrency 2 (1 from 5 MB), for a fixed time or count each.
func (b *Bench) payloadSweep(ctx context.Context) error {
	var base sender.Delivery
	for _, s := range b.samples {
		if s.Source == "github" && s.EventType == "push" {
			base = s
			break
		}
	}
	if base.Body == nil {
		return errors.New("no GitHub push sample to grow")
	}
	src, ok := b.cfg.Sources[base.Source]
	if !ok {
		return fmt.Errorf("source %q not configured", base.Source)
	}
	for _, size := range b.p.sizes {
		if int64(size) > int64(src.MaxBody) {
			b.note("payload %s skipped: over the %s source's max_body (%d bytes)", humanSize(size), base.Source, src.MaxBody)
			continue
		}
		body, err := SizedGitHubPush(base, size)
		if err != nil {
			return err
		}
		conc, limit := 2, b.p.sizeMax*4
		if size >= 5_000_000 {
			conc, limit = 1, b.p.sizeMax
		}
		st := Step{Kind: "payload", Label: "payload " + humanSize(size), Concurrency: conc, PayloadBytes: size}
		ps := newProcSampler(b.pids())
		deal := func(int) sender.Delivery {
			return sender.WithID(body, eventID("github", b.run, b.deck.next.Add(1)))
		}
		start := time.Now()
		outs, gen := ClosedLoop(ctx, conc, b.p.sizeTime, limit, b.pipelineSend(deal))
		b.finishPipelineStep(ctx, &st, outs, gen, time.Since(start), ps)
		b.add(st)
	}
	return nil
}

func (b *Bench) fetchProfile(ctx context.Context, kind string, d time.Duration) error {
	var addr string
	for _, e := range b.hf.Opts.Env {
		if v, ok := strings.CutPrefix(e, "HOOKFLOW_PPROF_ADDR="); ok {
			addr = v
		}
	}
	if addr == "" {
		return errors.New("hookflow was started without HOOKFLOW_PPROF_ADDR")
	}
	url := "http://" + addr + "/debug/pprof/" + kind
	if d > 0 {
		url += fmt.Sprintf("?seconds=%d", int(d.Seconds()))
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	name := "cpu"
	if kind == "heap" {
		name = "heap"
	}
	f, err := os.Create(filepath.Join(b.o.Out, "hookflow-"+name+".pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func (b *Bench) write() error {
	js := filepath.Join(b.o.Out, "bench.json")
	if err := b.report.WriteJSON(js); err != nil {
		return err
	}
	var txt bytes.Buffer
	b.report.WriteText(&txt)
	if err := os.WriteFile(filepath.Join(b.o.Out, "bench.txt"), txt.Bytes(), 0o644); err != nil {
		return err
	}
	png := filepath.Join(b.o.Out, "bench.png")
	if err := Plot(b.report, png); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	b.logf("\n%s", txt.String())
	b.logf("wrote %s, %s, %s", rel(b.o.Root, js), rel(b.o.Root, filepath.Join(b.o.Out, "bench.txt")), rel(b.o.Root, png))
	return nil
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// receiver stands in for every outbound destination: it reads the trigger
// and answers 204 at once.
type receiver struct {
	srv  *http.Server
	url  string
	hits atomic.Int64
}

func startReceiver() (*receiver, error) {
	port, err := procs.FreePort()
	if err != nil {
		return nil, err
	}
	r := &receiver{url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	r.srv = &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.Copy(io.Discard, req.Body)
			r.hits.Add(1)
			w.WriteHeader(http.StatusNoContent)
		})}
	ln, err := net.Listen("tcp", r.srv.Addr)
	if err != nil {
		return nil, err
	}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }

// chEvents reads ClickHouse's cumulative counters of interest.
func (b *Bench) chEvents(ctx context.Context) map[string]uint64 {
	rows, err := b.conn.Query(ctx, "SELECT event, value FROM system.events WHERE has(?, event)",
		[]string{"Query", "SelectQuery", "InsertQuery", "InsertedRows", "InsertedBytes", "Merge", "MergedRows", "MergedUncompressedBytes"})
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var v uint64
		if rows.Scan(&k, &v) == nil {
			out[k] = v
		}
	}
	return out
}

func delta(after, before map[string]uint64) map[string]uint64 {
	if after == nil {
		return nil
	}
	out := map[string]uint64{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}
