package outbound

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Metrics of outbound deliveries. A nil *Metrics records nothing.
type Metrics struct {
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	open     *prometheus.GaugeVec
}

// NewMetrics registers the delivery metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_delivery_attempts_total", Help: "Outbound delivery attempts by destination and outcome.",
		}, []string{"destination", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookflow_delivery_seconds", Help: "Time from sending a trigger to its answer.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"destination"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookflow_delivery_breaker_open", Help: "1 while a destination's circuit breaker is open (0.5 half-open).",
		}, []string{"destination"}),
	}
	reg.MustRegister(m.attempts, m.latency, m.open)
	return m
}

// Instrument makes every destination report to m.
func (r *Registry) Instrument(m *Metrics) {
	for _, d := range r.dests {
		d.metrics = m
	}
}

func (m *Metrics) observe(dest string, a Attempt) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(dest, string(a.Outcome)).Inc()
	if a.StatusCode != 0 || a.Outcome == Retry {
		m.latency.WithLabelValues(dest).Observe(a.Latency.Seconds())
	}
}

func (m *Metrics) breaker(dest string, s gobreaker.State) {
	if m == nil {
		return
	}
	v := 0.0
	switch s {
	case gobreaker.StateOpen:
		v = 1
	case gobreaker.StateHalfOpen:
		v = 0.5
	}
	m.open.WithLabelValues(dest).Set(v)
}
