package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

type historyRowView struct {
	Started, Stop, Requests, Cost, Estimate, Budget, CostPerRequest, Change, P95, Failures string
	Pass, Stopped                                                                          bool
}

type historySeriesView struct {
	Plan, Scenario, Color string
	Runs                  []historyRowView
	Trend                 string
}

type historyView struct {
	Title          string
	Runs           int
	CostChart      template.HTML
	CostPerRequest template.HTML
	P95Chart       template.HTML
	Series         []historySeriesView
}

// WriteHistoryHTML writes a run history (loadplan report history --html) as one
// self-contained page: each scenario's cost, cost per request and p95 latency over time as
// SVG charts, and its runs as a table.
func WriteHistoryHTML(w io.Writer, series []HistorySeries) error {
	v := historyView{Title: "loadplan cost history"}
	cost := lineChart{Label: "Cost per run", Width: 1100, Height: 300, X: xTime, XTitle: "run start (UTC)", YMoney: true}
	cpr := lineChart{Label: "Cost per request", Width: 540, Height: 280, X: xTime, XTitle: "run start (UTC)", YMoney: true}
	p95 := lineChart{Label: "Latency p95 per run", Width: 540, Height: 280, X: xTime, XTitle: "run start (UTC)", YFmt: formatAxisMS}
	for i, hs := range series {
		color := palette[i%len(palette)]
		name := hs.Scenario
		if len(series) > 1 && differentPlans(series) {
			name = hs.Plan + "/" + hs.Scenario
		}
		var xs, costs, cprs, p95s, cprX []float64
		sv := historySeriesView{Plan: hs.Plan, Scenario: hs.Scenario, Color: color}
		var prev *decimal.Decimal
		for _, r := range hs.Runs {
			v.Runs++
			x := float64(r.StartedAt.Unix())
			xs = append(xs, x)
			costs = append(costs, r.Cost.InexactFloat64())
			p95s = append(p95s, r.P95MS)
			if r.CostPerRequest != nil {
				cprX = append(cprX, x)
				cprs = append(cprs, r.CostPerRequest.InexactFloat64())
			}
			change := ""
			if prev != nil && r.CostPerRequest != nil && prev.IsPositive() {
				change = signedPctText(r.CostPerRequest.Sub(*prev).Div(*prev).InexactFloat64() * 100)
			}
			if r.CostPerRequest != nil {
				prev = r.CostPerRequest
			}
			sv.Runs = append(sv.Runs, historyRowView{Started: r.StartedAt.UTC().Format("2006-01-02 15:04"), Stop: string(r.StopReason),
				Requests: groupThousands(float64(r.Requests)), Cost: pricing.FormatUSD(r.Cost), Estimate: usd(r.Estimate), Budget: usd(r.Budget),
				CostPerRequest: usd(r.CostPerRequest), Change: change, P95: msText(r.P95MS), Failures: ratioText(r.FailureRate),
				Pass: r.Pass, Stopped: r.StopReason != "completed"})
		}
		first, last := hs.Runs[0], hs.Runs[len(hs.Runs)-1]
		if len(hs.Runs) > 1 && first.CostPerRequest != nil && last.CostPerRequest != nil && first.CostPerRequest.IsPositive() {
			pct := last.CostPerRequest.Sub(*first.CostPerRequest).Div(*first.CostPerRequest).InexactFloat64() * 100
			sv.Trend = fmt.Sprintf("cost per request %s → %s (%s) over %d runs", pricing.FormatUSD(*first.CostPerRequest),
				pricing.FormatUSD(*last.CostPerRequest), signedPctText(pct), len(hs.Runs))
		}
		cost.Series = append(cost.Series, series_(name, color, xs, costs))
		cpr.Series = append(cpr.Series, series_(name, color, cprX, cprs))
		p95.Series = append(p95.Series, series_(name, color, xs, p95s))
		v.Series = append(v.Series, sv)
	}
	v.CostChart, v.CostPerRequest, v.P95Chart = cost.render(), cpr.render(), p95.render()
	if err := pageTemplates.ExecuteTemplate(w, "history.html.tmpl", v); err != nil {
		return fmt.Errorf("html history: %w", err)
	}
	return nil
}

func series_(name, color string, xs, ys []float64) series {
	return series{Name: name, Color: color, X: xs, Y: ys, Width: 2.5}
}

func differentPlans(series []HistorySeries) bool {
	for _, s := range series[1:] {
		if s.Plan != series[0].Plan {
			return true
		}
	}
	return false
}
