package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/sweep"
	"github.com/shopspring/decimal"
)

// sweepPlan is swept against a mock whose /api/chat/message takes exactly 200 ms with 4
// workers: 20 requests/s at most. At 10/s no request waits; at 40/s the line grows by 20
// a second (a request arriving at t waits t s) and p95 is far over 1 s.
const sweepPlan = `version: 1
name: sweep-cli
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 50}}
    usage: anthropic
    expect: {input_tokens: 20, output_tokens: 10, max_input_tokens: 40, latency: {median: 200ms}}
scenarios:
  steady: {arrival_rate: 4/s, duration: 2s, max_in_flight: 200}
thresholds:
  p95: 1s
`

// capacityMock starts the embedded mock with 4 workers and a fixed 200 ms latency.
func capacityMock(t *testing.T) (string, *mock.Server) {
	t.Helper()
	srv, err := mock.New(mock.Config{Model: mock.DefaultModel, TimeScale: 1, Capacity: 4, Endpoints: map[string]mock.Endpoint{
		mock.PathChatMessage: {Latency: mock.Latency{Median: 200 * time.Millisecond}, InputTokens: 20, MaxInputTokens: 40,
			OutputTokens: 10, MaxOutputTokens: 50},
	}})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, srv
}

func TestNewCmdSweepFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		check func(*sweepOptions) bool
	}{
		{"rates and steps", []string{"plan.yaml", "-s", "steady", "--rates", "2/s..40/s", "--steps", "8", "--step-duration", "1m", "--budget", "5"},
			func(o *sweepOptions) bool {
				return o.plan == "plan.yaml" && o.scenario == "steady" && o.rates == "2/s..40/s" && o.steps == 8 &&
					o.stepDuration == time.Minute && o.budget == "5" && o.refine == 0 && !o.seedSet
			}},
		{"users, step, refine, outputs", []string{"p.yaml", "--users", "10..200", "--step", "10", "--step-duration", "90", "--refine", "2",
			"--min-attainment", "99%", "--json", "s.json", "--html", "s.html", "--seed", "7", "--allow-over-budget", "-q"},
			func(o *sweepOptions) bool {
				return o.users == "10..200" && o.step == "10" && o.stepDuration == 90*time.Second && o.refine == 2 &&
					o.minAttainment == "99%" && o.jsonFile == "s.json" && o.htmlFile == "s.html" && o.seed == 7 && o.seedSet &&
					o.allowOverBudget && o.quiet
			}},
		{"defaults", []string{"p.yaml", "--rates", "1/s..2/s"},
			func(o *sweepOptions) bool {
				return o.stepDuration == time.Minute && o.profile == "default" && o.stopTimeout == 30*time.Second && !o.noBudget
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *sweepOptions
			cmd := newCmdSweep(&IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(o *sweepOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got == nil || !tc.check(got) {
				t.Errorf("%v parsed to %+v", tc.args, got)
			}
		})
	}
}

func TestSweepLevels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o      sweepOptions
		want   []float64
		closed bool
		err    string
	}{
		{o: sweepOptions{rates: "2/s..40/s", steps: 3}, want: []float64{2, 21, 40}},
		{o: sweepOptions{rates: "5/s..20/s", step: "5/s"}, want: []float64{5, 10, 15, 20}},
		{o: sweepOptions{rates: "60/min..3/s", step: "1/s"}, want: []float64{1, 2, 3}},
		{o: sweepOptions{users: "10..50", step: "20"}, want: []float64{10, 30, 50}, closed: true},
		{o: sweepOptions{users: "1..3"}, want: []float64{1, 2, 3}, closed: true}, // 8 steps of users rounded: 1, 1.29, ... → 1, 2, 3
		{o: sweepOptions{}, err: "give the load to sweep"},
		{o: sweepOptions{rates: "1/s..2/s", users: "1..2"}, err: "not both"},
		{o: sweepOptions{rates: "1/s..2/s", steps: 2, step: "1/s"}, err: "--steps or --step, not both"},
		{o: sweepOptions{rates: "5/s..2/s"}, err: "0 < LOW <= HIGH"},
		{o: sweepOptions{rates: "5"}, err: "LOW..HIGH"},
		{o: sweepOptions{users: "10..5"}, err: "1 <= LOW <= HIGH"},
		{o: sweepOptions{users: "1..5", step: "2/s"}, err: "whole number of users"},
	}
	for _, tc := range tests {
		got, closed, err := tc.o.levels()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != exitUsage {
				t.Errorf("%+v: %v, want %q (exit 2)", tc.o, err, tc.err)
			}
			continue
		}
		if err != nil || closed != tc.closed || len(got) != len(tc.want) {
			t.Errorf("%+v: %v %v %v, want %v", tc.o, got, closed, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%+v: %v, want %v", tc.o, got, tc.want)
			}
		}
	}
}

