package executor

import (
	"encoding/json"
	"errors"
	"github.com/loadplan/loadplan/summary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/monitor"
)

const monitorPlan = `version: 1
name: monitored
target: TARGET
pricing: {model: claude-sonnet-4-5}
monitor:
  - url: /metrics
    every: 1s
    series:
      cpu: 'rate(process_cpu_seconds_total[30s])'
      memory: process_resident_memory_bytes
      breaker_trips: circuit_breaker_open_total
      input: 'claude_api_tokens_total{type="input"}'
  - {url: 'http://127.0.0.1:1/metrics', every: 1s, series: {gone: up}}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 100, max_input_tokens: 4000}
scenarios:
  s: {users: 4, duration: 3s}
thresholds:
  target_cpu: 10000%
  target_memory_growth: 1000%
  target_metric: [{series: breaker_trips, max_increase: 0}, {series: gone, max: 1}]
`

// TestRunMonitors runs the plan's monitors during a run on the mock's breaker profile: the
// series are in the summary and in the progress, the breaker's trips fail target_metric, a
// monitor whose endpoint is gone only counts failed scrapes, and its series' threshold is
// "no data", which fails.
func TestRunMonitors(t *testing.T) {
	t.Parallel()
	// 20 % trips: a short run on a busy machine still sees one.
	url, srv := startMock(t, func(c *mock.Config) { c.Faults = mock.Faults{BreakerOpen: 0.2} })
	p := parsePlan(t, monitorPlan, url, nil)
	cfg := config(t, p, "s", url, nil)
	cfg.LatencyBuckets = []time.Duration{time.Millisecond, 10 * time.Millisecond, time.Second}
	var mu sync.Mutex
	var last summary.Progress
	cfg.OnProgress = func(pr summary.Progress) {
		mu.Lock()
		last = pr
		mu.Unlock()
	}
	s := run(t, cfg)
	if s.Monitor == nil || len(s.Monitor.Targets) != 2 || len(s.Monitor.Series) != 5 {
		t.Fatalf("monitor %+v", s.Monitor)
	}
	live, gone := s.Monitor.Targets[0], s.Monitor.Targets[1]
	// Scrapes at 0, 1, 2 (and 3 when the run lasts long enough).
	if live.Scrapes < 3 || live.Failed != 0 || live.URL != url+"/metrics" {
		t.Errorf("live target %+v", live)
	}
	if gone.Scrapes < 3 || gone.Failed != gone.Scrapes || !strings.Contains(gone.LastError, "connection refused") {
		t.Errorf("gone target %+v", gone)
	}
	trips := s.Monitor.Find("breaker_trips")
	ledger := srv.Ledger().Snapshot()
	if n := len(trips.Points); n < 3 || trips.Points[n-1].V <= trips.Points[0].V || trips.Points[n-1].V > float64(ledger.BreakerTrips) {
		t.Errorf("breaker trips %+v, ledger %d", trips.Points, ledger.BreakerTrips)
	}
	if mem := s.Monitor.Find("memory"); len(mem.Points) < 3 || mem.Unit != monitor.UnitBytes {
		t.Errorf("memory %+v", mem)
	}
	want := map[string]bool{"target_cpu": true, "target_memory_growth": true, "breaker_trips: max_increase 0": false, "gone: max 1": false}
	for _, th := range s.Thresholds {
		key := th.Name
		if th.Name == "target_metric" {
			key = th.Limit
		}
		pass, ok := want[key]
		if !ok {
			continue
		}
		delete(want, key)
		if th.Pass != pass {
			t.Errorf("%s (%s): actual %s pass %v, want %v", th.Name, th.Limit, th.Actual, th.Pass, pass)
		}
		if key == "gone: max 1" && th.Actual != monitor.NoData {
			t.Errorf("gone: actual %q, want no data", th.Actual)
		}
	}
	if len(want) != 0 || s.Pass {
		t.Errorf("thresholds not judged: %v; pass %v", want, s.Pass)
	}
	// The JSON has the monitor key, and no NaN that would make it invalid.
	b, err := json.Marshal(s)
	if err != nil || !strings.Contains(string(b), `"monitor":{"targets":[`) {
		t.Errorf("json: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if last.Monitor == nil || len(last.Monitor.Values) != 5 || last.Monitor.Failed == 0 {
		t.Errorf("progress monitor %+v", last.Monitor)
	}
	// The histograms of Config.LatencyBuckets: cumulative, the total equal to the requests.
	h := last.Total.LatencyHist
	if h == nil || h.Count != last.Total.Requests || len(h.Counts) != 3 || h.Counts[2] > h.Count || h.Counts[0] > h.Counts[1] || h.Sum <= 0 {
		t.Errorf("latency histogram %+v, requests %d", h, last.Total.Requests)
	}
	if len(last.Failures) == 0 || !strings.HasPrefix(last.Failures[0].Error, "HTTP 503") {
		t.Errorf("progress failures %+v", last.Failures)
	}
}

// TestMonitorHostRefused: an absolute monitor URL must be to an allowed host, as a request's.
func TestMonitorHostRefused(t *testing.T) {
	t.Parallel()
	p := parsePlan(t, strings.Replace(monitorPlan, "'http://127.0.0.1:1/metrics'", "'http://127.0.0.1:1/m'", 1), "http://127.0.0.1:9", nil)
	p.Monitors[1].URL = "http://elsewhere.example/metrics" // as run --monitor could add
	_, err := Run(t.Context(), config(t, p, "s", "http://127.0.0.1:9", nil))
	var ce *ConfigError
	if err == nil || !strings.Contains(err.Error(), "host elsewhere.example is not allowed") || !errors.As(err, &ce) {
		t.Errorf("err %v", err)
	}
}
