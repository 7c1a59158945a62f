package report

import (
	"fmt"
	"github.com/loadplan/loadplan/summary"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/loadplan/loadplan/monitor"
	"github.com/loadplan/loadplan/plan"
)

// monitorSummary writes what the monitors saw of the target: each endpoint's scrapes, then
// each series from its first point to its last, with its largest.
func monitorSummary(w io.Writer, s *summary.Run) {
	m := s.Monitor
	if m == nil {
		return
	}
	for _, t := range m.Targets {
		fmt.Fprintf(w, "Target %s: %d scrapes every %gs", t.URL, t.Scrapes, t.EveryS)
		if t.Failed > 0 {
			fmt.Fprintf(w, ", %d failed (last: %s)", t.Failed, t.LastError)
		}
		fmt.Fprintln(w)
	}
	for _, sr := range m.Series {
		fmt.Fprintf(w, "  %s = %s: %s\n", sr.Name, sr.Expr, seriesText(sr))
	}
}

// seriesText is "first → last, max M (N points)", or why there is no point.
func seriesText(sr monitor.Series) string {
	if len(sr.Points) == 0 {
		if sr.Note != "" {
			return "no data (" + sr.Note + ")"
		}
		return "no data"
	}
	first, last, top := sr.Points[0].V, sr.Points[len(sr.Points)-1].V, math.Inf(-1)
	for _, p := range sr.Points {
		top = math.Max(top, p.V)
	}
	f := func(v float64) string { return monitor.Format(sr.Unit, v) }
	txt := fmt.Sprintf("%s → %s, max %s (%d points", f(first), f(last), f(top), len(sr.Points))
	if sr.Missing > 0 {
		txt += fmt.Sprintf("; %d scrapes without a value: %s", sr.Missing, sr.Note)
	}
	return txt + ")"
}

// monitorChart is one monitored series over time, for the HTML report.
type monitorChart struct {
	Caption string
	Chart   template.HTML
}

// monitorCharts draws each monitored series over time, with the limit of a threshold that
// judges it, when it has one in the series' units.
func monitorCharts(s *summary.Run) []monitorChart {
	if s.Monitor == nil {
		return nil
	}
	var out []monitorChart
	for i, sr := range s.Monitor.Series {
		if len(sr.Points) == 0 {
			continue
		}
		unit := sr.Unit
		c := lineChart{Label: "Monitored series " + sr.Name + " over time", Width: 560, Height: 240, X: xElapsed,
			XTitle: "time since start (each point: a scrape)", YFmt: func(v float64) string { return monitor.Format(unit, v) }}
		var xs, ys []float64
		for _, p := range sr.Points {
			xs = append(xs, p.T)
			ys = append(ys, p.V)
		}
		c.Series = []series{{Name: sr.Name, Color: palette[i%len(palette)], X: xs, Y: ys, Fill: unit != monitor.UnitNone}}
		c.Refs = monitorRefs(s, sr)
		out = append(out, monitorChart{Caption: fmt.Sprintf("%s: %s", sr.Name, sr.Expr), Chart: c.render()})
	}
	return out
}

// monitorRefs are the limits of the thresholds that judge sr in its own units: target_cpu's
// (for the cpu series, or the one it names) and target_metric's max.
func monitorRefs(s *summary.Run, sr monitor.Series) []refLine {
	var out []refLine
	for _, t := range s.Thresholds {
		switch {
		case t.Name == string(plan.ThTargetCPU) && sr.Unit == monitor.UnitCores:
			v, err := plan.ParseMonitorShare(t.Limit)
			if err == nil {
				out = append(out, refLine{Y: v, Label: "target_cpu limit " + t.Limit, Color: colorBudget, Dash: true})
			}
		case t.Name == string(plan.ThTargetMetric) && strings.HasPrefix(t.Limit, sr.Name+": max "):
			var v float64
			if _, err := fmt.Sscanf(strings.TrimPrefix(t.Limit, sr.Name+": max "), "%g", &v); err == nil {
				out = append(out, refLine{Y: v, Label: "limit " + monitor.Format(sr.Unit, v), Color: colorBudget, Dash: true})
			}
		}
	}
	return out
}
