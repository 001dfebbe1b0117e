package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/internal/procs"
)

// Percentiles of a latency, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return Percentiles{N: len(ds), P50: ms(percentile(ds, 50)), P95: ms(percentile(ds, 95)),
		P99: ms(percentile(ds, 99)), Max: ms(ds[len(ds)-1])}
}

// ProcStats is one process's cost during a step, from /proc.
type ProcStats struct {
	CPUSeconds float64 `json:"cpu_s"`
	// Cores is CPU seconds per wall-clock second of the step (2 = both cores).
	Cores float64 `json:"cores"`
	// CPUPerEventMs is CPU time per accepted event.
	CPUPerEventMs float64 `json:"cpu_per_event_ms,omitempty"`
	RSSMB         float64 `json:"rss_mb"`      // at the end of the step
	PeakRSSMB     float64 `json:"peak_rss_mb"` // VmHWM, reset at the start of the step
	// For "others" (every other process on the machine): the share of the
	// step during which some task waited for a CPU or for the disk (Linux
	// pressure stall information). High values mean a noisy machine.
	CPUStall float64 `json:"cpu_stall,omitempty"`
	IOStall  float64 `json:"io_stall,omitempty"`
}

// Step is one measured load.
type Step struct {
	Kind  string `json:"kind"` // ceiling, ceiling-open, closed, open, payload, sources
	Label string `json:"label"`
	// Offered is the open-loop rate, events/s.
	Offered      float64   `json:"offered_per_s,omitempty"`
	Concurrency  int       `json:"concurrency,omitempty"`
	PayloadBytes int       `json:"payload_bytes,omitempty"`
	Sources      int       `json:"sources,omitempty"`
	Rules        int       `json:"rules,omitempty"`
	Generator    Generator `json:"generator"`
	Seconds      float64   `json:"seconds"` // the sending window
	Sent         int       `json:"sent"`
	Accepted     int       `json:"accepted"` // 202, new
	Duplicates   int       `json:"duplicates"`
	// Errors counts every answer other than 202 by status ("503") or
	// "transport" for a request that got no answer.
	Errors         map[string]int `json:"errors"`
	AcceptedPerSec float64        `json:"accepted_per_s"`
	// Landed events (row queryable; the no-op Land for the ceiling) and the
	// rate from the first send to the last landing, drain included: the
	// throughput the step really sustained.
	Landed       int     `json:"landed"`
	NotLanded    int     `json:"not_landed"`
	LandedPerSec float64 `json:"landed_per_s"`
	// Ack is the 202 latency from the request's scheduled time.
	Ack Percentiles `json:"ack_latency"`
	// Row is ack → row queryable in ClickHouse (ack → no-op Land for the
	// ceiling), polled every RowPollMs: too late by at most that plus a query.
	Row       Percentiles          `json:"row_latency"`
	RowPollMs float64              `json:"row_poll_ms,omitempty"`
	Procs     map[string]ProcStats `json:"procs"`
	// ClickHouse counts what the server did during the step (system.events
	// deltas: queries, inserts, merges), to tell hookflow's inserts from the
	// row watcher's polls.
	ClickHouse map[string]uint64 `json:"clickhouse_events,omitempty"`
	StartupSec float64           `json:"startup_s,omitempty"` // sources sweep: hookflow start → ready
}

// Report is the whole run, written as results/bench.json.
type Report struct {
	Started    time.Time `json:"started"`
	Quick      bool      `json:"quick"`
	Stack      string    `json:"stack"` // own or shared
	Host       string    `json:"host"`
	CPUs       int       `json:"cpus"`
	GoVersion  string    `json:"go"`
	Config     string    `json:"config"`
	Samples    int       `json:"samples"`
	PollMs     float64   `json:"row_poll_interval_ms"`
	PollCostMs float64   `json:"row_poll_mean_query_ms"`
	Steps      []Step    `json:"steps"`
	Summary    Summary   `json:"summary"`
	GoBench    []GoBench `json:"go_benchmarks,omitempty"`
	Notes      []string  `json:"notes"`
}

// Summary holds the headline numbers and the targets of issue 5.
type Summary struct {
	CeilingPerSec   float64 `json:"ceiling_per_s"`
	PipelinePerSec  float64 `json:"pipeline_max_per_s"`
	Ratio           float64 `json:"ratio"`
	HalfRate        float64 `json:"half_rate_per_s"`
	HalfAckP99      float64 `json:"half_rate_ack_p99_ms"`
	HalfRowP99      float64 `json:"half_rate_row_p99_ms"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`          // over the throughput steps up to the max rate
	OverloadPeakRSS float64 `json:"overload_peak_rss_mb"` // open-loop steps offered more than the max
	PayloadPeakRSS  float64 `json:"payload_peak_rss_mb"`  // over the payload sweep
	TargetRatio     bool    `json:"target_ratio_met"`     // ≥ 0.85
	TargetAckP99    bool    `json:"target_ack_p99_met"`   // ≤ 25 ms at half the max rate
	TargetRowP99    bool    `json:"target_row_p99_met"`   // ≤ 300 ms at half the max rate
	TargetRSS       bool    `json:"target_rss_met"`       // ≤ 200 MB
	GeneratorBehind bool    `json:"generator_behind"`     // some open-loop step did not keep its schedule
}

