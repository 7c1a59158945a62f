package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadplan/loadplan/calibration"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/planner"
	"github.com/shopspring/decimal"
)

// calPlan is two priced tasks of the mock's AI service (its default profile draws what their
// expect values say) and a free one, as an open model of 100 task iterations.
const calPlan = `version: 1
name: cal
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
budget: 5
tasks:
  chat:
    weight: 3
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 512}}
    expect: {input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, output_tokens: 300,
             max_input_tokens: 4000, latency: {median: 1.8s, p95: 4s}}
  dte:
    weight: 1
    request: {method: POST, path: /api/dte/validate, json: {message: hi, max_tokens: 400}}
    expect: {input_tokens: 2500, cacheable_tokens: 2000, cache_hit_rate: 80%, output_tokens: 200,
             max_input_tokens: 6000, latency: {median: 1.2s, p95: 2.5s}}
  health: {weight: 1, request: {path: /health}, price: free}
scenarios:
  open: {arrival_rate: 100/s, duration: 1s, max_in_flight: 100}
`

// fastMock is the mock's default profile without delays, seeded.
func fastMock(t *testing.T, seed uint64) string {
	t.Helper()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeScale, cfg.Seed = 0, seed
	base, stop, err := mock.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return base
}

func TestCalibrateFlags(t *testing.T) {
	t.Parallel()
	var got *calibrateOptions
	cmd := newCmdCalibrate(&IO{}, func(o *calibrateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.json", "b.json", "--plan", "p.yaml", "-o", "c.yaml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Runs, ",") != "a.json,b.json" || got.Plan != "p.yaml" || got.Output != "c.yaml" || got.Requests != 20 {
		t.Fatalf("options %+v", got)
	}
	cmd = newCmdCalibrate(&IO{}, func(o *calibrateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--pilot", "p.yaml", "-s", "smoke", "--requests", "5", "--budget", "1", "--spread", "2s"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Pilot != "p.yaml" || got.Scenario != "smoke" || got.Requests != 5 || got.Budget != "1" || got.Spread.Seconds() != 2 {
		t.Fatalf("pilot options %+v", got)
	}
}

// Two runs on the mock, pooled into a calibration that estimate then uses: its values in
// the assumes: lines, its quantiles in the Monte-Carlo view.
func TestCalibrateFromRunsThenEstimate(t *testing.T) {
	t.Parallel()
	base := fastMock(t, 4)
	path := writePlan(t, calPlan, base)
	dir := t.TempDir()
	var chat int64
	for i, seed := range []string{"1", "2"} {
		js := filepath.Join(dir, fmt.Sprintf("r%d.json", i))
		if code, out, errOut := runCLI(t, "run", path, "--seed", seed, "--quiet", "--json", js); code != 0 {
			t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
		}
		for _, ts := range readSummary(t, js).Tasks {
			if ts.Name == "chat" {
				chat += ts.Requests
				if ts.TokenDist == nil || ts.TokenDist.Responses != ts.Requests {
					t.Fatalf("chat token_dist %+v for %d requests", ts.TokenDist, ts.Requests)
				}
			}
		}
	}
	cal := filepath.Join(dir, "cal.yaml")
	code, _, errOut := runCLI(t, "calibrate", filepath.Join(dir, "r0.json"), filepath.Join(dir, "r1.json"), "--plan", path, "-o", cal)
	if code != 0 {
		t.Fatalf("calibrate: exit %d\n%s", code, errOut)
	}
	c, err := calibration.Load(cal)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Lookup("chat"); s == nil || s.Samples != chat || s.Prompt == nil || s.Prompt.Quantiles[0] < 1000 {
		t.Fatalf("chat calibrated %+v, want %d samples, prompts of 1000 tokens or more", s, chat)
	}
	code, out, errOut := runCLI(t, "estimate", path, "--calibration", cal, "--percentiles", "--draws", "300", "--output", "json")
	if code != 0 {
		t.Fatalf("estimate: exit %d\n%s", code, errOut)
	}
	var est planner.Estimate
	if err := json.Unmarshal([]byte(out), &est); err != nil {
		t.Fatal(err)
	}
	s := est.Scenarios[0]
	if !strings.Contains(strings.Join(s.Assumptions, "\n"), "expect.input_tokens (calibration "+cal+"): chat ") {
		t.Fatalf("assumptions:\n%s", strings.Join(s.Assumptions, "\n"))
	}
	mc := s.Percentiles
	if mc == nil || mc.Seed != 1 || mc.Draws != 300 || mc.Cost.P5.GreaterThan(mc.Cost.P50) || mc.Cost.P50.GreaterThan(mc.Cost.P95) ||
		strings.Join(mc.Calibrated, ",") != "chat,dte" || mc.OverBudget == nil {
		t.Fatalf("percentiles %+v", mc)
	}

	// A calibration of another plan warns; a bad one is refused with its place.
	other := strings.Replace(calPlan, "name: cal", "name: other", 1)
	other = strings.Replace(other, "  chat:", "  talk:", 1)
	code, _, errOut = runCLI(t, "estimate", writePlan(t, other, base), "--calibration", cal)
	if code != 0 || !strings.Contains(errOut, `is of plan "cal", not "other"`) || !strings.Contains(errOut, "has no data for talk") {
		t.Fatalf("another plan's calibration: exit %d\n%s", code, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\ntasks:\n  chat:\n    cache_hit_rate: 2x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"estimate", "run"} {
		code, _, errOut = runCLI(t, cmd, path, "--calibration", bad)
		if code != exitUsage || !strings.Contains(errOut, bad+":4:21: tasks.chat.cache_hit_rate:") {
			t.Fatalf("%s with a bad calibration: exit %d\n%s", cmd, code, errOut)
		}
	}
}

// The pilot sends exactly --requests of each task (one every 500 ms: the last is due 500 ms
// before the end of --spread, time enough on a loaded machine), within its budget, and writes the
// calibration; a budget below its estimate refuses it before anything is sent.
func TestPilotOnMock(t *testing.T) {
	t.Parallel()
	base := fastMock(t, 5)
	path := writePlan(t, calPlan, base)
	cal := filepath.Join(t.TempDir(), "cal.yaml")
	code, _, errOut := runCLI(t, "calibrate", "--pilot", path, "--requests", "3", "--spread", "1500ms", "--budget", "1", "-o", cal)
	if code != 0 {
		t.Fatalf("pilot: exit %d\n%s", code, errOut)
	}
	c, err := calibration.Load(cal)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chat", "dte", "health"} {
		if s := c.Lookup(name); s == nil || s.Requests != 3 {
			t.Fatalf("%s: %+v, want 3 requests\n%s", name, s, errOut)
		}
	}
	if s := c.Lookup("chat"); s.Samples != 3 {
		t.Fatalf("chat: %d samples, want 3", s.Samples)
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".plan.yaml.pilot-*")); len(entries) != 0 {
		t.Fatalf("the pilot's copies of the plan are left: %v", entries)
	}
	cal2 := filepath.Join(t.TempDir(), "cal.yaml")
	code, _, errOut = runCLI(t, "calibrate", "--pilot", path, "--requests", "4", "--budget", "0.001", "-o", cal2)
	if code != exitGate || !strings.Contains(errOut, "over the budget $0.001") {
		t.Fatalf("pilot over budget: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(cal2); !os.IsNotExist(err) {
		t.Fatalf("a refused pilot wrote %s", cal2)
	}
}

// The actual cost of runs on the mock falls inside the estimate's [P5, P95] about 90 % of the
// time: over a fixed list of 20 seeds (each its own mock, seeded alike), at least 14 (with a
// true coverage of 90 %, fewer than 14 happens about 1 % of the time), and the interval is
// narrow enough to say something (under a third of the expected cost).
func TestPercentilesCoverRunsOnMock(t *testing.T) {
	t.Parallel()
	// 100 iterations over 5 s, one every 50 ms: a loaded machine (the race detector, the whole
	// suite on two cores) still starts each on time, which a burst in 1 s may not.
	coverPlan := strings.Replace(calPlan, "arrival_rate: 100/s, duration: 1s", "arrival_rate: 20/s, duration: 5s", 1)
	code, out, errOut := runCLI(t, "estimate", writePlan(t, coverPlan, "http://127.0.0.1:1"), "--percentiles", "--seed", "11", "--output", "json")
	if code != 0 {
		t.Fatalf("estimate: exit %d\n%s", code, errOut)
	}
	var est planner.Estimate
	if err := json.Unmarshal([]byte(out), &est); err != nil {
		t.Fatal(err)
	}
	mc := est.Scenarios[0].Percentiles
	if width := mc.Cost.P95.Sub(mc.Cost.P5); width.GreaterThan(est.Scenarios[0].Cost.Expected.Div(decimal.NewFromInt(3))) {
		t.Fatalf("[P5, P95] = [%s, %s] is too wide for an expected %s", mc.Cost.P5, mc.Cost.P95, est.Scenarios[0].Cost.Expected)
	}
	var mu sync.Mutex
	var costs []string
	inside := 0
	t.Run("runs", func(t *testing.T) {
		for seed := 1; seed <= 20; seed++ {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				base := fastMock(t, uint64(seed))
				js := filepath.Join(t.TempDir(), "r.json")
				if code, _, errOut := runCLI(t, "run", writePlan(t, coverPlan, base), "--seed", fmt.Sprint(seed), "--quiet", "--json", js); code != 0 {
					t.Fatalf("run: exit %d\n%s", code, errOut)
				}
				sum := readSummary(t, js)
				c := sum.Actual.Cost
				mu.Lock()
				defer mu.Unlock()
				costs = append(costs, fmt.Sprintf("%s (%d requests)", c, sum.Actual.Requests))
				if !c.LessThan(mc.Cost.P5) && !c.GreaterThan(mc.Cost.P95) {
					inside++
				}
			})
		}
	})
	if inside < 14 {
		t.Fatalf("%d of 20 actual costs inside [P5 %s, P95 %s]: %v", inside, mc.Cost.P5, mc.Cost.P95, costs)
	}
	t.Logf("%d of 20 inside [P5 %s, P95 %s]", inside, mc.Cost.P5, mc.Cost.P95)
}

