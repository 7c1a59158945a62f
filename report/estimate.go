package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// EstimateTable writes an estimate as one table per scenario, with its budget line, warnings
// and assumptions.
func EstimateTable(w io.Writer, e *planner.Estimate) error {
	for i := range e.Scenarios {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeScenarioEstimate(w, e, &e.Scenarios[i])
	}
	return nil
}

func writeScenarioEstimate(w io.Writer, e *planner.Estimate, s *planner.Scenario) {
	load := ""
	if s.Model == "open" {
		load = fmt.Sprintf("open model, %s", s.ArrivalRate)
	} else {
		load = fmt.Sprintf("closed model, %d users", s.MaxUsers)
	}
	fmt.Fprintf(w, "Scenario %s: %s, %s (plan %s; prices as of %s)\n", s.Name, load, s.Duration, e.Plan, e.Catalog.AsOf)
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Task", "Share", "Requests", "Input", "Cache read", "Cache write", "Output", "Cost low", "Cost expected", "Cost worst"})
	for _, task := range s.Tasks {
		share := "-"
		if task.Share > 0 {
			share = summary.FormatPctFixed(task.Share, 1)
		}
		t.AppendRow(table.Row{task.Name, share, count(task.Requests.Expected), tokens(task.Tokens.Input), tokens(task.Tokens.CacheRead),
			tokens(task.Tokens.CacheWrite), tokens(task.Tokens.Output), usd(task.Cost.Low), usd(task.Cost.Expected), usd(task.Cost.Worst)})
	}
	t.AppendFooter(table.Row{"Total", "", count(s.Requests.Expected), tokens(s.Tokens.Input), tokens(s.Tokens.CacheRead),
		tokens(s.Tokens.CacheWrite), tokens(s.Tokens.Output), usd(s.Cost.Low), usd(s.Cost.Expected), usd(s.Cost.Worst)})
	t.SetColumnConfigs(rightAligned(2, 10))
	t.Render()
	fmt.Fprintf(w, "Requests: %s low, %s expected, %s worst; %.2f requests/s expected at full load\n",
		count(s.Requests.Low), count(s.Requests.Expected), count(s.Requests.Worst), s.ExpectedRPS)
	fmt.Fprintln(w, BudgetLine(s))
	writeMonteCarlo(w, s)
	writePastRuns(w, s)
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for _, a := range s.Assumptions {
		fmt.Fprintf(w, "assumes: %s\n", a)
	}
}

// BudgetLine says how the gated estimate compares with the budget.
func BudgetLine(s *planner.Scenario) string {
	if s.Budget == nil {
		return "Budget: none set"
	}
	gated := s.Gated()
	if gated == nil {
		return fmt.Sprintf("Budget: %s; the %s cost is unknown, so the gate fails closed", pricing.FormatUSD(s.Budget.Limit), s.Gate)
	}
	if gated.LessThanOrEqual(s.Budget.Limit) {
		used := 0.0
		if s.Budget.Limit.IsPositive() {
			used = gated.Div(s.Budget.Limit).InexactFloat64()
		}
		return fmt.Sprintf("Budget: %s; %s estimate %s (%s of it): within budget", pricing.FormatUSD(s.Budget.Limit), s.Gate, pricing.FormatUSD(*gated), summary.FormatPctFixed(used, 0))
	}
	return fmt.Sprintf("Budget: %s; %s estimate %s: OVER BUDGET by %s", pricing.FormatUSD(s.Budget.Limit), s.Gate, pricing.FormatUSD(*gated), pricing.FormatUSD(gated.Sub(s.Budget.Limit)))
}

// summaryEstimate decodes the estimate a summary embeds (the planner's scenario estimate, as
// loadplan.estimate/v1 writes it); nil when it has none.
func summaryEstimate(s *summary.Run) (*planner.Scenario, error) {
	raw := strings.TrimSpace(string(s.Estimate))
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var e planner.Scenario
	if err := json.Unmarshal(s.Estimate, &e); err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	return &e, nil
}

// summaryExpectedCost is the expected cost of the estimate a summary embeds; nil when it has
// none or it does not decode.
func summaryExpectedCost(s *summary.Run) *decimal.Decimal {
	e, err := summaryEstimate(s)
	if err != nil || e == nil {
		return nil
	}
	return e.Cost.Expected
}
