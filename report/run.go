package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
)

// RunSummary writes the end-of-run report: the statistics per request name with the
// aggregated row, time to first token for streams, the failures, the thresholds, and the
// lines on why the run stopped, what it cost against the estimate and the budget, and its
// result.
func RunSummary(w io.Writer, s *summary.Run) error {
	if s.Unreachable() {
		// No response came back: the error, what failed, and no table of rates.
		fmt.Fprintf(w, "Run %s / %s against %s: %s\n", s.Plan, s.Scenario, s.Target, runStopText(s))
		fmt.Fprintf(w, "No response from the target: %s requests failed, so there are no statistics\n", groupThousands(float64(s.Actual.Failures)))
		if len(s.Failures) > 0 {
			fmt.Fprintln(w, "Failures")
			runFailuresTable(w, s.Failures)
		}
		fmt.Fprintf(w, "Result: %s, exit %d\n", VerdictText(s), s.ExitCode)
		return nil
	}
	runSummaryBody(w, s)
	fmt.Fprintf(w, "Result: %s, exit %d\n", VerdictText(s), s.ExitCode)
	if t := thresholdsBeneath(s); t != "" {
		fmt.Fprintln(w, t)
	}
	return nil
}

// runSummaryBody is RunSummary without its result lines.
func runSummaryBody(w io.Writer, s *summary.Run) {
	fmt.Fprintf(w, "Run %s / %s against %s: %s\n", s.Plan, s.Scenario, s.Target, runStopText(s))
	RequestsTable(w, s)
	if summaryHasTTFT(s) {
		runTTFTTable(w, s)
	}
	if goodputDiffers(s) {
		fmt.Fprintln(w, "Goodput (a request is good when it succeeded and met its SLO)")
		runGoodputTable(w, s)
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failures")
		runFailuresTable(w, s.Failures)
	}
	if len(s.Thresholds) > 0 {
		fmt.Fprintln(w, "Thresholds")
		ThresholdTable(w, s)
	}
	a := s.Actual
	failed := 0.0
	if a.Requests > 0 {
		failed = float64(a.Failures) / float64(a.Requests)
	}
	fmt.Fprintf(w, "Requests: %s in %.1fs (%.2f/s), %s failed (%s)", groupThousands(float64(a.Requests)), s.DurationS, a.RPS,
		groupThousands(float64(a.Failures)), ratioText(failed))
	if a.RateLimited > 0 {
		fmt.Fprintf(w, ", %s rate limited", groupThousands(float64(a.RateLimited)))
	}
	if t := arrivalsText(a); t != "" {
		fmt.Fprintf(w, "; %s", t)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, CostLine(s))
	if l := GoodputLine(s); l != "" {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "Tokens: input %s, cache read %s, cache write %s, output %s; cache hit rate %s\n",
		groupThousands(float64(a.Tokens.Input)), groupThousands(float64(a.Tokens.CacheRead)),
		groupThousands(float64(a.Tokens.CacheWrite)), groupThousands(float64(a.Tokens.Output)), summary.FormatPctFixed(a.CacheHitRate, 0))
	if m := s.Meter; m != nil {
		held := "the declared bounds held"
		if !m.BoundsHeld {
			held = fmt.Sprintf("%d responses cost more than their reservation: the declared bounds did not hold", m.Overruns)
		}
		fmt.Fprintf(w, "Meter: spent %s, reserved %s at the end, largest worst case %s; %s", pricing.FormatUSD(m.Spent),
			pricing.FormatUSD(m.Reserved), pricing.FormatUSD(m.LargestWorstCase), held)
		if n := m.UnreportedCharged - a.UnpricedResponses; n > 0 {
			fmt.Fprintf(w, "; %d responses without usage charged their reservation", n)
		}
		if n := a.IncompleteUsage; n > 0 {
			fmt.Fprintf(w, "; %d responses did not report all their usage (incomplete_usage): charged at their bounds", n)
		}
		fmt.Fprintln(w)
	}
	if t := unpricedText(a); t != "" {
		fmt.Fprintln(w, t)
	}
	monitorSummary(w, s)
	rateLimitTable(w, s)
}

// VerdictText is the run's verdict with what decided it: "PASS", "FAIL (failure_rate
// (implicit))", "STOPPED AT BUDGET (budget_exhausted)".
func VerdictText(s *summary.Run) string {
	v := s.Verdict()
	switch {
	case v.Stopped():
		return string(v) + " (" + string(s.StopReason) + ")"
	case v == summary.VerdictFail && s.StopReason == summary.StopThresholdAbort:
		return string(v) + " (threshold_abort)"
	case v == summary.VerdictFail:
		if failed := s.FailedThresholds(); len(failed) > 0 {
			return string(v) + " (" + strings.Join(failed, ", ") + ")"
		}
	}
	return string(v)
}

