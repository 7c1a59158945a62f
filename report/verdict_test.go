package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
)

// budgetStopped is the smoke run as if its budget had stopped it: partial, exit 4, with the
// implicit failure_rate (it had failures and no failure_rate threshold).
func budgetStopped(t *testing.T) *summary.Run {
	s := testSummary(t, "smoke.json")
	s.StopReason, s.StopDetail, s.Partial = summary.StopBudgetExhausted, "the next request's worst case $0.025 does not fit: spent $0.48 of $0.50", true
	var ths []summary.ThresholdResult
	for _, th := range s.Thresholds {
		if th.Name != "failure_rate" {
			ths = append(ths, th)
		}
	}
	s.Thresholds = ths
	s.AddImplicitThresholds()
	s.ExitCode = s.Exit(summary.ExitThresholds)
	return s
}

// TestVerdictSummaryGolden: the last lines say STOPPED AT BUDGET with its exit code, and the
// thresholds judged on the part that ran beneath; the implicit failure_rate is in the table.
func TestVerdictSummaryGolden(t *testing.T) {
	t.Parallel()
	s := budgetStopped(t)
	var b bytes.Buffer
	if err := SummaryTable(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden/smoke_budget.table", b.Bytes())
	out := b.String()
	for _, want := range []string{"Result: STOPPED AT BUDGET (budget_exhausted), exit 4\n",
		"Thresholds, judged on the part that ran: FAIL: failure_rate (implicit)\n", "implicit (no failure_rate set)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(out, "PASS") {
		t.Error("a budget-stopped run's summary says PASS")
	}
	if line := RunLine(s); !strings.Contains(line, "STOPPED AT BUDGET") || !strings.HasSuffix(line, "exit 4") {
		t.Errorf("--quiet line %q", line)
	}
}

// TestMergeTableClaimsNoExitCode: report merge says what the merged runs' outcome was, and no
// "exit N" that the command does not return.
func TestMergeTableClaimsNoExitCode(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "worker1.json")
	s.StopReason, s.ExitCode = summary.StopInterrupted, summary.ExitInterrupted
	var b bytes.Buffer
	if err := MergeTable(&b, s); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if regexp.MustCompile(`exit \d+`).MatchString(out) {
		t.Errorf("merge output claims an exit code:\n%s", out)
	}
	if !strings.Contains(out, "Outcome of the merged runs: INTERRUPTED (interrupted)\nThresholds, judged on the part that ran: ") {
		t.Errorf("merge output lacks the outcome:\n%s", out)
	}
}

// TestHTMLBadge: only a PASS is a green badge; a budget-stopped run's is STOPPED AT BUDGET.
func TestHTMLBadge(t *testing.T) {
	t.Parallel()
	badge := regexp.MustCompile(`<div class="badge (\w+)" id="verdict">([^<]*)</div>`)
	for _, tc := range []struct {
		name        string
		s           *summary.Run
		class, text string
	}{
		{"budget", budgetStopped(t), "warn", "STOPPED AT BUDGET"},
		{"pass", testSummary(t, "smoke_after.json"), "pass", "PASS"},
	} {
		var b bytes.Buffer
		if err := WriteHTML(&b, tc.s); err != nil {
			t.Fatal(err)
		}
		m := badge.FindStringSubmatch(b.String())
		if m == nil || m[1] != tc.class || m[2] != tc.text {
			t.Errorf("%s: badge %q, want class %s text %s", tc.name, m, tc.class, tc.text)
		}
		if tc.name == "budget" && !strings.Contains(b.String(), "judged on the part that ran: FAIL: failure_rate (implicit)") {
			t.Errorf("%s: no thresholds beneath the badge", tc.name)
		}
	}
}

// TestTrafficChartNoEndSpike: a last timeline point closing 59 ms (1 request: 17/s) is not
// drawn; the chart is the one without it.
func TestTrafficChartNoEndSpike(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	last := s.Timeline[len(s.Timeline)-1]
	without := trafficChart(s)
	s.Timeline = append(s.Timeline, summary.TimelinePoint{T: last.T + 0.059, Users: last.Users, RPS: 17.63, Spent: last.Spent})
	if got := trafficChart(s); got != without {
		t.Error("the partial last interval changed the traffic chart")
	}
	s.Timeline[len(s.Timeline)-1].T = last.T + 1
	if got := trafficChart(s); got == without {
		t.Error("a full last interval is not drawn (the test cannot tell)")
	}
}
