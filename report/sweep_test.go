package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/loadplan/loadplan/sweep"
	"github.com/shopspring/decimal"
)

func sweepStep(i int, level float64, held bool, cost string) sweep.Step {
	att := 1.0
	h := held
	st := sweep.Step{Index: i, Level: level, Text: sweep.LevelText(level, true), Requests: 100, AchievedRPS: 9.5,
		P50MS: 200, P95MS: 300, Good: 100, GoodputRPS: 9.5, SLOAttainment: &att, Cost: decimal.RequireFromString(cost),
		StopReason: summary.StopCompleted, Held: &h, Summary: &summary.Run{DurationS: 10}}
	c := st.Cost.Shift(3).Div(decimal.NewFromInt(100))
	st.CostPer1kGood = &c
	if !held {
		st.Broke = []string{"p95 2s, limit 1s (plan)"}
	}
	return st
}

// TestSweepTable: the closed model's table says users, marks the broken step, and the lines
// beneath give the knee (20 users: $0.2 for 100 good requests is $2 per 1k) and the stop.
func TestSweepTable(t *testing.T) {
	t.Parallel()
	below := 40.0
	res := &sweep.Result{Plan: "p", Scenario: "s", Model: "closed", StepDurationS: 10, MinAttainment: 0.95,
		StopReason: sweep.StopBroke, StopDetail: "40 users did not hold",
		Steps: []sweep.Step{sweepStep(1, 10, true, "0.1"), sweepStep(2, 20, true, "0.2"), sweepStep(3, 40, false, "0.4")}}
	res.Knee = &sweep.Knee{Level: 20, Text: "20 users", Step: 2, P95MS: 300, SLOAttainment: res.Steps[1].SLOAttainment,
		CostPer1kGood: res.Steps[1].CostPer1kGood, Below: &below}
	res.Totals = sweep.Totals{Steps: 3, Requests: 300, Good: 300, Cost: decimal.RequireFromString("0.7")}
	var b bytes.Buffer
	if err := SweepTable(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"USERS", "20 users", "BROKE", "Step 3 (40 users) broke: p95 2s, limit 1s (plan)",
		"Knee: 20 users (the highest load that held; 40 users broke)", "cost per 1k good requests $2.00", "Total cost $0.70", "slo_broken"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteSweepHTML(&b, res); err != nil {
		t.Fatal(err)
	}
	// The knee is marked on both curves: a vertical line at 20 users, labelled.
	if n := strings.Count(b.String(), ">knee 20 users</text>"); n != 2 {
		t.Errorf("%d knee marks, want 2 (latency and cost charts)", n)
	}
	b.Reset()
	res.Knee, res.Steps = nil, res.Steps[2:]
	if got := SweepKneeLine(res); !strings.Contains(got, "did not hold even at the first step (40 users)") {
		t.Errorf("no knee: %s", got)
	}
	if err := WriteSweepHTML(&b, res); err != nil || !strings.Contains(b.String(), "NO KNEE") || !strings.Contains(b.String(), "<svg") ||
		strings.Contains(b.String(), ">knee ") {
		t.Errorf("html (%v): %.200s", err, b.String())
	}
}