// estimate --history shows the past runs of the same plan and scenario beside the estimate:
// +10 % and −10 % against their estimates make a mean error of 0.
func TestEstimateHistory(t *testing.T) {
	t.Parallel()
	path := writePlan(t, calPlan, "http://127.0.0.1:1")
	hist := filepath.Join(t.TempDir(), "runs.jsonl")
	lines := `{"schema":"loadplan.history/v1","plan":"cal","scenario":"open","started_at":"2026-12-01T10:00:00Z","stop_reason":"completed","requests":100,"cost":"0.55","estimate":"0.5"}
{"schema":"loadplan.history/v1","plan":"cal","scenario":"open","started_at":"2026-12-02T10:00:00Z","stop_reason":"completed","requests":100,"cost":"0.45","estimate":"0.5"}
{"schema":"loadplan.history/v1","plan":"cal","scenario":"open","started_at":"2026-12-03T10:00:00Z","stop_reason":"interrupted","requests":10,"cost":"0.05","estimate":"0.5"}
{"schema":"loadplan.history/v1","plan":"other","scenario":"open","started_at":"2026-12-02T10:00:00Z","stop_reason":"completed","requests":1,"cost":"9","estimate":"1"}
`
	if err := os.WriteFile(hist, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "estimate", path, "--history", hist)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"+10.0%", "-10.0%", "History: 3 past runs, 2 completed; mean error of their estimates 0.0% (actual against estimated); mean actual $0.50"} {
		if !strings.Contains(out, want) {
			t.Fatalf("missing %q in\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "estimate", path, "--history", hist, "--output", "json")
	var est planner.Estimate
	if err := json.Unmarshal([]byte(out), &est); code != 0 || err != nil {
		t.Fatalf("exit %d: %v", code, err)
	}
	h := est.Scenarios[0].History
	if h == nil || len(h.Runs) != 3 || h.Completed != 2 || h.MeanErrorPct == nil || *h.MeanErrorPct != 0 || !h.ActualMean.Equal(decimal.RequireFromString("0.5")) {
		t.Fatalf("history %+v", h)
	}
	if code, _, errOut := runCLI(t, "estimate", path, "--history", path); code != exitUsage || !strings.Contains(errOut, "--history:") {
		t.Fatalf("a plan given as history: exit %d\n%s", code, errOut)
	}
}
