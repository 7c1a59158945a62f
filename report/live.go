package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// Live is what the live web page (loadplan run --web) shows of a run going on: the progress
// reports so far, one a second, added with Add. WriteLive renders it with the charts and
// styles of the HTML report. It is not safe for concurrent use.
type Live struct {
	Plan, Scenario, Target string
	// Estimate is the scenario's estimate (loadplan.estimate/v1's scenario object), as
	// executor.Config.Estimate; nil: none.
	Estimate json.RawMessage

	est      *planner.Scenario
	estRead  bool
	timeline []summary.TimelinePoint
	ttft     [][3]float64 // t, cumulative TTFT p50 and p95 of the streamed requests
	last     summary.Progress
	any      bool
}

// Add records one progress report.
func (l *Live) Add(p summary.Progress) {
	l.last, l.any = p, true
	l.timeline = append(l.timeline, p.Point)
	if t := p.Total.TTFT; t != nil {
		l.ttft = append(l.ttft, [3]float64{p.Point.T, t.P50, t.P95})
	}
}

// Points is how many progress reports were added.
func (l *Live) Points() int { return len(l.timeline) }

// CSS is the stylesheet of the HTML report, for pages that keep its look.
func CSS() template.CSS {
	b, _ := templateFS.ReadFile("templates/report.css")
	return template.CSS(b)
}

type liveRow struct {
	Name, Method, Requests, Failures, RPS, P50, P95, Max, TTFT, Size, Cost string
	Failing                                                                bool
}

type liveView struct {
	Waiting              bool
	Elapsed, Remaining   string
	Users, InFlight      int
	Stopping             bool
	KPIs                 []kpi
	CostBullet           template.HTML
	CostNotes            []string
	CostChart            template.HTML
	TrafficChart         template.HTML
	LatencyChart         template.HTML
	TTFTChart            template.HTML
	Tasks                []liveRow
	Total                liveRow
	Failures             []htmlFailure
	Events               []liveEvent
	HasTTFT, HasFailures bool
}

type liveEvent struct{ T, Detail string }

// WriteLive writes the live page's changing part: an HTML fragment (no <html> or <style>;
// the page around it has the report's CSS) of the run so far.
func WriteLive(w io.Writer, l *Live) error {
	if err := pageTemplates.ExecuteTemplate(w, "live.html.tmpl", l.view()); err != nil {
		return fmt.Errorf("live page: %w", err)
	}
	return nil
}

func (l *Live) view() *liveView {
	if !l.estRead {
		l.estRead = true
		l.est, _ = summaryEstimate(&summary.Run{Estimate: l.Estimate}) // a bad estimate: shown without one
	}
	p := l.last
	v := &liveView{Waiting: !l.any, Elapsed: clockText(p.Elapsed), Remaining: clockText(p.Remaining), Users: p.Users,
		InFlight: p.InFlight, Stopping: p.Stopping}
	if !l.any {
		return v
	}
	s := &summary.Run{Timeline: l.timeline, Estimate: l.Estimate}
	if p.Budget != nil {
		s.Budget = &summary.Budget{Limit: *p.Budget, Currency: "USD"}
	}
	tot := p.Total
	failRate := 0.0
	if tot.Requests > 0 {
		failRate = float64(tot.Failures) / float64(tot.Requests)
	}
	failClass := ""
	if tot.Failures > 0 {
		failClass = "warn"
	}
	v.KPIs = []kpi{
		{Label: "Requests", Value: groupThousands(float64(tot.Requests)), Sub: fmt.Sprintf("%.1f req/s now · %s failed (%s)", tot.CurrentRPS, groupThousands(float64(tot.Failures)), pctText(failRate)), Class: failClass},
		{Label: "Users", Value: strconv.Itoa(p.Users), Sub: fmt.Sprintf("%d requests in flight", p.InFlight)},
		{Label: "Latency p95", Value: msText(tot.Latency.P95), Sub: fmt.Sprintf("p50 %s · max %s (so far)", msText(tot.Latency.P50), msText(tot.Latency.Max))},
	}
	if tot.TTFT != nil {
		v.KPIs = append(v.KPIs, kpi{Label: "Time to first token p50", Value: msText(tot.TTFT.P50), Sub: "p95 " + msText(tot.TTFT.P95)})
	}
	v.KPIs = append(v.KPIs, l.costKPI())
	v.CostBullet, v.CostNotes = l.costMeter()
	v.CostChart = costChart(s, l.est)
	v.TrafficChart = trafficChart(s)
	v.LatencyChart = latencyChart(s)
	if len(l.ttft) > 0 {
		v.HasTTFT = true
		c := lineChart{Label: "Time to first token p50 and p95 over time", Width: 560, Height: 280, X: xElapsed,
			XTitle: "time since start (each point: all streamed requests so far)", YFmt: formatAxisMS}
		var xs, p50, p95 []float64
		for _, pt := range l.ttft {
			xs, p50, p95 = append(xs, pt[0]), append(p50, pt[1]), append(p95, pt[2])
		}
		c.Series = []series{{Name: "TTFT p50", Color: palette[2], X: xs, Y: p50}, {Name: "TTFT p95", Color: palette[1], X: xs, Y: p95}}
		v.TTFTChart = c.render()
	}
	for _, t := range p.Tasks {
		v.Tasks = append(v.Tasks, liveTaskRow(t))
	}
	v.Total = liveTaskRow(tot)
	v.Total.Name, v.Total.Method = "Aggregated", ""
	reqs := map[string]int64{}
	for _, t := range p.Tasks {
		reqs[t.Name] = t.Requests
	}
	for _, f := range p.Failures {
		share := ""
		if n := reqs[f.Task]; n > 0 {
			share = pctText(float64(f.Occurrences) / float64(n))
		}
		v.Failures = append(v.Failures, htmlFailure{Task: f.Task, Method: f.Method, Error: f.Error, Occurrences: groupThousands(float64(f.Occurrences)), Share: share})
	}
	v.HasFailures = len(v.Failures) > 0
	for _, e := range p.Events {
		v.Events = append(v.Events, liveEvent{T: formatElapsed(e.T), Detail: e.Detail})
	}
	return v
}

