package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// --no-budget runs uncapped even when the scenario's own budget is below its estimate: there
// is no budget to gate on, and none is shown.
func TestRunNoBudgetIgnoresScenarioBudget(t *testing.T) {
	srv, _ := slowServer(t, time.Millisecond)
	p := writePlan(t, strings.Replace(runPlan, "budget: 1.00", "budget: 0.000001", 1), srv.URL)
	if code, _, errOut := runCLI(t, "run", p, "--scenario", "quick"); code != exitGate {
		t.Fatalf("capped: exit %d, want 3: %s", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, errOut := runCLI(t, "run", p, "--scenario", "quick", "--no-budget", "--json", out)
	if code == exitGate || code == exitUsage {
		t.Fatalf("--no-budget: exit %d\n%s\n%s", code, stdout, errOut)
	}
	if s := readSummary(t, out); s.Budget != nil || s.Actual.Requests == 0 {
		t.Errorf("budget %v, requests %d", s.Budget, s.Actual.Requests)
	}
	if strings.Contains(stdout, "Budget: $") {
		t.Errorf("an uncapped run shows a budget:\n%s", stdout)
	}
}

func TestRunWithoutScenarioNamesThem(t *testing.T) {
	code, _, errOut := runCLI(t, "run", example)
	if code != exitUsage || strings.Contains(errOut, "--all") || !strings.Contains(errOut, "smoke, normal, peak, endurance") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
