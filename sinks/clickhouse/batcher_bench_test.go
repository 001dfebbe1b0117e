package clickhouse

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hookflow/hookflow/internal/testenv"
)

// BenchmarkBatcherInsert is the landing step's group commit against the real
// ClickHouse: many concurrent Inserts (as concurrent workflows make them),
// each returning only once its row is durable. It reports rows/s and how
// many rows each insert carried, for flush intervals around the default.
func BenchmarkBatcherInsert(b *testing.B) {
	payload, err := os.ReadFile("../../testdata/fixtures/github/push.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, interval := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond} {
		for _, conc := range []int{16, 128} {
			b.Run(fmt.Sprintf("interval=%s/concurrent=%d", interval, conc), func(b *testing.B) {
				s, m := openBenchStore(b, 1000, interval)
				ctx := context.Background()
				now := time.Now()
				var n atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(max(1, conc/2)) // RunParallel uses GOMAXPROCS × this goroutines
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						row := EventRow{
							EventID: fmt.Sprintf("bench-%d", i), Source: "github", Provider: "github", EventType: "push",
							ReceivedAt: now, OccurredAt: now, Subject: "hookflow/bench", Account: "hookflow", Actor: "bench",
							Score: 0.5, ModelVersion: "bench", Lane: "normal", Actions: []string{}, Status: "processed",
							WorkflowID: fmt.Sprintf("github:bench-%d", i), RunID: "run", ContentType: "application/json",
							Payload: string(payload), PayloadSHA256: strings.Repeat("0", 64), PayloadBytes: uint64(len(payload)),
							LandedAt: now,
						}
						if err := s.Events.Insert(ctx, row); err != nil {
							b.Fatal(err)
						}
					}
				})
				elapsed := time.Since(start)
				b.ReportMetric(float64(n.Load())/elapsed.Seconds(), "rows/s")
				var flushed dto.Metric
				_ = m.flushes.WithLabelValues(s.Database()+".events", "ok").Write(&flushed)
				if flushes := flushed.GetCounter().GetValue(); flushes > 0 {
					b.ReportMetric(float64(n.Load())/flushes, "rows/insert")
				}
			})
		}
	}
}

// openBenchStore opens a store with metrics on a fresh database, migrated,
// dropped at the end.
func openBenchStore(b *testing.B, batch int, interval time.Duration) (*Store, *Metrics) {
	b.Helper()
	addr := testenv.ClickHouseAddr(b)
	ctx := context.Background()
	db := testenv.Unique("hookflow_bench_")
	m := NewMetrics(prometheus.NewRegistry())
	s, err := Open(ctx, Options{Addr: addr, Database: db, Username: "default", DialTimeout: 5 * time.Second,
		BatchSize: batch, FlushInterval: interval, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		_ = s.Close()
	})
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return s, m
}