// TestSweepGateRefuses: 10/s and 40/s for 60 s each are 3,000 requests, far over a cent: the
// sweep is refused before anything is sent (exit 3), as run's gate words it; with
// --allow-over-budget it would start. Without a budget and without --no-budget it is exit 2.
func TestSweepGateRefuses(t *testing.T) {
	t.Parallel()
	url, srv := capacityMock(t)
	p := writePlan(t, sweepPlan, url)
	code, _, errOut := runCLI(t, "sweep", p, "--rates", "10/s..40/s", "--steps", "2", "--step-duration", "1m", "--budget", "0.01")
	if code != exitGate || !strings.Contains(errOut, "is over the budget $0.01") || !strings.Contains(errOut, "--allow-over-budget") {
		t.Errorf("exit %d, want 3: %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "sweep", p, "--rates", "10/s..40/s", "--steps", "2", "--step-duration", "1m")
	if code != exitUsage || !strings.Contains(errOut, "--no-budget") {
		t.Errorf("no budget: exit %d, want 2: %s", code, errOut)
	}
	if n := srv.Ledger().Snapshot().Requests[mock.PathChatMessage]; len(n) != 0 {
		t.Errorf("a refused sweep sent %v", n)
	}
}

// TestSweepCommand: the whole command on the mock, 5/s then 40/s for 2 s each on a budget
// the sweep's estimate fits: it holds at 5/s (a quarter of the capacity, so that a busy
// machine does not break it) and breaks at 40/s (exit 0, knee 5/s), the
// JSON and HTML are written, and the mock billed no more than the budget.
func TestSweepCommand(t *testing.T) {
	t.Parallel()
	url, srv := capacityMock(t)
	p := writePlan(t, sweepPlan, url)
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "sweep.json"), filepath.Join(dir, "sweep.html")
	code, out, errOut := runCLI(t, "sweep", p, "--rates", "5/s..40/s", "--steps", "2", "--step-duration", "2s",
		"--budget", "0.10", "--json", jsonPath, "--html", htmlPath, "--stop-timeout", "10s")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Knee: 5/s", "40/s broke", "BROKE", "COST/1K GOOD", "step 1 5/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res sweep.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Schema != sweep.Schema || res.Knee == nil || res.Knee.Level != 5 || len(res.Steps) != 2 || res.ExitCode != 0 ||
		res.Steps[0].Summary == nil || res.Budget == nil {
		t.Errorf("sweep.json: %+v", res)
	}
	html, err := os.ReadFile(htmlPath)
	if err != nil || !bytes.Contains(html, []byte("<svg")) || !bytes.Contains(html, []byte("Knee: 5/s")) {
		t.Errorf("sweep.html (%v): %.300s", err, html)
	}
	billed := srv.Ledger().Snapshot().Cost
	if billed.GreaterThan(decimal.RequireFromString("0.10")) || !billed.Equal(res.Totals.Cost) {
		t.Errorf("the mock billed %s, the sweep counted %s", billed, res.Totals.Cost)
	}
}

// TestSweepInterrupt: an interrupt stops the sweep gracefully (exit 130) and still writes
// its JSON, with the steps that ran (none or the first, stopped).
func TestSweepInterrupt(t *testing.T) {
	t.Parallel()
	url, _ := capacityMock(t)
	p := writePlan(t, sweepPlan, url)
	jsonPath := filepath.Join(t.TempDir(), "sweep.json")
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	var out, errOut bytes.Buffer
	code := MainIO([]string{"sweep", p, "--rates", "10/s..40/s", "--steps", "2", "--step-duration", "30s", "--no-budget", "--json", jsonPath},
		&IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, Signals: sigs, Env: func(string) (string, bool) { return "", false }})
	if code != exitInterrupted {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out.String(), errOut.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res sweep.Result
	if err := json.Unmarshal(data, &res); err != nil || res.StopReason != sweep.StopInterrupted || res.ExitCode != exitInterrupted || len(res.Steps) > 1 {
		t.Errorf("sweep.json (%v): %+v", err, res)
	}
}
