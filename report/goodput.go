package report

import (
	"fmt"
	"strconv"

	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// GoodputLine is the run's goodput for the terminal: "Goodput: 43 of 45 requests good
// (95.56% SLO attainment), 3.70 good/s; $0.0059 per good request ($5.90 per 1k good);
// wasted $0.011 (4.3% of cost)"; "" for a summary without goodput.
func GoodputLine(s *summary.Run) string {
	a := s.Actual
	g := a.Goodput
	if g == nil {
		return ""
	}
	att := "-"
	if g.SLOAttainment != nil {
		att = ratioText(*g.SLOAttainment)
	}
	line := fmt.Sprintf("Goodput: %s of %s requests good (%s SLO attainment), %s good/s; ", groupThousands(float64(g.Good)),
		groupThousands(float64(a.Requests)), att, strconv.FormatFloat(g.GoodputRPS, 'f', 2, 64))
	if g.CostPerGoodRequest != nil {
		line += fmt.Sprintf("%s per good request (%s per 1k good)", pricing.FormatUSD(*g.CostPerGoodRequest),
			pricing.FormatUSD(g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000))))
	} else {
		line += "no good request"
	}
	line += "; wasted " + pricing.FormatUSD(g.WastedCost)
	if sh := summary.WastedShare(g, a.Cost); sh != nil {
		line += " (" + ratioText(*sh) + " of cost)"
	}
	return line
}

// goodputKPI is the HTML report's goodput tile; ok false without goodput.
func goodputKPI(s *summary.Run) (kpi, bool) {
	g := s.Actual.Goodput
	if g == nil || g.SLOAttainment == nil {
		return kpi{}, false
	}
	sub := fmt.Sprintf("%s good · %.2f good/s", groupThousands(float64(g.Good)), g.GoodputRPS)
	if g.CostPerGoodRequest != nil {
		sub += " · " + pricing.FormatUSD(g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000))) + " per 1k good"
	}
	sub += " · wasted " + pricing.FormatUSD(g.WastedCost)
	class := ""
	if *g.SLOAttainment < 1 {
		class = "warn"
	}
	return kpi{Label: "SLO attainment", Value: pctText(*g.SLOAttainment), Sub: sub, Class: class}, true
}
