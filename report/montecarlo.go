package report

import (
	"fmt"
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
