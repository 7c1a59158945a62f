package promexport

import (
	"context"
	"fmt"
	"github.com/loadplan/loadplan/summary"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shopspring/decimal"
)

// Buckets are the upper bounds of the latency and TTFT histograms: give them to
// executor.Config.LatencyBuckets.
var Buckets = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

// Exporter holds the latest Progress of a run and turns it into metrics when scraped.
type Exporter struct {
	reg      *prometheus.Registry
	plan     string
	scenario string

	mu   sync.Mutex
	last *summary.Progress
}

// New returns an exporter for a run of scenario of the plan named planName. Its registry
// also has the Go and process collectors: the generator's own CPU and memory.
func New(planName, scenario string) *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), plan: planName, scenario: scenario}
	e.reg.MustRegister(runCollector{e}, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// Update keeps the run's latest progress (the executor's OnProgress).
func (e *Exporter) Update(p summary.Progress) {
	e.mu.Lock()
	e.last = &p
	e.mu.Unlock()
}

// Handler serves the metrics in the Prometheus text format (or what the scraper asks for).
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the exporter's registry (for tests and for gathering in-process).
func (e *Exporter) Registry() *prometheus.Registry { return e.reg }

var (
	descInfo      = prometheus.NewDesc("loadplan_run_info", "The run: its plan and scenario (always 1).", []string{"plan", "scenario"}, nil)
	descElapsed   = prometheus.NewDesc("loadplan_elapsed_seconds", "Time since the start of the run.", nil, nil)
	descRemaining = prometheus.NewDesc("loadplan_remaining_seconds", "Time left of the planned duration.", nil, nil)
	descUsers     = prometheus.NewDesc("loadplan_users", "Active users (closed model) or virtual users busy (open model).", nil, nil)
	descInFlight  = prometheus.NewDesc("loadplan_requests_in_flight", "Requests sent and not yet answered.", nil, nil)
	descStopping  = prometheus.NewDesc("loadplan_stopping", "1 once the run has stopped starting new requests.", nil, nil)
	descLate      = prometheus.NewDesc("loadplan_late_starts_total", "Open model: arrivals that could not start on time.", nil, nil)
	descRequests  = prometheus.NewDesc("loadplan_requests_total", "Requests sent (every attempt), by request name.", []string{"name", "method"}, nil)
	descFailures  = prometheus.NewDesc("loadplan_failures_total", "Failed requests by request name and class: http_4xx, http_5xx, rate_limited, overloaded, timeout, connection, check, stream, aborted, other.", []string{"name", "method", "class"}, nil)
	descLatency   = prometheus.NewDesc("loadplan_request_duration_seconds", "Time to the last byte of each response, by request name.", []string{"name", "method"}, nil)
	descTTFT      = prometheus.NewDesc("loadplan_ttft_seconds", "Time to the first content event of each streamed response, by request name.", []string{"name", "method"}, nil)
	descNameCost  = prometheus.NewDesc("loadplan_request_cost_usd_total", "USD spent by request name.", []string{"name", "method"}, nil)
	descSpent     = prometheus.NewDesc("loadplan_spent_usd_total", "USD spent so far (the cost meter's settled total).", nil, nil)
	descReserved  = prometheus.NewDesc("loadplan_reserved_usd", "USD reserved by the requests in flight (their worst cases).", nil, nil)
	descBudget    = prometheus.NewDesc("loadplan_budget_usd", "The run's budget in USD (absent without one).", nil, nil)
	descRate      = prometheus.NewDesc("loadplan_spend_rate_usd_per_minute", "USD per minute over the last minute.", nil, nil)
	descProjected = prometheus.NewDesc("loadplan_projected_cost_usd", "The cost projected at the planned end at the spend rate.", nil, nil)
	descSeries    = prometheus.NewDesc("loadplan_target_series", "The latest value of a monitored series of the target (monitor:).", []string{"series"}, nil)
	descScrapes   = prometheus.NewDesc("loadplan_target_scrapes_total", "Scrapes of the target's monitored endpoints.", nil, nil)
	descScrapeErr = prometheus.NewDesc("loadplan_target_scrape_failures_total", "Scrapes of the target's monitored endpoints that failed.", nil, nil)
)

// runCollector builds the run's metrics from the latest progress when scraped. It describes
// none up front: the request names and classes are known only as the run goes.
type runCollector struct{ e *Exporter }

func (runCollector) Describe(chan<- *prometheus.Desc) {}

func (c runCollector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, e.plan, e.scenario)
	e.mu.Lock()
	p := e.last
	e.mu.Unlock()
	if p == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descElapsed, p.Elapsed.Seconds())
	gauge(descRemaining, p.Remaining.Seconds())
	gauge(descUsers, float64(p.Users))
	gauge(descInFlight, float64(p.InFlight))
	gauge(descStopping, map[bool]float64{true: 1}[p.Stopping])
	counter(descLate, float64(p.LateStarts))
	for _, t := range p.Tasks {
		counter(descRequests, float64(t.Requests), t.Name, t.Method)
		counter(descNameCost, usd(t.Cost), t.Name, t.Method)
		if h := t.LatencyHist; h != nil {
			ch <- constHistogram(descLatency, h, t.Name, t.Method)
		}
		if h := t.TTFTHist; h != nil {
			ch <- constHistogram(descTTFT, h, t.Name, t.Method)
		}
	}
	type failureKey struct{ name, method, class string }
	failures := map[failureKey]int64{}
	for _, f := range p.Failures {
		failures[failureKey{f.Task, f.Method, Class(f.Error)}] += f.Occurrences
	}
	for k, n := range failures {
		counter(descFailures, float64(n), k.name, k.method, k.class)
	}
	counter(descSpent, usd(p.Spent))
	gauge(descReserved, usd(p.Reserved))
	if p.Budget != nil {
		gauge(descBudget, usd(*p.Budget))
	}
	gauge(descRate, usd(p.SpendPerMin))
	gauge(descProjected, usd(p.Projected))
	if m := p.Monitor; m != nil {
		counter(descScrapes, float64(m.Scrapes))
		counter(descScrapeErr, float64(m.Failed))
		for _, v := range m.Values {
			if v.OK {
				gauge(descSeries, v.V, v.Name)
			}
		}
	}
}

