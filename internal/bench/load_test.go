package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// The open-loop schedule does not wait for answers: with every answer
// taking 200 ms, 100 requests/s for half a second still all go out on time,
// and their latency counts from the schedule.
func TestOpenLoopKeepsItsScheduleWhateverTheAnswers(t *testing.T) {
	var inFlight, peak atomic.Int64
	slow := func(ctx context.Context, i int) Outcome {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
		inFlight.Add(-1)
		return Outcome{Status: 202}
	}
	outs, g := OpenLoop(context.Background(), 100, 500*time.Millisecond, 1000, slow)
	if len(outs) != 50 || g.Sent != 50 || g.Dropped != 0 {
		t.Fatalf("sent %d (%+v), want 50", len(outs), g)
	}
	if peak.Load() < 15 {
		t.Fatalf("at most %d requests were in flight: the generator waited for answers", peak.Load())
	}
	for _, o := range outs {
		if o.Latency() < 200*time.Millisecond {
			t.Fatalf("latency %s shorter than the answer time", o.Latency())
		}
	}
}

func TestClosedLoopStopsAtItsLimit(t *testing.T) {
	var n atomic.Int64
	outs, _ := ClosedLoop(context.Background(), 4, time.Minute, 10, func(context.Context, int) Outcome {
		n.Add(1)
		return Outcome{Status: 202}
	})
	if len(outs) != 10 || n.Load() != 10 {
		t.Fatalf("%d outcomes, %d sends, want 10", len(outs), n.Load())
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(i+1) * time.Millisecond
	}
	if p := percentile(ds, 99); p != 99*time.Millisecond {
		t.Fatalf("p99 of 1..100 ms = %s", p)
	}
	if p := percentile(ds, 50); p != 50*time.Millisecond {
		t.Fatalf("p50 of 1..100 ms = %s", p)
	}
}

func TestParseGoBench(t *testing.T) {
	out := []byte("goos: linux\npkg: github.com/x/y\nBenchmarkA/b-2   \t 100\t  1234 ns/op\t  5.5 MB/s\t 64 B/op\t 2 allocs/op\nPASS\n")
	res := parseGoBench(out)
	if len(res) != 1 || res[0].Package != "github.com/x/y" || res[0].Metrics["ns/op"] != 1234 || res[0].Metrics["allocs/op"] != 2 || res[0].Metrics["MB/s"] != 5.5 {
		t.Fatalf("%+v", res)
	}
}

func TestSummaryAndPlot(t *testing.T) {
	r := &Report{Steps: []Step{
		{Kind: "ceiling", LandedPerSec: 100},
		{Kind: "closed", LandedPerSec: 90, Procs: map[string]ProcStats{"hookflow": {PeakRSSMB: 80}}},
		{Kind: "open", Offered: 45, Ack: Percentiles{P50: 9, P95: 15, P99: 20}, Row: Percentiles{P50: 90, P99: 180},
			Procs: map[string]ProcStats{"hookflow": {PeakRSSMB: 85}}},
		{Kind: "open", Offered: 99, Ack: Percentiles{P50: 900, P95: 1500, P99: 3000}, Row: Percentiles{P50: 900, P99: 9000},
			Procs: map[string]ProcStats{"hookflow": {PeakRSSMB: 250}}},
	}}
	summarize(r)
	s := r.Summary
	if s.Ratio != 0.9 || !s.TargetRatio || s.HalfRate != 45 || !s.TargetAckP99 || !s.TargetRowP99 ||
		s.PeakRSSMB != 85 || s.OverloadPeakRSS != 250 || !s.TargetRSS {
		t.Fatalf("summary %+v", s)
	}
	path := t.TempDir() + "/bench.png"
	if err := Plot(r, path); err != nil {
		t.Fatal(err)
	}
}