func summarize(r *Report) {
	s := &r.Summary
	for _, st := range r.Steps {
		switch st.Kind {
		case "ceiling":
			s.CeilingPerSec = max(s.CeilingPerSec, st.LandedPerSec)
		case "closed":
			s.PipelinePerSec = max(s.PipelinePerSec, st.LandedPerSec)
		}
	}
	for _, st := range r.Steps {
		switch st.Kind {
		case "closed", "open", "warmup":
			if st.Kind == "open" && st.Offered > s.PipelinePerSec+0.5 && s.PipelinePerSec > 0 {
				s.OverloadPeakRSS = max(s.OverloadPeakRSS, st.Procs["hookflow"].PeakRSSMB)
				continue
			}
			s.PeakRSSMB = max(s.PeakRSSMB, st.Procs["hookflow"].PeakRSSMB)
		case "payload":
			s.PayloadPeakRSS = max(s.PayloadPeakRSS, st.Procs["hookflow"].PeakRSSMB)
		}
		if st.Kind == "open" && st.Generator.Behind {
			s.GeneratorBehind = true
		}
	}
	if s.CeilingPerSec > 0 {
		s.Ratio = s.PipelinePerSec / s.CeilingPerSec
	}
	// The open-loop step closest to half the maximum.
	best := -1.0
	for _, st := range r.Steps {
		if st.Kind != "open" {
			continue
		}
		d := abs(st.Offered - s.PipelinePerSec/2)
		if best < 0 || d < best {
			best = d
			s.HalfRate, s.HalfAckP99, s.HalfRowP99 = st.Offered, st.Ack.P99, st.Row.P99
		}
	}
	s.TargetRatio = s.Ratio >= 0.85
	s.TargetAckP99 = best >= 0 && s.HalfAckP99 <= 25
	s.TargetRowP99 = best >= 0 && s.HalfRowP99 > 0 && s.HalfRowP99 <= 300
	s.TargetRSS = s.PeakRSSMB > 0 && s.PeakRSSMB <= 200
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// PrintStep prints one step's line as it finishes.
func PrintStep(w io.Writer, st Step) {
	hf := st.Procs["hookflow"]
	fmt.Fprintf(w, "  %-28s sent %5d  202 %5d (%6.1f/s)  landed %6.1f/s  202 p50/p95/p99 %6.1f/%6.1f/%7.1f ms  row p50/p99 %6.1f/%7.1f ms  cpu %4.2f ms/ev  rss %4.0f MB%s%s\n",
		st.Label, st.Sent, st.Accepted, st.AcceptedPerSec, st.LandedPerSec,
		st.Ack.P50, st.Ack.P95, st.Ack.P99, st.Row.P50, st.Row.P99, hf.CPUPerEventMs, hf.PeakRSSMB,
		errorsText(st.Errors), behindText(st))
}

func errorsText(e map[string]int) string {
	if len(e) == 0 {
		return ""
	}
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "×" + strconv.Itoa(e[k])
	}
	return "  errors " + strings.Join(parts, " ")
}

func behindText(st Step) string {
	if st.Generator.Behind {
		return fmt.Sprintf("  [generator behind: lag p99 %.1f ms, dropped %d]", st.Generator.LagP99, st.Generator.Dropped)
	}
	if st.NotLanded > 0 {
		return fmt.Sprintf("  [%d acked events not seen in ClickHouse]", st.NotLanded)
	}
	return ""
}