func liveTaskRow(t summary.TaskProgress) liveRow {
	r := liveRow{Name: t.Name, Method: t.Method, Requests: groupThousands(float64(t.Requests)), Failures: groupThousands(float64(t.Failures)),
		RPS: strconv.FormatFloat(t.CurrentRPS, 'f', 1, 64), P50: "–", P95: "–", Max: "–", TTFT: "–",
		Size: fmt.Sprintf("%.0f B", t.AvgContentSize), Cost: pricing.FormatUSD(t.Cost), Failing: t.Failures > 0}
	if t.Requests > 0 {
		r.P50, r.P95, r.Max = msText(t.Latency.P50), msText(t.Latency.P95), msText(t.Latency.Max)
		if t.Failures > 0 {
			r.Failures += " (" + pctText(float64(t.Failures)/float64(t.Requests)) + ")"
		}
	}
	if t.TTFT != nil {
		r.TTFT = msText(t.TTFT.P50)
	}
	return r
}

func (l *Live) costKPI() kpi {
	p := l.last
	k := kpi{Label: "Spent", Value: pricing.FormatUSD(p.Spent), Sub: "reserved " + pricing.FormatUSD(p.Reserved)}
	if p.Budget != nil {
		used := 0.0
		if p.Budget.IsPositive() {
			used = p.Spent.Add(p.Reserved).Div(*p.Budget).InexactFloat64()
		}
		k.Sub += fmt.Sprintf(" · budget %s (%s held)", pricing.FormatUSD(*p.Budget), pctText(used))
		if used > 0.9 {
			k.Class = "warn"
		}
	}
	return k
}

// costMeter is the live cost meter: spent, and spent + reserved, against the budget line,
// the projection at the planned end and the estimate's range; and in words, with the spend
// rate.
func (l *Live) costMeter() (template.HTML, []string) {
	p := l.last
	c := bulletChart{Label: "Spent and reserved against the budget, the projection and the estimate", Width: 1100,
		Value: p.Spent.InexactFloat64(), ValueLabel: "spent " + pricing.FormatUSD(p.Spent), Color: palette[0]}
	held := p.Spent.Add(p.Reserved)
	c.Markers = append(c.Markers, bulletMarker{Value: held.InexactFloat64(), Label: "+ reserved " + pricing.FormatUSD(held), Color: palette[5], Below: true})
	proj := "projected at the end"
	if p.ProjectedEarly {
		proj = "projected (early: blended with the estimate)"
	}
	c.Markers = append(c.Markers, bulletMarker{Value: p.Projected.InexactFloat64(), Label: "projected " + pricing.FormatUSD(p.Projected), Color: palette[3]})
	notes := []string{fmt.Sprintf("Spent %s; %s reserved for the requests in flight; spending %s a minute; %s %s.",
		pricing.FormatUSD(p.Spent), pricing.FormatUSD(p.Reserved), pricing.FormatUSD(p.SpendPerMin), proj, pricing.FormatUSD(p.Projected))}
	capAt := math.Max(c.Value, held.InexactFloat64())
	if est := l.est; est != nil && est.Cost.Expected != nil {
		e := *est.Cost.Expected
		c.Markers = append(c.Markers, bulletMarker{Value: e.InexactFloat64(), Label: "estimate " + pricing.FormatUSD(e), Color: "#111827", Below: true})
		line := "Estimate " + pricing.FormatUSD(e) + " expected"
		if est.Cost.Low != nil {
			c.BandLo = est.Cost.Low.InexactFloat64()
			line += ", " + pricing.FormatUSD(*est.Cost.Low) + " low"
		}
		if est.Cost.Worst != nil && est.Cost.Low != nil {
			c.BandHi = est.Cost.Worst.InexactFloat64()
			c.BandLabel = "estimate range: low " + pricing.FormatUSD(*est.Cost.Low) + " to worst " + pricing.FormatUSD(*est.Cost.Worst)
			c.OverflowLabel = "shaded: estimate range " + pricing.FormatUSD(*est.Cost.Low) + " to " + pricing.FormatUSD(*est.Cost.Worst)
			line += ", " + pricing.FormatUSD(*est.Cost.Worst) + " worst"
		} else {
			line += ", worst unbounded"
		}
		notes = append(notes, line+".")
	}
	if p.Budget != nil {
		b := *p.Budget
		c.Markers = append(c.Markers, bulletMarker{Value: b.InexactFloat64(), Label: "budget " + pricing.FormatUSD(b), Color: colorBudget})
		notes = append(notes, fmt.Sprintf("Budget %s: %s left after what is reserved.", pricing.FormatUSD(b), pricing.FormatUSD(decimal.Max(b.Sub(held), decimal.Zero))))
	} else {
		notes = append(notes, "No budget: the meter accounts, nothing caps.")
	}
	for _, m := range c.Markers {
		capAt = math.Max(capAt, m.Value)
	}
	if c.BandHi > 2.5*capAt {
		c.ClipTo = 2 * capAt
	}
	return c.render(), notes
}

// clockText is a duration as the terminal's live view writes it: 1:05, 1:02:03.
func clockText(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
