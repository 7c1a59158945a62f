package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
)

// openSummary is an open-model run that could not keep up: most arrivals never started; one
// of its steps had no worst case and three responses reported no usage; one threshold is a
// task's.
func openSummary(t *testing.T) *summary.Run {
	s := testSummary(t, "smoke.json")
	s.Actual.LateStarts, s.Actual.DroppedArrivals, s.Actual.UnpricedResponses = 5, 70, 3
	s.Meter.UnreportedCharged = 3
	s.Thresholds = append(s.Thresholds, summary.ThresholdResult{Name: "failure_rate", Scope: summary.ScopeTask, Task: "chat", Limit: "1%", Actual: "0%", Pass: true})
	return s
}

// TestDroppedArrivalsShown: the arrivals that never started are reported next to the late
// ones everywhere a run is summed up, unknown costs are said, and a task's threshold is
// shown as "task NAME".
func TestDroppedArrivalsShown(t *testing.T) {
	t.Parallel()
	s := openSummary(t)
	var run, table, page bytes.Buffer
	if err := RunSummary(&run, s); err != nil {
		t.Fatal(err)
	}
	if err := SummaryTable(&table, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, s); err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"summary": run.String(), "quiet line": RunLine(s), "report table": table.String(), "html": page.String()}
	for name, out := range outputs {
		for _, want := range []string{"5 arrivals started late", "70 arrivals dropped (never started)"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	for _, name := range []string{"summary", "report table", "html"} {
		out := outputs[name]
		if !strings.Contains(out, "3 responses of steps with no worst case did not report their usage in full") {
			t.Errorf("%s does not say the unknown costs:\n%s", name, out)
		}
		if !strings.Contains(out, "task chat") || strings.Contains(out, "task:chat") {
			t.Errorf("%s: the task threshold's scope:\n%s", name, out)
		}
	}
	if strings.Contains(run.String(), "without usage charged their reservation") {
		t.Errorf("unpriced responses reported as charged their reservation:\n%s", run.String())
	}
	if !strings.Contains(RunLine(s), "3 responses of unknown cost") {
		t.Errorf("quiet line: %s", RunLine(s))
	}
}
