package report

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/sweep"
)

// SweepStepLine is one line for a step of a sweep as it ends (loadplan sweep's progress).
func SweepStepLine(st sweep.Step) string {
	kind := ""
	if st.Refine {
		kind = " (refine)"
	}
	return fmt.Sprintf("step %d%s %s: %s requests, %.2f req/s, p95 %s, SLO attainment %s, cost %s: %s",
		st.Index, kind, st.Text, groupThousands(float64(st.Requests)), st.AchievedRPS, latencyCell(st.P95MS, st.Requests),
		attainmentText(st.SLOAttainment), pricing.FormatUSD(st.Cost), heldText(st))
}

func heldText(st sweep.Step) string {
	switch {
	case st.Held == nil:
		return "not judged (" + string(st.StopReason) + ")"
	case *st.Held:
		return "held"
	}
	return "BROKE: " + strings.Join(st.Broke, "; ")
}

func attainmentText(a *float64) string {
	if a == nil {
		return "-"
	}
	return ratioText(*a)
}

// SweepTable writes a sweep's result for the terminal: a row per step in the order run, the
// totals, the knee and why the sweep stopped.
func SweepTable(w io.Writer, res *sweep.Result) error {
	level := "Rate"
	if res.Model == "closed" {
		level = "Users"
	}
	fmt.Fprintf(w, "Sweep of %s / %s: %d steps of %s, SLO attainment at least %s\n", res.Plan, res.Scenario,
		len(res.Steps), humanSeconds(res.StepDurationS), ratioText(res.MinAttainment))
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	t.AppendHeader(table.Row{"Step", level, "Achieved", "p50", "p95", "TTFT p95", "Requests", "Fails", "Goodput", "SLO att.", "Cost", "Cost/1k good", "Result"})
	for _, st := range res.Steps {
		ttft := "-"
		if st.TTFTP95MS != nil {
			ttft = latencyCell(*st.TTFTP95MS, st.Requests)
		}
		name := fmt.Sprint(st.Index)
		if st.Refine {
			name += " r"
		}
		result := "held"
		switch {
		case st.Held == nil:
			result = string(st.StopReason)
		case !*st.Held:
			result = "BROKE"
		}
		t.AppendRow(table.Row{name, st.Text, fmt.Sprintf("%.2f/s", st.AchievedRPS), latencyCell(st.P50MS, st.Requests),
			latencyCell(st.P95MS, st.Requests), ttft, groupThousands(float64(st.Requests)), groupThousands(float64(st.Failures)),
			fmt.Sprintf("%.2f/s", st.GoodputRPS), attainmentText(st.SLOAttainment), pricing.FormatUSD(st.Cost), usd(st.CostPer1kGood), result})
	}
	tot := res.Totals
	t.AppendFooter(table.Row{"Total", "", "", "", "", "", groupThousands(float64(tot.Requests)), groupThousands(float64(tot.Failures)),
		"", "", pricing.FormatUSD(tot.Cost), usd(tot.CostPer1kGood), ""})
	t.SetColumnConfigs(rightAligned(2, 12))
	t.Render()
	for _, st := range res.Steps {
		if st.Held != nil && !*st.Held {
			fmt.Fprintf(w, "Step %d (%s) broke: %s\n", st.Index, st.Text, strings.Join(st.Broke, "; "))
		}
	}
	fmt.Fprintln(w, SweepKneeLine(res))
	budget := ""
	if res.Budget != nil {
		budget = " of the budget " + pricing.FormatUSD(res.Budget.Limit)
	}
	fmt.Fprintf(w, "Total cost %s%s over %s; stopped: %s (%s), exit %d\n", pricing.FormatUSD(tot.Cost), budget,
		humanSeconds(tot.DurationS), res.StopReason, res.StopDetail, res.ExitCode)
	return nil
}

// SweepKneeLine says where the knee is, or why there is none.
func SweepKneeLine(res *sweep.Result) string {
	k := res.Knee
	if k == nil {
		if len(res.Steps) > 0 && res.StopReason == sweep.StopBroke {
			return "No knee: the SLO did not hold even at the first step (" + res.Steps[0].Text + ")"
		}
		return "No knee: no step held"
	}
	where := "the highest load that held"
	switch {
	case k.Below != nil:
		where += "; " + sweep.LevelText(*k.Below, res.Model == "closed") + " broke"
	case res.StopReason == sweep.StopCompleted:
		where += "; every step held, the knee may be higher"
	default:
		where += "; the sweep stopped (" + string(res.StopReason) + ") before one broke"
	}
	return fmt.Sprintf("Knee: %s (%s): p95 %s, SLO attainment %s, cost per 1k good requests %s", k.Text, where,
		latencyCell(k.P95MS, 1), attainmentText(k.SLOAttainment), usd(k.CostPer1kGood))
}

type sweepView struct {
	Title, Plan, Scenario, Started, Model, StepDuration, MinAttainment  string
	StopReason, StopDetail, StopClass, Knee, TotalCost, Budget, Verdict string
	VerdictClass                                                        string
	ExitCode                                                            int
	LatencyChart, CostChart                                             template.HTML
	LevelTitle                                                          string
	Rows                                                                []sweepRowView
}

