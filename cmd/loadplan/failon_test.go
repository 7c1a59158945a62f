package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareFailOn: report compare --fail-on on a real run against the embedded mock and a
// copy of it made worse (fewer good requests, a slower p95): the rules hold on the run against
// itself (exit 0); on the worse copy the broken rules are listed with base, new and change
// (exit 1), first in the Markdown comment; a rule that does not parse is exit 2 naming it.
func TestCompareFailOn(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the example on the mock")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	code, stdout, stderr := runCLI(t, "run", example, "--scenario", "smoke", "--run-time", "2s", "--seed", "42", "--json", base, "--quiet")
	if code != exitOK && code != exitThresholds {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, base)
	if s.Actual.Goodput == nil || s.Actual.Good == 0 || s.Actual.Good != s.Actual.Requests-s.Actual.Failures {
		t.Fatalf("goodput %+v of %d requests, %d failed (no slo: every success is good)", s.Actual.Goodput, s.Actual.Requests, s.Actual.Failures)
	}
	// The worse copy: half the good requests, p95 doubled.
	var raw map[string]any
	data, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	act := raw["actual"].(map[string]any)
	act["good"] = float64(s.Actual.Good / 2)
	att := float64(s.Actual.Good/2) / float64(s.Actual.Requests)
	act["slo_attainment"] = att
	act["latency_ms"].(map[string]any)["p95"] = s.Actual.Latency.P95 * 2
	worse := filepath.Join(dir, "worse.json")
	out, _ := json.Marshal(raw)
	if err := os.WriteFile(worse, out, 0o644); err != nil {
		t.Fatal(err)
	}
	rules := "cost_per_request>+10%,p95>+20%,slo_attainment<-2pp"
	if code, out, errOut := runCLI(t, "report", "compare", base, base, "--fail-on", rules); code != exitOK || !strings.Contains(out, "Fail-on rules: all 3 hold") {
		t.Errorf("same run: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out2, errOut := runCLI(t, "report", "compare", base, worse, "--fail-on", rules)
	if code != exitThresholds {
		t.Errorf("worse: exit %d, want %d\n%s\n%s", code, exitThresholds, out2, errOut)
	}
	for _, want := range []string{"Fail-on rules: 2 of 3 broken", "holds    cost_per_request>+10%", "BROKEN   p95>+20%", "change +100.0%", "BROKEN   slo_attainment<-2pp", "Good requests", "SLO attainment"} {
		if !strings.Contains(out2, want) {
			t.Errorf("worse: no %q in\n%s", want, out2)
		}
	}
	code, md, _ := runCLI(t, "report", "compare", base, worse, "--fail-on", rules, "--output", "markdown")
	if code != exitThresholds || !strings.HasPrefix(md, "### ❌ loadplan: 2 of 3 broken\n") ||
		!strings.Contains(md, "| `p95>+20%` |") || !strings.Contains(md, "| Metric | Base | New | Change | Change % | Verdict |") {
		t.Errorf("markdown: exit %d\n%s", code, md)
	}
	for _, bad := range []struct{ rule, want string }{
		{"p95>+20pp", `--fail-on rule "p95>+20pp": "+20pp" is not a change of p95; write % or ms/s`},
		{"latency>+5%", `unknown metric "latency"; valid: cache_hit_rate, cost,`},
		{"slo_attainment=2pp", "no > or <"},
	} {
		code, _, errOut := runCLI(t, "report", "compare", base, worse, "--fail-on", bad.rule)
		if code != exitUsage || !strings.Contains(errOut, bad.want) {
			t.Errorf("%s: exit %d\n%s", bad.rule, code, errOut)
		}
	}
}
