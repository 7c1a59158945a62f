package promexport

import (
	"context"
	"github.com/loadplan/loadplan/summary"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/shopspring/decimal"
)

const exportPlan = `version: 1
name: exported
target: TARGET
monitor: {url: /metrics, every: 1s, series: {trips: circuit_breaker_open_total}}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 50}}
    price: 0.001
    weight: 3
  stream:
    request: {method: POST, path: /api/chat/stream, json: {message: hi, max_tokens: 50}, stream: true}
    price: 0.002
scenarios:
  s: {users: 3, duration: 2500ms}
`

// TestExporterOnARun feeds the exporter a real run's progress (the mock's breaker profile,
// whose trips are 503s) and scrapes it over HTTP with the Prometheus text parser.
func TestExporterOnARun(t *testing.T) {
	t.Parallel()
	cfg, err := mock.Profile("breaker")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale = 1, 0.002
	url, stop, err := mock.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	p, err := plan.Parse(filepath.Join(t.TempDir(), "p.yaml"), []byte(strings.ReplaceAll(exportPlan, "TARGET", url)), plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	bounds := map[*plan.Step]pricing.Bound{}
	for _, tk := range p.Tasks {
		bounds[tk.Steps[0]] = pricing.Bound{Cost: tk.Steps[0].Cost.Price}
	}
	budget := decimal.RequireFromString("5")
	exp := New(p.Name, "s")
	srv, err := Listen("127.0.0.1:0", exp.Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var mu sync.Mutex
	var last summary.Progress
	_, err = executor.Run(context.Background(), executor.Config{Plan: p, Scenario: p.Scenarios[0], Target: url,
		Catalog: pricing.Default(), Ledger: meter.New(&budget), Capped: true, Bounds: bounds, Seed: 1, LatencyBuckets: Buckets,
		OnProgress: func(pr summary.Progress) {
			exp.Update(pr)
			mu.Lock()
			last = pr
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	fams := scrapeText(t, "http://"+srv.Addr+"/metrics")
	mu.Lock()
	defer mu.Unlock()
	one := func(name string, labels ...string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Fatalf("no metric %s", name)
		}
		for _, m := range f.Metric {
			if hasLabels(m, labels...) {
				switch {
				case m.Counter != nil:
					return m.Counter.GetValue()
				case m.Gauge != nil:
					return m.Gauge.GetValue()
				}
			}
		}
		t.Fatalf("no series %s%v", name, labels)
		return 0
	}
	if v := one("loadplan_spent_usd_total"); v != last.Spent.InexactFloat64() || v <= 0 {
		t.Errorf("spent %v, progress %s", v, last.Spent)
	}
	if v := one("loadplan_budget_usd"); v != 5 {
		t.Errorf("budget %v", v)
	}
	if v := one("loadplan_projected_cost_usd"); v != last.Projected.InexactFloat64() {
		t.Errorf("projected %v, progress %s", v, last.Projected)
	}
	if v := one("loadplan_run_info", "plan", "exported", "scenario", "s"); v != 1 {
		t.Errorf("run info %v", v)
	}
	for _, row := range last.Tasks {
		if v := one("loadplan_requests_total", "name", row.Name, "method", "POST"); v != float64(row.Requests) || v == 0 {
			t.Errorf("%s: requests %v, progress %d", row.Name, v, row.Requests)
		}
		h := histogram(t, fams["loadplan_request_duration_seconds"], "name", row.Name)
		if h.GetSampleCount() != uint64(row.Requests) || len(h.Bucket) < len(Buckets) {
			t.Errorf("%s: latency histogram count %d, requests %d", row.Name, h.GetSampleCount(), row.Requests)
		}
	}
	// Only the stream has TTFT; every trip of the breaker is a 503: http_5xx.
	if ttft := fams["loadplan_ttft_seconds"]; ttft == nil || len(ttft.Metric) != 1 || !hasLabels(ttft.Metric[0], "name", "stream") {
		t.Errorf("ttft %v", ttft)
	}
	fails := 0.0
	for _, m := range fams["loadplan_failures_total"].GetMetric() {
		if !hasLabels(m, "class", "http_5xx") {
			t.Errorf("failure class %v", m.Label)
		}
		fails += m.Counter.GetValue()
	}
	// (The failures table is read a moment after the counters: a failure or two may be in
	// one and not yet the other.)
	if fails == 0 || fails < float64(last.Total.Failures)-5 || fails > float64(last.Total.Failures)+5 {
		t.Errorf("failures %v, progress %d", fails, last.Total.Failures)
	}
	if v := one("loadplan_target_series", "series", "trips"); v <= 0 {
		t.Errorf("trips %v", v)
	}
	if fams["process_cpu_seconds_total"] == nil || fams["go_goroutines"] == nil {
		t.Error("no process or Go metrics")
	}
}

func scrapeText(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return fams
}

func hasLabels(m *dto.Metric, kv ...string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, l := range m.Label {
			found = found || l.GetName() == kv[i] && l.GetValue() == kv[i+1]
		}
		if !found {
			return false
		}
	}
	return true
}

func histogram(t *testing.T, f *dto.MetricFamily, kv ...string) *dto.Histogram {
	t.Helper()
	for _, m := range f.GetMetric() {
		if hasLabels(m, kv...) && m.Histogram != nil {
			return m.Histogram
		}
	}
	t.Fatalf("no histogram %v in %v", kv, f)
	return nil
}

// TestBeforeTheFirstProgress: scraped before the run has reported, only the run's info.
func TestBeforeTheFirstProgress(t *testing.T) {
	t.Parallel()
	exp := New("p", "s")
	srv, err := Listen("127.0.0.1:0", exp.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fams := scrapeText(t, "http://"+srv.Addr+"/metrics")
	if fams["loadplan_run_info"] == nil || fams["loadplan_spent_usd_total"] != nil {
		t.Errorf("families %v", fams)
	}
	// A histogram of a progress: cumulative counts at the bounds.
	exp.Update(summary.Progress{Elapsed: time.Second, Tasks: []summary.TaskProgress{{Name: "a", Method: "GET", Requests: 3,
		LatencyHist: &summary.Histogram{Bounds: []time.Duration{time.Millisecond, time.Second}, Counts: []int64{1, 2}, Count: 3, Sum: 2 * time.Second}}}})
	h := histogram(t, scrapeText(t, "http://"+srv.Addr+"/metrics")["loadplan_request_duration_seconds"], "name", "a")
	if h.GetSampleCount() != 3 || h.GetSampleSum() != 2 || h.Bucket[0].GetCumulativeCount() != 1 || h.Bucket[1].GetUpperBound() != 1 {
		t.Errorf("histogram %v", h)
	}
}

func TestClass(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"HTTP 429 (rate limited)": "rate_limited",
		"HTTP 529 (overloaded)":   "overloaded",
		"HTTP 503":                "http_5xx",
		"HTTP 404":                "http_4xx",
		"HTTP 204 (expected 200)": "http_other",
		"timeout":                 "timeout",
		"connection refused":      "connection",
		"connection reset":        "connection",
		"no such host: x.example": "connection",
		"TLS: x509: certificate signed by unknown authority": "connection",
		"check failed: $.reply missing, e.g. got null":       "check",
		"invalid JSON":                   "check",
		"capture failed: $.id missing":   "check",
		"response body over 64 MiB":      "check",
		"stream error: overloaded_error": "stream",
		"stream cut":                     "stream",
		"aborted":                        "aborted",
		"other errors":                   "other",
		"invalid request: bad URL":       "other",
	} {
		if got := Class(msg); got != want {
			t.Errorf("Class(%q) = %s, want %s", msg, got, want)
		}
	}
}
