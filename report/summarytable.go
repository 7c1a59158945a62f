package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// SummaryTable writes a saved run summary for the terminal (loadplan report RUN.json): the
// verdict, the statistics per request name with their cost, the cost against the estimate
// and the budget, the failures and the thresholds.
func SummaryTable(w io.Writer, s *executor.Summary) error {
	est, err := summaryEstimate(s)
	if err != nil {
		return err
	}
	verdict := "PASS"
	if !s.Pass {
		verdict = "FAIL"
	}
	stop := string(s.StopReason)
	if s.StopDetail != "" {
		stop += " (" + s.StopDetail + ")"
	}
	partial := ""
	if s.Partial {
		partial = ", partial run"
	}
	fmt.Fprintf(w, "Run %s / %s: %s, %s%s (exit %d)\n", s.Plan, s.Scenario, stop, verdict, partial, s.ExitCode)
	load := ""
	if est != nil && est.MaxUsers > 0 {
		load = fmt.Sprintf("; %d users for %s", est.MaxUsers, est.Duration)
	} else if est != nil && est.ArrivalRate != "" {
		load = fmt.Sprintf("; %s for %s", est.ArrivalRate, est.Duration)
	}
	fmt.Fprintf(w, "Started %s, ran %s against %s, seed %d%s\n", s.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), humanSeconds(s.DurationS), s.Target, s.Seed, load)

	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	hasTTFT := s.Actual.TTFT != nil
	header := table.Row{"Name", "Type", "Requests", "Fails", "Req/s", "p50", "p95", "p99", "Max"}
	if hasTTFT {
		header = append(header, "TTFT p50")
	}
	header = append(header, "Cost", "Cost/req", "Source")
	t.AppendHeader(header)
	cells := func(name, method string, n, f int64, rps float64, l executor.Percentiles, ttft *executor.Percentiles, cost decimal.Decimal, cpr *decimal.Decimal, src string) table.Row {
		lat := func(v float64) string {
			if n == 0 {
				return "-"
			}
			return msText(v)
		}
		fails := groupThousands(float64(f))
		if f > 0 && n > 0 {
			fails += " (" + pctText(float64(f)/float64(n)) + ")"
		}
		r := table.Row{name, method, groupThousands(float64(n)), fails, strconv.FormatFloat(rps, 'f', 2, 64), lat(l.P50), lat(l.P95), lat(l.P99), lat(l.Max)}
		if hasTTFT {
			v := "-"
			if ttft != nil {
				v = msText(ttft.P50)
			}
			r = append(r, v)
		}
		return append(r, pricing.FormatUSD(cost), usd(cpr), src)
	}
	for _, ts := range s.Tasks {
		t.AppendRow(cells(ts.Name, ts.Method, ts.Requests, ts.Failures, ts.RPS, ts.Latency, ts.TTFT, ts.Cost, ts.CostPerRequest, ts.CostSource))
	}
	a := s.Actual
	lat, ok, err := aggregateLatency(s.Tasks)
	if err != nil {
		return err
	}
	if !ok {
		lat = a.Latency
	}
	t.AppendFooter(cells("Aggregated", "", a.Requests, a.Failures, a.RPS, lat, a.TTFT, a.Cost, a.CostPerRequest, ""))
	last := len(header) - 1
	t.SetColumnConfigs(rightAligned(3, last))
	t.Render()

	fmt.Fprintln(w, summaryCostLine(s, est))
	if t := unpricedText(a); t != "" {
		fmt.Fprintln(w, t)
	}
	if t := arrivalsText(a); t != "" {
		fmt.Fprintf(w, "Arrivals: %s\n", t)
	}
	fmt.Fprintf(w, "Tokens: input %s, cache read %s, cache write %s, output %s; cache hit rate %s\n",
		groupThousands(float64(a.Tokens.Input)), groupThousands(float64(a.Tokens.CacheRead)),
		groupThousands(float64(a.Tokens.CacheWrite)), groupThousands(float64(a.Tokens.Output)), pctText(a.CacheHitRate))
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failures")
		ft := table.NewWriter()
		ft.SetOutputMirror(w)
		ft.SetStyle(table.StyleLight)
		ft.AppendHeader(table.Row{"Name", "Type", "Error", "Occurrences"})
		for _, f := range sortedFailures(s.Failures) {
			ft.AppendRow(table.Row{f.Task, f.Method, f.Error, groupThousands(float64(f.Occurrences))})
		}
		ft.SetColumnConfigs(rightAligned(4, 4))
		ft.Render()
	}
	if len(s.Thresholds) > 0 {
		fmt.Fprintln(w, "Thresholds")
		tt := table.NewWriter()
		tt.SetOutputMirror(w)
		tt.SetStyle(table.StyleLight)
		tt.AppendHeader(table.Row{"Threshold", "Scope", "Limit", "Actual", "Result"})
		for _, th := range s.Thresholds {
			res := "pass"
			if !th.Pass {
				res = "FAIL"
			}
			tt.AppendRow(table.Row{th.Name, th.ScopeText(), th.Limit, th.Actual, res})
		}
		tt.SetColumnConfigs(rightAligned(3, 4))
		tt.Render()
	}
	return nil
}

// summaryCostLine says what the run cost against its estimate and budget.
func summaryCostLine(s *executor.Summary, est *planner.Scenario) string {
	a := s.Actual
	parts := []string{pricing.FormatUSD(a.Cost) + " actual"}
	if a.CostEstimated.IsPositive() {
		parts[0] += fmt.Sprintf(" (%s of it charged without a usage report)", pricing.FormatUSD(a.CostEstimated))
	}
	if est != nil && est.Cost.Expected != nil {
		parts = append(parts, "estimate "+pricing.FormatUSD(*est.Cost.Expected)+" expected"+signedPct(a.EstimateErrorPct))
	}
	if s.Budget != nil {
		used := ""
		if s.Budget.Limit.IsPositive() {
			used = ", " + pctText(a.Cost.Div(s.Budget.Limit).InexactFloat64()) + " used"
		}
		parts = append(parts, "budget "+pricing.FormatUSD(s.Budget.Limit)+used)
	} else {
		parts = append(parts, "no budget")
	}
	return "Cost: " + strings.Join(parts, "; ")
}
