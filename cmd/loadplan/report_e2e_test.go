package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report commands on files from real runs against the embedded mock: two short smoke
// runs, then compare, history, merge and the HTML re-render.
func TestReportOnRealRuns(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the example twice on the mock")
	}
	dir := t.TempDir()
	hist := filepath.Join(dir, "runs.jsonl")
	var runs []string
	for i, seed := range []string{"42", "4242"} {
		js := filepath.Join(dir, "run"+seed+".json")
		code, stdout, stderr := runCLI(t, "run", example, "--scenario", "smoke", "--run-time", "2s", "--seed", seed,
			"--json", js, "--history", hist, "--quiet")
		if code != exitOK && code != exitThresholds {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, code, stdout, stderr)
		}
		runs = append(runs, js)
	}
	code, out, stderr := runCLI(t, "report", "compare", runs[0], runs[1])
	if code != 0 || !strings.Contains(out, "cost per request") && !strings.Contains(strings.ToLower(out), "cost/request") {
		t.Errorf("compare: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "report", "history", hist)
	if code != 0 || !strings.Contains(out, "smoke") {
		t.Errorf("history: exit %d\n%s\n%s", code, out, stderr)
	}
	merged := filepath.Join(dir, "merged.json")
	code, out, stderr = runCLI(t, "report", "merge", runs[0], runs[1], "--json", merged)
	if code != exitOK && code != exitThresholds {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, stderr)
	}
	a, b, m := readSummary(t, runs[0]), readSummary(t, runs[1]), readSummary(t, merged)
	if m.Actual.Requests != a.Actual.Requests+b.Actual.Requests || !m.Actual.Cost.Equal(a.Actual.Cost.Add(b.Actual.Cost)) {
		t.Errorf("merged %d requests $%s; parts %d+%d, $%s+$%s", m.Actual.Requests, m.Actual.Cost, a.Actual.Requests, b.Actual.Requests, a.Actual.Cost, b.Actual.Cost)
	}
	html := filepath.Join(dir, "r.html")
	if code, _, stderr := runCLI(t, "report", merged, "--html", html, "--csv", filepath.Join(dir, "m")); code != 0 {
		t.Errorf("report: exit %d %s", code, stderr)
	}
	if page, err := os.ReadFile(html); err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("html: %v", err)
	}
}
