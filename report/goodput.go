package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"

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

// goodputDiffers says whether the run's table shows goodput per request name: when some
// request name had a request that was not good (when all were, the Goodput line says so).
func goodputDiffers(s *summary.Run) bool {
	for _, r := range s.Tasks {
		if r.Goodput != nil && r.Good < r.Requests {
			return true
		}
	}
	return false
}

// runGoodputTable writes, per request name, its good requests, SLO attainment, goodput,
// cost per 1,000 good requests and wasted cost.
func runGoodputTable(w io.Writer, s *summary.Run) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Name", "Requests", "Good", "SLO att.", "Good/s", "Cost/1k good", "Wasted"})
	for _, r := range s.Tasks {
		g := r.Goodput
		if g == nil {
			continue
		}
		att, per1k := "-", "-"
		if g.SLOAttainment != nil {
			att = ratioText(*g.SLOAttainment)
		}
		if g.CostPerGoodRequest != nil {
			per1k = pricing.FormatUSD(g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000)))
		}
		t.AppendRow(table.Row{r.Name, groupThousands(float64(r.Requests)), groupThousands(float64(g.Good)), att,
			strconv.FormatFloat(g.GoodputRPS, 'f', 2, 64), per1k, pricing.FormatUSD(g.WastedCost)})
	}
	t.SetColumnConfigs(rightAligned(2, 7))
	t.Render()
}
