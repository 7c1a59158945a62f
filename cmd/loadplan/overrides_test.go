package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestZeroOverridesRefused: a load flag given as 0 or empty (an empty CI variable) is a usage
// error (exit 2) before anything is sent, never "no override": run --users 0 used to run the
// whole scenario.
func TestZeroOverridesRefused(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	p := writePlan(t, runPlan, srv.URL)
	open := writePlan(t, strings.Replace(runPlan, "quick: {users: 2, duration: 2s, wait: {constant: 50ms}}", "quick: {arrival_rate: 5/s, duration: 2s}", 1), srv.URL)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--users", "0"}, "--users 0: give 1 or more users"},
		{[]string{"-u", "0"}, "--users 0"},
		{[]string{"--users", ""}, "--users"},
		{[]string{"--spawn-rate", "0"}, "--spawn-rate 0: give users started per second, more than 0"},
		{[]string{"--run-time", "0s"}, "--run-time 0s: give a duration of more than 0s"},
		{[]string{"--duration", "0s"}, "--run-time 0s"},
		{[]string{"--arrival-rate", "0/s"}, "--arrival-rate 0/s: give a rate of more than 0"},
		{[]string{"--arrival-rate", ""}, "--arrival-rate"},
		{[]string{"--budget", ""}, "--budget"},
	}
	for _, tc := range cases {
		for _, cmd := range []string{"run", "estimate"} {
			for _, plan := range []string{p, open} {
				args := append([]string{cmd, plan, "--scenario", "quick"}, tc.args...)
				code, stdout, stderr := runCLI(t, args...)
				if code != exitUsage || !strings.Contains(stderr, tc.msg) {
					t.Errorf("%s: exit %d, want 2; stderr %q (want %q)\n%s", strings.Join(args, " "), code, stderr, tc.msg, stdout)
				}
			}
		}
	}
	// Without a plan (ad-hoc), too.
	if code, _, stderr := runCLI(t, "estimate", "--users", "0", "--run-time", "1m", "--rate", "1/s", "--price", "0.01"); code != exitUsage || !strings.Contains(stderr, "--users 0") {
		t.Errorf("ad-hoc --users 0: exit %d: %s", code, stderr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent by refused runs", n)
	}
}

// TestZeroBudgetMeansZero: --budget 0 is a budget of $0: a priced scenario is refused by the
// gate (exit 3, nothing sent), a free one runs within it.
func TestZeroBudgetMeansZero(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	p := writePlan(t, runPlan, srv.URL)
	for _, cmd := range []string{"run", "estimate"} {
		if code, _, stderr := runCLI(t, cmd, p, "--scenario", "quick", "--budget", "0"); code != exitGate || !strings.Contains(stderr, "over the budget $0.00") {
			t.Errorf("%s --budget 0: exit %d, want 3: %s", cmd, code, stderr)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent by a refused run", n)
	}
	free := `version: 1
name: free
target: TARGET
tasks:
  ping: {request: {path: /ping}, price: free}
scenarios:
  s: {users: 1, duration: 300ms, wait: {constant: 50ms}}
`
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, free, srv.URL), "--budget", "0", "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("a free scenario with --budget 0: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if s := readSummary(t, out); s.Budget == nil || !s.Budget.Limit.IsZero() || s.Actual.Requests == 0 || !s.Actual.Cost.IsZero() {
		t.Errorf("budget %+v, %d requests, cost %s", s.Budget, s.Actual.Requests, s.Actual.Cost)
	}
}

// TestOverridesApply: a load flag given (not 0) changes the scenario, in the estimate and in
// the run alike.
func TestOverridesApply(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	p := writePlan(t, runPlan, srv.URL)
	// The long scenario (2 users for 60 s) made 1 user for 200 ms, waiting 50 ms between
	// requests: about 4 requests, and the thresholds of runPlan fail (exit 1).
	code, stdout, stderr := runCLI(t, "run", p, "--scenario", "long", "--users", "1", "--run-time", "200ms", "--quiet")
	if code == exitUsage || code == exitGate || hits.Load() == 0 || hits.Load() > 10 {
		t.Errorf("exit %d, %d requests (a 200 ms run of 1 user waiting 50 ms)\n%s\n%s", code, hits.Load(), stdout, stderr)
	}
}
