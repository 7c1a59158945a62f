package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// writePlan writes a plan for a run test, with TARGET replaced, and returns its path.
func writePlan(t *testing.T, yaml, target string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(yaml, "TARGET", target)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readSummary(t *testing.T, path string) *summary.Run {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary.Run
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != summary.Schema {
		t.Fatalf("schema %q", s.Schema)
	}
	return &s
}

func slowServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(delay)
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

const runPlan = `version: 1
name: cli
target: TARGET
budget: 1.00
tasks:
  ping:
    request: {method: GET, path: /ping}
    price: 0.001
    check: {json: {$.ok: exists}}
    thresholds: {cost_per_request: 0.001, failure_rate: 0%}
scenarios:
  quick: {users: 2, duration: 2s, wait: {constant: 50ms}}
  long: {users: 2, duration: 60s, wait: {constant: 50ms}}
thresholds:
  p95: 1ms
  failure_rate: 1%
  total_cost: 0.0001
`

func TestRunThresholdsFail(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 10*time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--json", out)
	if code != exitThresholds {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	if s.Pass || s.ExitCode != 1 || s.StopReason != summary.StopCompleted || s.Partial {
		t.Errorf("pass %v exit %d stop %s partial %v", s.Pass, s.ExitCode, s.StopReason, s.Partial)
	}
	want := map[string]bool{"plan/p95": false, "plan/failure_rate": true, "plan/total_cost": false,
		"task ping/cost_per_request": true, "task ping/failure_rate": true}
	for _, th := range s.Thresholds {
		key := strings.TrimSpace(th.Scope+" "+th.Task) + "/" + th.Name
		if pass, ok := want[key]; !ok || pass != th.Pass {
			t.Errorf("threshold %+v", th)
		}
		delete(want, key)
	}
	if len(want) > 0 {
		t.Errorf("thresholds missing: %v", want)
	}
	// Flat-priced: the cost is exactly the requests times the price (in decimals: 43 × 0.001
	// is 0.043000000000000003 in floats).
	if want := decimal.RequireFromString("0.001").Mul(decimal.NewFromInt(s.Actual.Requests)); !s.Actual.Cost.Equal(want) || s.Actual.Requests == 0 {
		t.Errorf("cost %s for %d requests", s.Actual.Cost, s.Actual.Requests)
	}
	for _, want := range []string{"Thresholds", "FAIL", "Aggregated", "Cost: $", "users=2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 10*time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	sigs := make(chan os.Signal, 2)
	time.AfterFunc(700*time.Millisecond, func() { sigs <- os.Interrupt })
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := MainIO([]string{"run", writePlan(t, runPlan, srv.URL), "--scenario", "long", "--json", out, "--quiet", "--budget", "10"},
		&IO{In: bytes.NewReader(nil), Out: &stdout, ErrOut: &stderr, Signals: sigs, Env: func(string) (string, bool) { return "", false }})
	if code != exitInterrupted || time.Since(start) > 15*time.Second {
		t.Fatalf("exit %d after %s\n%s\n%s", code, time.Since(start), stdout.String(), stderr.String())
	}
	s := readSummary(t, out)
	if s.StopReason != summary.StopInterrupted || s.ExitCode != 130 || !s.Partial || s.Actual.Requests == 0 {
		t.Errorf("stop %s exit %d partial %v requests %d", s.StopReason, s.ExitCode, s.Partial, s.Actual.Requests)
	}
	if !strings.Contains(stdout.String(), "interrupted") {
		t.Errorf("quiet line: %q", stdout.String())
	}
}

func TestRunRefusals(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	noBudget := strings.Replace(runPlan, "budget: 1.00\n", "", 1)
	unbounded := `version: 1
name: unbounded
target: TARGET
budget: 1
pricing: {model: claude-sonnet-4-5}
tasks:
  chat: {request: {method: POST, path: /chat, json: {message: hi}}, usage: anthropic, expect: {input_tokens: 100, output_tokens: 50}}
scenarios:
  s: {users: 1, duration: 1s, wait: {constant: 1s}}
`
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"gate", []string{"run", example, "--scenario", "normal", "--budget", "0.50"}, exitGate, "over the budget"},
		{"no budget", []string{"run", writePlan(t, noBudget, srv.URL), "--scenario", "quick"}, exitUsage, "--no-budget"},
		{"budget and no budget", []string{"run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--no-budget", "--budget", "1"}, exitUsage, "not both"},
		{"no worst case", []string{"run", writePlan(t, unbounded, srv.URL)}, exitUsage, "chat has no worst case"},
		{"host", []string{"run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--host", "https://prod.example.com"}, exitUsage, "not allowed"},
		{"json not writable", []string{"run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--json", filepath.Join(t.TempDir(), "no", "such", "dir.json")}, exitFailed, "--json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, want %d; stderr %q (want %q)\n%s", code, tc.code, stderr, tc.msg, stdout)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests were sent by refused runs", n)
	}
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	out := filepath.Join(t.TempDir(), "out.json")
	code, _, stderr := runCLI(t, "run", writePlan(t, runPlan, url), "--scenario", "quick", "--json", out, "--quiet")
	if code != exitFailed || !strings.Contains(stderr, "unreachable") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if s := readSummary(t, out); s.StopReason != summary.StopError || s.ExitCode != exitFailed {
		t.Errorf("stop %s exit %d", s.StopReason, s.ExitCode)
	}
}

// TestRunMockExample runs the example plan on the in-process mock (real latencies, so a
// short run).
func TestRunMockExample(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", example, "--scenario", "smoke", "--run-time", "2s", "--json", out, "--stop-timeout", "10s")
	// The p95 threshold (5s) may fail on a few requests of a long-tailed mock: 0 or 1.
	if code != exitOK && code != exitThresholds {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	if s.StopReason != summary.StopCompleted || s.Actual.Requests < 10 || !s.Actual.Cost.IsPositive() || s.Budget == nil || s.Estimate == nil {
		t.Errorf("stop %s requests %d cost %s budget %v", s.StopReason, s.Actual.Requests, s.Actual.Cost, s.Budget)
	}
	if s.Seed != 42 || !strings.HasPrefix(s.Target, "http://127.0.0.1:") {
		t.Errorf("seed %d target %s", s.Seed, s.Target)
	}
	if !strings.Contains(stdout, "on_start.login") || !strings.Contains(stdout, "Budget: $2.00") {
		t.Errorf("summary:\n%s", stdout)
	}
}

func TestRunWritesReports(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 5*time.Millisecond)
	p := writePlan(t, runPlan, srv.URL)
	dir := t.TempDir()
	prefix, html, hist, js := filepath.Join(dir, "res"), filepath.Join(dir, "r.html"), filepath.Join(dir, "runs.jsonl"), filepath.Join(dir, "out.json")
	for i := 0; i < 2; i++ {
		code, stdout, stderr := runCLI(t, "run", p, "--scenario", "quick", "--csv", prefix, "--html", html, "--history", hist, "--json", js, "--quiet")
		if code != exitThresholds { // p95 1ms and total_cost fail by design
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	}
	s := readSummary(t, js)
	stats, _ := os.ReadFile(prefix + "_stats.csv")
	if !bytes.HasPrefix(stats, []byte("Type,Name,Request Count,Failure Count,Median Response Time")) || !bytes.Contains(stats, []byte(",Aggregated,")) {
		t.Errorf("stats.csv:\n%s", stats)
	}
	history, _ := os.ReadFile(prefix + "_stats_history.csv")
	// The header and a row a second: at least one in a 2 s run, however busy the machine.
	if bytes.Count(history, []byte("\n")) < 2 {
		t.Errorf("stats_history.csv has too few rows:\n%s", history)
	}
	cost, _ := os.ReadFile(prefix + "_cost.csv")
	want := "Aggregated," + strconv.FormatInt(s.Actual.Requests, 10)
	if !bytes.Contains(cost, []byte(want)) || !bytes.Contains(cost, []byte(","+s.Actual.Cost.String()+",")) {
		t.Errorf("cost.csv lacks %q and the cost %s:\n%s", want, s.Actual.Cost, cost)
	}
	page, _ := os.ReadFile(html)
	if !bytes.Contains(page, []byte("<svg")) || bytes.Contains(page, []byte("http://cdn")) {
		t.Errorf("the HTML report has no chart or fetches something")
	}
	lines, _ := os.ReadFile(hist)
	if n := bytes.Count(lines, []byte("\n")); n != 2 || !bytes.Contains(lines, []byte(`"schema":"loadplan.history/v1"`)) {
		t.Errorf("history: %d lines\n%s", n, lines)
	}
}
