package mock

import (
	"github.com/shopspring/decimal"
	"net/http"
	"time"

	"github.com/loadplan/loadplan/pricing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// /metrics through the Prometheus Go client, from a registry of the server's own (never the
// global one: several mocks can run in one process). The claude_api_* series that follow the
// ledger are updated by the ledger itself, in record and under its lock, so that the token
// counters always equal the ledger's and a reset zeroes both at once; the in-flight gauge reads
// the server's counter when scraped; the Go and process collectors add the usual go_* and
// process_* metrics.

// durationBuckets are the upper bounds, in seconds, of claude_api_request_duration_seconds.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60}

// metrics are one server's collectors. The ledger's series are vectors, also those without
// labels, because a vector is what the client can zero (POST /_mock/reset).
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // endpoint, status
	tokens    *prometheus.CounterVec   // type
	cacheHits *prometheus.CounterVec   // no labels
	breaker   *prometheus.CounterVec   // no labels
	duration  *prometheus.HistogramVec // endpoint
	handler   http.Handler
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claude_api_requests_total",
			Help: "Requests answered, by endpoint and status.",
		}, []string{"endpoint", "status"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claude_api_tokens_total",
			Help: "Tokens billed, by canonical bucket; always equal to the ledger's.",
		}, []string{"type"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "claude_api_cache_hits_total",
			Help: "Billed requests that read the prompt cache.",
		}, nil),
		breaker: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circuit_breaker_open_total",
			Help: "Times the circuit breaker in front of the upstream opened (the breaker_open fault).",
		}, nil),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "claude_api_request_duration_seconds",
			Help:    "Time to the last byte of each response, by endpoint.",
			Buckets: durationBuckets,
		}, []string{"endpoint"}),
	}
	m.reg.MustRegister(m.requests, m.tokens, m.cacheHits, m.breaker, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// A collector that fails (process metrics on a platform without them) costs its own
	// series, not the scrape; and a library never logs.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// watchCost registers claude_api_cost_usd_total, read from the ledger's exact decimal total
// when scraped and converted once, so that it shows the ledger's figure (to a float's
// precision) rather than a float sum that drifts from it.
func (m *metrics) watchCost(total func() decimal.Decimal) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "claude_api_cost_usd_total",
		Help: "Cost billed, in USD: the ledger's decimal total (GET /_mock/ledger) when scraped.",
	}, func() float64 { return total().InexactFloat64() }))
}

// watchInFlight registers claude_api_requests_in_flight, read from n when scraped: n is the
// counter the concurrency limit uses, so the hot path pays for no second one.
func (m *metrics) watchInFlight(n func() int64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "claude_api_requests_in_flight",
		Help: "Token requests being served.",
	}, func() float64 { return float64(n()) }))
}

// series are the ledger's children of the vectors, resolved once (or when first used) so that
// recording a request does not hash label values. Only the ledger uses them, under its lock.
type series struct {
	input, output, cacheRead, cacheWrite prometheus.Counter
	cacheHits                            prometheus.Counter
	breakerTrips                         prometheus.Counter
	duration                             map[string]prometheus.Observer // by endpoint, once observed
}

// reset zeroes the ledger's series and returns them resolved anew. A label set reappears
// once it is used again, as with any Prometheus vector; the four token types and the
// unlabelled counters are always there.
func (m *metrics) reset() series {
	m.requests.Reset()
	m.tokens.Reset()
	m.cacheHits.Reset()
	m.breaker.Reset()
	m.duration.Reset()
	return series{
		input:      m.tokens.WithLabelValues("input"),
		output:     m.tokens.WithLabelValues("output"),
		cacheRead:  m.tokens.WithLabelValues("cache_read"),
		cacheWrite: m.tokens.WithLabelValues("cache_write"),
		cacheHits:  m.cacheHits.WithLabelValues(),
		// Exported at 0 from the start: a monitor tells "no trip" from "no metric".
		breakerTrips: m.breaker.WithLabelValues(),
		duration:     map[string]prometheus.Observer{},
	}
}

// bill adds one billed request's tokens to the series.
func (sr *series) bill(t pricing.Tokens) {
	sr.input.Add(float64(t.Input)) // whole numbers: the client adds them as integers, exactly
	sr.output.Add(float64(t.Output))
	sr.cacheRead.Add(float64(t.CacheRead))
	sr.cacheWrite.Add(float64(t.CacheWrite))
	if t.CacheRead > 0 {
		sr.cacheHits.Inc()
	}
}

// observe adds one request's duration to its endpoint's histogram.
func (sr *series) observe(m *metrics, endpoint string, d time.Duration) {
	h := sr.duration[endpoint]
	if h == nil {
		h = m.duration.WithLabelValues(endpoint)
		sr.duration[endpoint] = h
	}
	h.Observe(d.Seconds())
}
