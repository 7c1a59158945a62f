package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

const failingPlan = `version: 1
name: failing
target: TARGET
tasks:
  health: {request: {method: GET, path: /health}, price: free}
scenarios:
  s: {users: 2, duration: 300ms, wait: {constant: 50ms}}
`

// TestRunImplicitFailureRate: a plan with no failure_rate threshold fails when a request
// fails (exit 1, or --exit-code-on-error's code), with the implicit threshold in the table
// and the JSON; a free plan runs without --budget or --no-budget.
func TestRunImplicitFailureRate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	plan := writePlan(t, failingPlan, srv.URL)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"default", nil, 1},
		{"exit-code-on-error 3", []string{"--exit-code-on-error", "3"}, 3},
		{"exit-code-on-error 0", []string{"--exit-code-on-error", "0"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out.json")
			code, stdout, stderr := runCLI(t, append([]string{"run", plan, "--json", out}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, "implicit (no failure_rate set)") || !strings.Contains(stdout, "Result: FAIL (failure_rate (implicit))") {
				t.Errorf("the summary lacks the implicit threshold or the verdict:\n%s", stdout)
			}
			s := readSummary(t, out)
			if s.Pass || s.ExitCode != tc.code || len(s.Thresholds) != 1 || !s.Thresholds[0].Implicit {
				t.Errorf("summary: pass %v exit %d thresholds %+v", s.Pass, s.ExitCode, s.Thresholds)
			}
		})
	}
}