// thresholdsBeneath is the line under a verdict about how the run stopped: the thresholds
// judged on the part that ran. "" for a run that completed (its verdict is its thresholds').
func thresholdsBeneath(s *summary.Run) string {
	if !s.Verdict().Stopped() && s.StopReason != summary.StopThresholdAbort {
		return ""
	}
	return "Thresholds, judged on the part that ran: " + s.ThresholdsText()
}

// MergedResult is the lines a merge prints about its runs' outcome: the verdict of the merged
// runs and their thresholds, without an exit code (the merge command's own exit code is not
// the runs').
func MergedResult(w io.Writer, s *summary.Run) {
	fmt.Fprintf(w, "Outcome of the merged runs: %s\n", VerdictText(s))
	if t := thresholdsBeneath(s); t != "" {
		fmt.Fprintln(w, t)
	}
}

// RunLine is the one line --quiet prints: stop reason, requests, arrivals late or dropped,
// cost.
func RunLine(s *summary.Run) string {
	arrivals := ""
	if t := arrivalsText(s.Actual); t != "" {
		arrivals = ", " + t
	}
	unpriced := ""
	if n := s.Actual.UnpricedResponses; n > 0 {
		unpriced = fmt.Sprintf(" (%d responses of unknown cost)", n)
	}
	return fmt.Sprintf("%s/%s: %s, %d requests (%d failed)%s, cost %s%s, thresholds %s, exit %d",
		s.Plan, s.Scenario, VerdictText(s), s.Actual.Requests, s.Actual.Failures, arrivals, pricing.FormatUSD(s.Actual.Cost), unpriced, s.ThresholdsText(), s.ExitCode)
}

// arrivalsText says how many arrivals of an open model started late and how many never
// started (dropped): "" when none did either.
func arrivalsText(a summary.Actual) string {
	var parts []string
	if a.LateStarts > 0 {
		parts = append(parts, groupThousands(float64(a.LateStarts))+" arrivals started late")
	}
	if a.DroppedArrivals > 0 {
		parts = append(parts, groupThousands(float64(a.DroppedArrivals))+" arrivals dropped (never started)")
	}
	return strings.Join(parts, ", ")
}

// unpricedText says how many responses have an unknown cost: steps with no worst case (an
// uncapped run) that did not report all their usage, charged nothing for what they did not
// report. "" when none.
func unpricedText(a summary.Actual) string {
	if a.UnpricedResponses == 0 {
		return ""
	}
	return fmt.Sprintf("Unknown cost: %s responses of steps with no worst case did not report their usage in full; what they did not report is unknown and was charged $0",
		groupThousands(float64(a.UnpricedResponses)))
}

func runStopText(s *summary.Run) string {
	if s.StopDetail == "" {
		return string(s.StopReason)
	}
	return string(s.StopReason) + " (" + s.StopDetail + ")"
}

// RequestsTable writes the statistics per request name and the aggregated row, as Locust's
// table with the cost columns.
func RequestsTable(w io.Writer, s *summary.Run) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	t.AppendHeader(table.Row{"Name", "Type", "Requests", "Fails", "Median", "p95", "p99", "Avg", "Min", "Max", "Avg size", "RPS", "Cost", "Cost/req", "Source"})
	for _, r := range s.Tasks {
		t.AppendRow(table.Row{r.Name, r.Method, groupThousands(float64(r.Requests)), groupThousands(float64(r.Failures)),
			latencyCell(r.Latency.P50, r.Requests), latencyCell(r.Latency.P95, r.Requests), latencyCell(r.Latency.P99, r.Requests), latencyCell(r.Latency.Avg, r.Requests),
			latencyCell(r.Latency.Min, r.Requests), latencyCell(r.Latency.Max, r.Requests), sizeCell(r.AvgContentSize), fmt.Sprintf("%.2f", r.RPS),
			costCell(r.Cost, r.CostEstimated), usd(r.CostPerRequest), r.CostSource})
	}
	a := s.Actual
	avgSize := 0.0
	for _, r := range s.Tasks {
		avgSize += r.AvgContentSize * float64(r.Requests)
	}
	if a.Requests > 0 {
		avgSize /= float64(a.Requests)
	}
	t.AppendFooter(table.Row{"Aggregated", "", groupThousands(float64(a.Requests)), groupThousands(float64(a.Failures)),
		latencyCell(a.Latency.P50, a.Requests), latencyCell(a.Latency.P95, a.Requests), latencyCell(a.Latency.P99, a.Requests), latencyCell(a.Latency.Avg, a.Requests),
		latencyCell(a.Latency.Min, a.Requests), latencyCell(a.Latency.Max, a.Requests), sizeCell(avgSize), fmt.Sprintf("%.2f", a.RPS),
		costCell(a.Cost, a.CostEstimated), usd(a.CostPerRequest), ""})
	t.SetColumnConfigs(rightAligned(3, 14))
	t.Render()
}