// usd converts an amount of USD for a Prometheus sample, which is a float64: the only place
// where money leaves decimal, at the edge, for display in dashboards.
func usd(d decimal.Decimal) float64 { return d.InexactFloat64() }

func constHistogram(d *prometheus.Desc, h *summary.Histogram, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		buckets[b.Seconds()] = uint64(h.Counts[i])
	}
	return prometheus.MustNewConstHistogram(d, uint64(h.Count), h.Sum.Seconds(), buckets, labels...)
}

// Class sorts a failure (the failures table's message) into a few classes, so that a label
// stays bounded whatever the messages say: http_4xx, http_5xx, rate_limited (429),
// overloaded (529), timeout, connection (refused, reset, DNS, TLS), check (a check, a capture
// or the body's JSON), stream (an error event or a cut), aborted, other.
func Class(msg string) string {
	switch {
	case strings.HasPrefix(msg, "HTTP 429"):
		return "rate_limited"
	case strings.HasPrefix(msg, "HTTP 529"):
		return "overloaded"
	case strings.HasPrefix(msg, "HTTP 5"):
		return "http_5xx"
	case strings.HasPrefix(msg, "HTTP 4"):
		return "http_4xx"
	case strings.HasPrefix(msg, "HTTP "):
		return "http_other"
	case msg == "timeout":
		return "timeout"
	case msg == "connection refused", msg == "connection reset", strings.HasPrefix(msg, "no such host"), strings.HasPrefix(msg, "TLS"):
		return "connection"
	case strings.HasPrefix(msg, "check failed"), strings.HasPrefix(msg, "invalid JSON"), strings.HasPrefix(msg, "capture failed"),
		strings.HasPrefix(msg, "response body over"):
		return "check"
	case strings.HasPrefix(msg, "stream"):
		return "stream"
	case msg == "aborted":
		return "aborted"
	}
	return "other"
}

// Server serves an exporter's metrics on /metrics.
type Server struct {
	Addr string // the address listened on (with the port chosen when the address gave 0)
	srv  *http.Server
	done chan struct{}
}

// Listen listens on addr and serves h on /metrics in the background until Close.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "loadplan: the run's metrics are at /metrics\n")
	})
	s := &Server{Addr: ln.Addr().String(), done: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // ErrServerClosed after Close
	}()
	return s, nil
}

// Close stops serving: scrapes in progress get a second to finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
