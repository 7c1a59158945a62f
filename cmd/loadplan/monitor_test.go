package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/monitor"
)

const monitorRunPlan = `version: 1
name: watched
target: TARGET
seed: 9
pricing: {model: claude-sonnet-4-5}
budget: 1.00
monitor:
  every: 1s
  series:
    breaker_trips: circuit_breaker_open_total
    requests: sum(claude_api_requests_total)
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 20}}
    price: free
scenarios:
  short: {users: 4, duration: 3500ms, wait: {constant: 5ms}}
thresholds:
  target_metric: {series: breaker_trips, max_increase: 0}
`

// TestRunMonitorFlagAndThresholds runs on the mock's breaker profile with the plan's monitor
// and --monitor /metrics: the breaker's trips fail target_metric (exit 1), the series are in
// the JSON, the terminal summary and the HTML report, and --monitor's default series are
// named apart from the plan's.
func TestRunMonitorFlagAndThresholds(t *testing.T) {
	t.Parallel()
	cfg, err := mock.Profile("breaker")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeScale, cfg.Seed = 0, 9
	base, stop, err := mock.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	js, html := filepath.Join(dir, "out.json"), filepath.Join(dir, "r.html")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, monitorRunPlan, base), "--monitor", "/metrics", "--monitor", base+"/metrics",
		"--json", js, "--html", html, "--stop-timeout", "5s")
	if code != exitThresholds {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, js)
	if s.Monitor == nil || len(s.Monitor.Targets) != 3 {
		t.Fatalf("monitor %+v", s.Monitor)
	}
	var names []string
	for _, sr := range s.Monitor.Series {
		names = append(names, sr.Name)
	}
	if strings.Join(names, ",") != "breaker_trips,requests,cpu,memory,cpu_2,memory_2" {
		t.Errorf("series %v", names)
	}
	trips := s.Monitor.Find("breaker_trips")
	if len(trips.Points) < 3 || trips.Points[len(trips.Points)-1].V == 0 {
		t.Errorf("breaker trips %+v", trips)
	}
	failed := false
	for _, r := range s.Thresholds {
		failed = failed || r.Name == "target_metric" && r.Limit == "breaker_trips: max_increase 0" && !r.Pass && r.Actual != monitor.NoData
	}
	if !failed {
		t.Errorf("target_metric did not fail on the trips: %+v", s.Thresholds)
	}
	for _, want := range []string{"Target " + base + "/metrics: ", "breaker_trips = circuit_breaker_open_total: 0 → ", "target_metric",
		"target: breaker_trips ", " · requests ", " · cpu_2 "} { // the live view's line (plain: not a terminal)
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	page, _ := os.ReadFile(html)
	if !strings.Contains(string(page), `id="target"`) || !strings.Contains(string(page), "Monitored series breaker_trips over time") {
		t.Errorf("the HTML report has no target health charts")
	}
}

func TestRunMonitorRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 0)
	p := writePlan(t, monitorRunPlan, srv.URL)
	noMon := writePlan(t, strings.Replace(monitorRunPlan, "monitor:\n  every: 1s\n  series:\n    breaker_trips: circuit_breaker_open_total\n    requests: sum(claude_api_requests_total)\n", "", 1), srv.URL)
	cpu := writePlan(t, strings.Replace(monitorRunPlan, "target_metric: {series: breaker_trips, max_increase: 0}", "target_cpu: 80%", 1), srv.URL)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"not monitored at load", []string{"run", cpu}, "thresholds.target_cpu: series cpu is not monitored; valid: breaker_trips, requests"},
		{"no monitor at all", []string{"run", noMon}, "threshold target_metric judges the series breaker_trips, which no monitor has"},
		{"--monitor names its own", []string{"run", noMon, "--monitor", "/metrics"}, "threshold target_metric judges the series breaker_trips"},
		{"bad URL", []string{"run", p, "--monitor", "metrics"}, "--monitor: metrics is not a metrics URL"},
		{"host not allowed", []string{"run", p, "--monitor", "http://elsewhere.example/metrics"}, "--monitor: host elsewhere.example is not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want 2 and %q\n%s\n%s", code, c.want, stdout, stderr)
			}
		})
	}
}

