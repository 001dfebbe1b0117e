package ingress

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	deliveries *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	bytes      *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_ingress_deliveries_total",
			Help: "Webhook deliveries by source and outcome (accepted, duplicate, or the refusal reason).",
		}, []string{"source", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_ingress_response_seconds",
			Help:    "Time from request to answer, by source and status code class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"source", "code"}),
		bytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_ingress_body_bytes",
			Help:    "Size of accepted bodies.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 10),
		}, []string{"source"}),
	}
	reg.MustRegister(m.deliveries, m.latency, m.bytes)
	return m
}

func (m *metrics) observe(source, outcome string, code int, began time.Time) {
	m.deliveries.WithLabelValues(source, outcome).Inc()
	class := []string{"", "1xx", "2xx", "3xx", "4xx", "5xx"}[min(max(code/100, 0), 5)]
	m.latency.WithLabelValues(source, class).Observe(time.Since(began).Seconds())
}