func summaryHasTTFT(s *summary.Run) bool {
	for _, r := range s.Tasks {
		if r.TTFT != nil {
			return true
		}
	}
	return false
}

func runTTFTTable(w io.Writer, s *summary.Run) {
	fmt.Fprintln(w, "Time to first token (streams)")
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Name", "Median", "p90", "p95", "p99", "Max", "Output tokens/s", "Between tokens"})
	for _, r := range s.Tasks {
		if p := r.TTFT; p != nil {
			rate, itl := "-", "-"
			if r.OutputTokensPerS > 0 {
				rate, itl = fmt.Sprintf("%.1f", r.OutputTokensPerS), latencyCell(r.InterTokenMS, 1)
			}
			t.AppendRow(table.Row{r.Name, latencyCell(p.P50, 1), latencyCell(p.P90, 1), latencyCell(p.P95, 1), latencyCell(p.P99, 1), latencyCell(p.Max, 1), rate, itl})
		}
	}
	t.SetColumnConfigs(rightAligned(2, 8))
	t.Render()
}

func runFailuresTable(w io.Writer, fs []summary.Failure) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Occurrences", "Type", "Name", "Error"})
	for _, f := range fs {
		t.AppendRow(table.Row{groupThousands(float64(f.Occurrences)), f.Method, f.Task, f.Error})
	}
	t.SetColumnConfigs(rightAligned(1, 1))
	t.Render()
}

// ThresholdTable writes the thresholds' verdicts.
func ThresholdTable(w io.Writer, s *summary.Run) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Threshold", "Scope", "Limit", "Actual", "Result"})
	for _, th := range s.Thresholds {
		res := "pass"
		if !th.Pass {
			res = "FAIL"
		}
		scope := th.ScopeText()
		if th.Implicit {
			scope = "implicit (no failure_rate set)"
		}
		t.AppendRow(table.Row{th.Name, scope, th.Limit, th.Actual, res})
	}
	t.SetColumnConfigs([]table.ColumnConfig{{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight}})
	t.Render()
}

// CostLine says what the run cost, the part estimated, against the estimate and the budget.
func CostLine(s *summary.Run) string {
	a := s.Actual
	var b strings.Builder
	fmt.Fprintf(&b, "Cost: %s", pricing.FormatUSD(a.Cost))
	if a.CostEstimated.IsPositive() {
		fmt.Fprintf(&b, " (%s of it estimated: usage the responses did not report, charged at its bounds)", pricing.FormatUSD(a.CostEstimated))
	}
	if el := s.EstimateElapsed; el != nil && el.Cost.Expected != nil {
		// A partial run is compared with the estimate of what it ran; the full one beside it.
		fmt.Fprintf(&b, "; estimate for the %.1f s that ran %s", el.ElapsedS, pricing.FormatUSD(*el.Cost.Expected))
		if a.EstimateErrorPct != nil {
			fmt.Fprintf(&b, " (%+.1f%%)", *a.EstimateErrorPct)
		}
		if e := summaryExpectedCost(s); e != nil {
			fmt.Fprintf(&b, "; full run %s", pricing.FormatUSD(*e))
		}
	} else if e := summaryExpectedCost(s); e != nil {
		fmt.Fprintf(&b, "; estimate %s", pricing.FormatUSD(*e))
		if a.EstimateErrorPct != nil {
			fmt.Fprintf(&b, " (%+.1f%%)", *a.EstimateErrorPct)
		}
	}
	if s.Budget != nil {
		fmt.Fprintf(&b, "; budget %s", pricing.FormatUSD(s.Budget.Limit))
		if s.Budget.Limit.IsPositive() {
			fmt.Fprintf(&b, " (%s used)", summary.FormatPctFixed(a.Cost.Div(s.Budget.Limit).InexactFloat64(), 0))
		}
	} else {
		b.WriteString("; no budget")
	}
	return b.String()
}