// WriteText writes the human summary: a table per kind of step and the targets.
func (r *Report) WriteText(w io.Writer) {
	s := r.Summary
	fmt.Fprintf(w, "hookflow benchmark, %s, %d CPUs, stack: %s, quick: %v\n\n", r.Started.Format(time.RFC3339), r.CPUs, r.Stack, r.Quick)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\toffered/s\tconc\tsent\t202/s\tlanded/s\t202 p50\tp95\tp99\trow p50\trow p99\terrors\thf cpu ms/ev\thf cores\thf peak MB\ttemporal cores\tch cores\tbench cores\tother cores\tcpu/io stall\tgen lag p99\t")
	for _, st := range r.Steps {
		hf, tp, cp, bp, op := st.Procs["hookflow"], st.Procs["temporal"], st.Procs["clickhouse"], st.Procs["bench"], st.Procs["others"]
		offered := ""
		if st.Offered > 0 {
			offered = fmt.Sprintf("%.0f", st.Offered)
		}
		conc := ""
		if st.Concurrency > 0 {
			conc = strconv.Itoa(st.Concurrency)
		}
		lag := ""
		if st.Generator.Mode == "open" {
			lag = fmt.Sprintf("%.1f", st.Generator.LagP99)
		}
		errs := 0
		for _, n := range st.Errors {
			errs += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f%%/%.0f%%\t%s\t\n",
			st.Label, offered, conc, st.Sent, st.AcceptedPerSec, st.LandedPerSec, st.Ack.P50, st.Ack.P95, st.Ack.P99,
			st.Row.P50, st.Row.P99, errs, hf.CPUPerEventMs, hf.Cores, hf.PeakRSSMB, tp.Cores, cp.Cores, bp.Cores,
			op.Cores, op.CPUStall*100, op.IOStall*100, lag)
	}
	tw.Flush()
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(w, "\nceiling (no-op ProcessEvent, same shape, same server): %.1f/s\n", s.CeilingPerSec)
	fmt.Fprintf(w, "pipeline max (closed loop, landed/s):                 %.1f/s\n", s.PipelinePerSec)
	fmt.Fprintf(w, "ratio pipeline/ceiling: %.2f  (target ≥ 0.85: %s)\n", s.Ratio, mark(s.TargetRatio))
	fmt.Fprintf(w, "at %.0f/s (≈ half the max): 202 p99 %.1f ms (target ≤ 25: %s), row p99 %.1f ms (target ≤ 300: %s)\n",
		s.HalfRate, s.HalfAckP99, mark(s.TargetAckP99), s.HalfRowP99, mark(s.TargetRowP99))
	for _, st := range r.Steps {
		if st.Kind == "ceiling-open" {
			fmt.Fprintf(w, "  the ceiling at %.0f/s: start p99 %.1f ms (the floor under the 202 p99), Temporal %.2f cores\n",
				st.Offered, st.Ack.P99, st.Procs["temporal"].Cores)
		}
	}
	fmt.Fprintf(w, "hookflow peak RSS up to the max rate: %.0f MB (target ≤ 200: %s); overloaded (open loop past the max, backlog growing): %.0f MB; payload sweep (up to 25 MB bodies): %.0f MB\n",
		s.PeakRSSMB, mark(s.TargetRSS), s.OverloadPeakRSS, s.PayloadPeakRSS)
	var noisy []string
	for _, st := range r.Steps {
		if o := st.Procs["others"]; o.Cores > 0.2 || o.IOStall > 0.1 {
			noisy = append(noisy, fmt.Sprintf("%s (others %.2f cores, io stall %.0f%%)", st.Label, o.Cores, o.IOStall*100))
		}
	}
	if len(noisy) > 0 {
		fmt.Fprintf(w, "WARNING: the machine was not quiet during %d of %d steps, e.g. %s: their numbers understate hookflow\n",
			len(noisy), len(r.Steps), noisy[0])
	}
	if s.GeneratorBehind {
		fmt.Fprintln(w, "WARNING: the load generator fell behind its schedule in some open-loop step (see gen lag p99): those offered rates were not fully offered")
	}
	if len(r.GoBench) > 0 {
		fmt.Fprintln(w, "\nGo benchmarks of the hot paths (one core per op unless parallel):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "benchmark\tns/op\tB/op\tallocs/op\tother\t")
		for _, g := range r.GoBench {
			var other []string
			for k, v := range g.Metrics {
				if k != "ns/op" && k != "B/op" && k != "allocs/op" {
					other = append(other, fmt.Sprintf("%.4g %s", v, k))
				}
			}
			sort.Strings(other)
			fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%s\t\n", g.Name, g.Metrics["ns/op"], g.Metrics["B/op"], g.Metrics["allocs/op"], strings.Join(other, ", "))
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// procSampler reads the cost of a set of processes over a step.
type procSampler struct {
	ch    map[string]uint64 // ClickHouse's counters at the start
	pids  map[string]int
	start map[string]procs.Usage
	began time.Time
	mach  procs.Machine
}

func newProcSampler(pids map[string]int) *procSampler {
	s := &procSampler{pids: pids, start: map[string]procs.Usage{}, began: time.Now(), mach: procs.ReadMachine()}
	for name, pid := range pids {
		_ = procs.ResetPeak(pid)
		if u, err := procs.ReadUsage(pid); err == nil {
			s.start[name] = u
		}
	}
	return s
}

func (s *procSampler) finish(events int) map[string]ProcStats {
	out := map[string]ProcStats{}
	wall := time.Since(s.began).Seconds()
	defer func() {
		// Everything else the machine did meanwhile: other processes' CPU,
		// and the share of time tasks stalled waiting for CPU or disk.
		m := procs.ReadMachine()
		other := (m.Busy - s.mach.Busy).Seconds()
		for _, ps := range out {
			other -= ps.CPUSeconds
		}
		out["others"] = ProcStats{CPUSeconds: max(other, 0), Cores: max(other, 0) / wall,
			CPUStall: (m.CPUStall - s.mach.CPUStall).Seconds() / wall, IOStall: (m.IOStall - s.mach.IOStall).Seconds() / wall}
	}()
	for name, pid := range s.pids {
		u, err := procs.ReadUsage(pid)
		if err != nil {
			continue
		}
		cpu := (u.CPU - s.start[name].CPU).Seconds()
		ps := ProcStats{CPUSeconds: cpu, Cores: cpu / wall, RSSMB: mb(u.RSS), PeakRSSMB: mb(u.PeakRSS)}
		if events > 0 {
			ps.CPUPerEventMs = cpu * 1000 / float64(events)
		}
		out[name] = ps
	}
	return out
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