// TestExampleEnduranceMonitor runs the example's endurance scenario, shortened, on the
// in-process mock: its monitor thresholds (CPU, memory growth after the warm-up, no breaker
// trip) are judged on real scrapes, not "no data". (The process metrics are those of this
// test binary, which runs other tests meanwhile: only the breaker's verdict is asserted.)
func TestExampleEnduranceMonitor(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", example, "--scenario", "endurance", "--users", "5", "--spawn-rate", "5",
		"--run-time", "11s", "--json", out, "--stop-timeout", "10s", "--quiet")
	if code != exitOK && code != exitThresholds {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	judged := map[string]bool{}
	for _, r := range s.Thresholds {
		if !strings.HasPrefix(r.Name, "target_") {
			continue
		}
		judged[r.Name] = true
		if r.Actual == monitor.NoData {
			t.Errorf("%s (%s): no data\n%+v", r.Name, r.Limit, s.Monitor)
		}
		if r.Name == "target_metric" && (!r.Pass || r.Actual != "0") {
			t.Errorf("breaker trips on the default profile: %+v", r)
		}
	}
	if len(judged) != 3 {
		t.Errorf("monitor thresholds judged: %v", judged)
	}
	if sr := s.Monitor.Find("cache_hits"); sr == nil || len(sr.Points) == 0 {
		t.Errorf("cache_hits %+v", sr)
	}
}

// freePort returns a loopback address with a port free at the time of the call.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestMetricsAddrWithPrometheus runs a real Prometheus server (Debian's prometheus package)
// that scrapes loadplan run --metrics-addr every second, runs the example's smoke scenario on
// the mock, and reads the spent series back through Prometheus's HTTP API. Without the
// binary it is skipped, except in CI (CI set), where it fails.
func TestMetricsAddrWithPrometheus(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("prometheus is not installed (apt-get install prometheus): %v", err)
		}
		t.Skip("prometheus is not installed (apt-get install prometheus); CI runs this test")
	}
	dir := t.TempDir()
	metricsAddr, promAddr := freePort(t), freePort(t)
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: loadplan
    static_configs: [{targets: ['%s']}]
`, metricsAddr)), 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	api := "http://" + promAddr
	for i := 0; ; i++ {
		resp, err := http.Get(api + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if i > 300 {
			t.Fatalf("prometheus not ready after 30s: %v\n%s", err, log.String())
		}
		<-time.After(100 * time.Millisecond)
	}

	out := filepath.Join(dir, "out.json")
	code, stdout, stderr := runCLI(t, "run", example, "--scenario", "smoke", "--run-time", "6s", "--metrics-addr", metricsAddr,
		"--json", out, "--stop-timeout", "10s")
	if code != exitOK && code != exitThresholds {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Metrics: http://"+metricsAddr+"/metrics") {
		t.Errorf("the metrics address is not shown:\n%s", stdout)
	}
	s := readSummary(t, out)

	query := func(q string) (float64, bool) {
		t.Helper()
		resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
			t.Fatalf("query %s: %v %s", q, err, body)
		}
		if len(r.Data.Result) == 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(r.Data.Result[0].Value[1].(string), 64)
		if err != nil {
			t.Fatal(err)
		}
		return v, true
	}
	// The run is over, so its series are stale: read their last values over the last minutes.
	spent, ok := query(`max_over_time(loadplan_spent_usd_total{job="loadplan"}[5m])`)
	final := s.Actual.Cost.InexactFloat64()
	if !ok || spent <= 0 || spent > final {
		t.Errorf("spent in prometheus %v (found %v), the run's cost %v\n%s", spent, ok, final, log.String())
	}
	if budget, ok := query(`max_over_time(loadplan_budget_usd[5m])`); !ok || budget != 2 {
		t.Errorf("budget %v %v", budget, ok)
	}
	if n, ok := query(`sum(max_over_time(loadplan_request_duration_seconds_count[5m]))`); !ok || n <= 0 || n > float64(s.Actual.Requests) {
		t.Errorf("latency histogram count %v %v, requests %d", n, ok, s.Actual.Requests)
	}
	if _, ok := query(`max_over_time(loadplan_run_info{plan="ai-service",scenario="smoke"}[5m])`); !ok {
		t.Error("no loadplan_run_info")
	}
}
