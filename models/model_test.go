package models

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/envelope"
)

const shippedSpec = "churn-v1.yaml"

func loadShipped(t testing.TB) *Model {
	t.Helper()
	m, err := Load(shippedSpec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func scoreOf(t testing.TB, m *Model, e envelope.Envelope) float64 {
	t.Helper()
	p, err := m.Score(e)
	if err != nil {
		t.Fatal(err)
	}
	if p < 0 || p > 1 {
		t.Fatalf("%s: score %v outside [0,1]", e.EventType, p)
	}
	return p
}

func TestShippedModelScores(t *testing.T) {
	m := loadShipped(t)
	if m.Version() != "churn-v1" {
		t.Errorf("Version() = %q", m.Version())
	}
	evs := testEvents()
	scores := make(map[string]float64)
	for _, e := range evs {
		p := scoreOf(t, m, e)
		key := fmt.Sprintf("%s/%v/%s", e.EventType, e.Amount, e.Attributes)
		scores[key] = p
		t.Logf("%.3f  %s", p, key)
	}
	for _, e := range evs {
		p := scoreOf(t, m, e)
		a := e.Attributes
		switch {
		case e.EventType == "customer.subscription.deleted":
			// A retention trigger fires at 0.8, with or without the plan amount.
			if p < 0.8 {
				t.Errorf("subscription deleted (amount %v %s) scored %.3f, want >= 0.8", e.Amount, e.Currency, p)
			}
		case e.EventType == "customer.subscription.updated" && a["cancel_at_period_end"] == "true",
			e.EventType == "invoice.payment_failed",
			e.EventType == "charge.dispute.created",
			e.EventType == "charge.refunded":
			if p < 0.7 {
				t.Errorf("%s %v scored %.3f, want >= 0.7", e.EventType, a, p)
			}
		case e.EventType == "push", e.EventType == "ui.click", e.EventType == "message",
			e.EventType == "invoice.paid", e.EventType == "charge.succeeded":
			if p > 0.1 {
				t.Errorf("%s scored %.3f, want <= 0.1", e.EventType, p)
			}
		}
	}
	cancel := scoreOf(t, m, evs[0])
	push := scoreOf(t, m, evs[12])
	if !(cancel > push) {
		t.Errorf("cancellation %.3f should outrank push %.3f", cancel, push)
	}
	// More payment retries, more risk.
	if a1, a3 := scoreOf(t, m, evs[5]), scoreOf(t, m, evs[6]); !(a3 > a1) {
		t.Errorf("payment_failed attempt 3 (%.3f) should outrank attempt 1 (%.3f)", a3, a1)
	}
}

func TestShippedModelFeatures(t *testing.T) {
	m := loadShipped(t)
	names := m.FeatureNames()
	v := m.Features(testEvents()[0])
	if len(v) != len(names) {
		t.Fatalf("%d values for %d names", len(v), len(names))
	}
	if names[0] != "subscription_deleted" || v[0] != 1 {
		t.Errorf("first column %s = %v, want subscription_deleted = 1", names[0], v[0])
	}
}

// Scoring from many goroutines must give exactly the single-threaded
// results (and pass -race).
func TestConcurrentScore(t *testing.T) {
	m, err := load(shippedSpec, 4)
	if err != nil {
		t.Fatal(err)
	}
	evs := testEvents()
	want := make([]float64, len(evs))
	for i, e := range evs {
		want[i] = scoreOf(t, m, e)
	}
	workers := 4 * runtime.GOMAXPROCS(0)
	if workers < 8 {
		workers = 8
	}
	rounds := 50
	if testing.Short() {
		rounds = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for k := range evs {
					i := (k + w + r) % len(evs) // different orders per worker
					p, err := m.Score(evs[i])
					if err != nil {
						errs <- err
						return
					}
					if p != want[i] {
						errs <- fmt.Errorf("worker %d: %s scored %v, single-threaded %v", w, evs[i].EventType, p, want[i])
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkScore(b *testing.B) {
	m := loadShipped(b)
	evs := testEvents()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Score(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreParallel uses the default pool (one graph per GOMAXPROCS).
func BenchmarkScoreParallel(b *testing.B) {
	benchParallel(b, runtime.GOMAXPROCS(0))
}

// BenchmarkScoreParallelOneGraph shares one graph between all goroutines:
// the cost of serialising on a single graph (a mutex), for comparison.
func BenchmarkScoreParallelOneGraph(b *testing.B) {
	benchParallel(b, 1)
}

func benchParallel(b *testing.B, graphs int) {
	m, err := load(shippedSpec, graphs)
	if err != nil {
		b.Fatal(err)
	}
	evs := testEvents()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := m.Score(evs[i%len(evs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkFeatures(b *testing.B) {
	m := loadShipped(b)
	e := testEvents()[5]
	row := make([]float32, m.features.Width())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.features.Fill(&e, row)
	}
}
