package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/loadplan/loadplan/summary"
)

// onePer800Plan sends requests of $0.01 each against a budget of $8.00: the meter lets
// exactly 800 through (each reserves its flat price first), then the run stops at the budget
// (its estimate, a request every millisecond for a minute, is far over: --allow-over-budget).
const onePer800Plan = `version: 1
name: percent
target: TARGET
budget: 8
thresholds: {failure_rate: 1%}
tasks:
  get: {request: {path: /x}, price: 0.01}
scenarios:
  s: {users: 1, duration: 1m, wait: {constant: 1ms}}
`

var (
	failedLine   = regexp.MustCompile(`failed \(([0-9.]+%)\)`)
	failureRateR = regexp.MustCompile(`failure_rate\s*│\s*plan\s*│\s*1%\s*│\s*([0-9.]+%)`)
)

// TestSamePercentEverywhere: 1 failure in 800 requests is 0.125%. loadplan run, loadplan
// report of its summary and loadplan report merge of two copies of it (2 in 1,600) print it
// alike, 0.13% (half away from zero), in the requests line and as the failure_rate
// threshold's actual; the summaries say the same.
func TestSamePercentEverywhere(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 400 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	run, merged := filepath.Join(dir, "run.json"), filepath.Join(dir, "merged.json")
	code, runOut, stderr := runCLI(t, "run", writePlan(t, onePer800Plan, srv.URL), "--json", run, "--allow-over-budget")
	if code != exitBudget {
		t.Fatalf("run: exit %d, want 4 (stopped by the budget)\n%s\n%s", code, runOut, stderr)
	}
	s := readSummary(t, run)
	if s.Actual.Requests != 800 || s.Actual.Failures != 1 {
		t.Fatalf("%d requests, %d failed; want 800 and 1", s.Actual.Requests, s.Actual.Failures)
	}
	code, reportOut, stderr := runCLI(t, "report", run)
	if code != exitOK {
		t.Fatalf("report: exit %d\n%s", code, stderr)
	}
	code, mergeOut, stderr := runCLI(t, "report", "merge", run, run, "--json", merged)
	if code != exitOK {
		t.Fatalf("report merge: exit %d\n%s", code, stderr)
	}
	m := readSummary(t, merged)
	if m.Actual.Requests != 1600 || m.Actual.Failures != 2 {
		t.Fatalf("merged: %d requests, %d failed", m.Actual.Requests, m.Actual.Failures)
	}
	for name, out := range map[string]string{"run": runOut, "report": reportOut, "report merge": mergeOut} {
		for what, re := range map[string]*regexp.Regexp{"requests line": failedLine, "failure_rate threshold": failureRateR} {
			got := re.FindStringSubmatch(out)
			if got == nil || got[1] != "0.13%" {
				t.Errorf("%s: %s says %v, want 0.13%%:\n%s", name, what, got, out)
			}
		}
	}
	for name, sum := range map[string]*summary.Run{"run": s, "merged": m} {
		if len(sum.Thresholds) != 1 || sum.Thresholds[0].Actual != "0.13%" || !sum.Thresholds[0].Pass {
			t.Errorf("%s summary: thresholds %+v, want failure_rate 0.13%%, passed", name, sum.Thresholds)
		}
	}
}
