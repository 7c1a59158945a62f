package report

import (
	"fmt"
	"github.com/jedib0t/go-pretty/v6/table"
	"io"
	"strings"

	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
)

// writeMonteCarlo writes the Monte-Carlo view of an estimate (estimate --percentiles): the
// cost at P5, P50 and P95 beside low, expected and worst, the requests at the same
// percentiles, and the probability that the cost exceeds the budget. Nothing without it.
func writeMonteCarlo(w io.Writer, s *planner.Scenario) {
	mc := s.Percentiles
	if mc == nil {
		return
	}
	fmt.Fprintf(w, "Monte-Carlo (%d draws, seed %d): cost P5 %s, P50 %s, P95 %s (low %s, expected %s, worst %s); requests P5 %s, P50 %s, P95 %s\n",
		mc.Draws, mc.Seed, pricing.FormatUSD(mc.Cost.P5), pricing.FormatUSD(mc.Cost.P50), pricing.FormatUSD(mc.Cost.P95),
		usd(s.Cost.Low), usd(s.Cost.Expected), usd(s.Cost.Worst),
		groupThousands(float64(mc.Requests.P5)), groupThousands(float64(mc.Requests.P50)), groupThousands(float64(mc.Requests.P95)))
	if mc.OverBudget != nil && s.Budget != nil {
		fmt.Fprintf(w, "Probability that the cost exceeds the budget %s: %s of the draws\n", pricing.FormatUSD(s.Budget.Limit), summary.FormatPctFixed(*mc.OverBudget, 1))
	}
	if len(mc.Calibrated) > 0 {
		fmt.Fprintf(w, "Tokens drawn from measured quantiles for: %s\n", strings.Join(mc.Calibrated, ", "))
	}
}

// writePastRuns writes a scenario's past runs beside its estimate (estimate --history): each
// run's actual and estimated cost and its error, the mean error, and this estimate against
// the mean actual cost.
func writePastRuns(w io.Writer, s *planner.Scenario) {
	h := s.History
	if h == nil {
		return
	}
	if len(h.Runs) == 0 {
		fmt.Fprintln(w, "History: no past run of this plan and scenario")
		return
	}
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Past run (UTC)", "Stop", "Requests", "Actual", "Estimated", "Error"})
	for _, r := range h.Runs {
		errText := "-"
		if r.Estimate != nil && r.Estimate.IsPositive() {
			errText = signedPctText(r.Cost.Sub(*r.Estimate).Div(*r.Estimate).InexactFloat64() * 100)
		}
		t.AppendRow(table.Row{r.StartedAt.UTC().Format("2006-01-02 15:04"), r.StopReason, groupThousands(float64(r.Requests)),
			pricing.FormatUSD(r.Cost), usd(r.Estimate), errText})
	}
	t.SetColumnConfigs(rightAligned(3, 6))
	t.Render()
	line := fmt.Sprintf("History: %d past %s, %d completed", len(h.Runs), pluralRuns(len(h.Runs)), h.Completed)
	if h.MeanErrorPct != nil {
		line += fmt.Sprintf("; mean error of their estimates %s (actual against estimated)", signedPctText(*h.MeanErrorPct))
	}
	if h.ActualMean != nil {
		line += fmt.Sprintf("; mean actual %s", pricing.FormatUSD(*h.ActualMean))
		if h.ErrorPct != nil {
			line += fmt.Sprintf(", %s against this estimate's expected %s", signedPctText(*h.ErrorPct), usd(s.Cost.Expected))
		}
	}
	fmt.Fprintln(w, line)
}
