package clickhouse

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of the group commit. A nil *Metrics records nothing.
type Metrics struct {
	flushes  *prometheus.CounterVec
	rows     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	size     *prometheus.HistogramVec
}

// NewMetrics registers the ClickHouse sink metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		flushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_clickhouse_flushes_total", Help: "Batch inserts by table and outcome.",
		}, []string{"table", "outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_clickhouse_rows_total", Help: "Rows inserted by table and outcome.",
		}, []string{"table", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_clickhouse_flush_seconds", Help: "Time to insert one batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"table"}),
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_clickhouse_batch_rows", Help: "Rows per batch insert.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}, []string{"table"}),
	}
	reg.MustRegister(m.flushes, m.rows, m.duration, m.size)
	return m
}

func (m *Metrics) observeFlush(table string, rows int, d time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.flushes.WithLabelValues(table, outcome).Inc()
	m.rows.WithLabelValues(table, outcome).Add(float64(rows))
	m.duration.WithLabelValues(table).Observe(d.Seconds())
	m.size.WithLabelValues(table).Observe(float64(rows))
}