type sweepRowView struct {
	Index, Level, Achieved, P50, P95, TTFT, Requests, Failures, Goodput, Attainment, Cost, CostPer1k, Result string
	Refine, Held, Failed                                                                                     bool
}

// WriteSweepHTML writes a sweep's result as one self-contained page: latency p50, p95 and
// TTFT p95, and the cost per 1k good requests, against the load (SVG charts), the knee, and
// the steps as a table.
func WriteSweepHTML(w io.Writer, res *sweep.Result) error {
	closed := res.Model == "closed"
	xTitle := "arrival rate (requests/s)"
	v := sweepView{Title: "loadplan sweep: " + res.Plan + " / " + res.Scenario, Plan: res.Plan, Scenario: res.Scenario,
		Started: res.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), Model: res.Model, StepDuration: humanSeconds(res.StepDurationS),
		MinAttainment: ratioText(res.MinAttainment), StopReason: string(res.StopReason), StopDetail: res.StopDetail,
		Knee: SweepKneeLine(res), TotalCost: pricing.FormatUSD(res.Totals.Cost), ExitCode: res.ExitCode, LevelTitle: "Rate"}
	if closed {
		xTitle, v.LevelTitle = "users", "Users"
	}
	if res.Budget != nil {
		v.Budget = pricing.FormatUSD(res.Budget.Limit)
	}
	v.Verdict, v.VerdictClass, v.StopClass = "KNEE FOUND", "ok", "ok"
	switch {
	case res.Knee == nil:
		v.Verdict, v.VerdictClass = "NO KNEE", "bad"
	case res.StopReason == sweep.StopCompleted:
		v.Verdict = "ALL HELD"
	}
	if res.StopReason != sweep.StopBroke && res.StopReason != sweep.StopCompleted {
		v.StopClass = "warn"
	}
	judged := slices.Clone(res.Steps)
	slices.SortStableFunc(judged, func(a, b sweep.Step) int { return cmp.Compare(a.Level, b.Level) })
	var xs, p50, p95, ttftX, ttft, costX, cost []float64
	for _, st := range judged {
		if st.Requests == 0 {
			continue
		}
		xs, p50, p95 = append(xs, st.Level), append(p50, st.P50MS), append(p95, st.P95MS)
		if st.TTFTP95MS != nil {
			ttftX, ttft = append(ttftX, st.Level), append(ttft, *st.TTFTP95MS)
		}
		if st.CostPer1kGood != nil {
			costX, cost = append(costX, st.Level), append(cost, st.CostPer1kGood.InexactFloat64())
		}
	}
	lat := lineChart{Label: "Latency against load", Width: 540, Height: 300, X: xNumber, XTitle: xTitle, YFmt: formatAxisMS,
		Series: []series{series_("p50", palette[0], xs, p50), series_("p95", palette[1], xs, p95)}}
	if len(ttft) > 0 {
		lat.Series = append(lat.Series, series{Name: "TTFT p95", Color: palette[2], X: ttftX, Y: ttft, Width: 2.5, Dash: true})
	}
	costs := lineChart{Label: "Cost per 1k good requests against load", Width: 540, Height: 300, X: xNumber, XTitle: xTitle, YMoney: true,
		Series: []series{series_("cost per 1k good requests", palette[3], costX, cost)}}
	if k := res.Knee; k != nil {
		mark := refLine{Y: k.Level, Label: "knee " + k.Text, Color: colorEstimate, Dash: true}
		lat.XMarks, costs.XMarks = []refLine{mark}, []refLine{mark}
	}
	v.LatencyChart, v.CostChart = lat.render(), costs.render()
	for _, st := range res.Steps {
		row := sweepRowView{Index: fmt.Sprint(st.Index), Level: st.Text, Achieved: fmt.Sprintf("%.2f/s", st.AchievedRPS),
			P50: latencyCell(st.P50MS, st.Requests), P95: latencyCell(st.P95MS, st.Requests), TTFT: "-",
			Requests: groupThousands(float64(st.Requests)), Failures: groupThousands(float64(st.Failures)),
			Goodput: fmt.Sprintf("%.2f/s", st.GoodputRPS), Attainment: attainmentText(st.SLOAttainment), Cost: pricing.FormatUSD(st.Cost),
			CostPer1k: usd(st.CostPer1kGood), Result: heldText(st), Refine: st.Refine, Held: st.Held != nil && *st.Held,
			Failed: st.Held != nil && !*st.Held}
		if st.TTFTP95MS != nil {
			row.TTFT = latencyCell(*st.TTFTP95MS, st.Requests)
		}
		v.Rows = append(v.Rows, row)
	}
	if err := pageTemplates.ExecuteTemplate(w, "sweep.html.tmpl", v); err != nil {
		return fmt.Errorf("html sweep: %w", err)
	}
	return nil
}
