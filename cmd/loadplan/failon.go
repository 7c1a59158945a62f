package main

import (
	"fmt"
	"io"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
)

// compareOutput writes the comparison of before and after in o.output (table, json or
// markdown) with the --fail-on rules judged under it, and fails with exit 1 when a rule
// breaks (a --fail-on that does not parse is refused by the command, exit 2, before this).
func compareOutput(streams *IO, o *compareOptions, c *report.Comparison, before, after *summary.Run) error {
	var results []report.RuleResult
	if len(o.rules) > 0 {
		results = report.JudgeRules(o.rules, before, after)
	}
	var err error
	switch o.output.value {
	case "markdown":
		err = report.CompareMarkdown(streams.Out, c, results)
	case "json":
		err = report.WriteJSON(streams.Out, struct {
			*report.Comparison
			Rules []report.RuleResult `json:"rules,omitempty"`
		}{c, results})
	default:
		if err = report.CompareTable(streams.Out, c); err == nil && len(results) > 0 {
			err = report.RulesTable(streams.Out, results)
		}
	}
	if err := writeOut(err); err != nil {
		return err
	}
	if report.Broken(results) > 0 {
		return withCode(exitThresholds, nil)
	}
	return nil
}

// writeSLOs lists, for validate, the SLO in force for each task of each scenario (plan,
// scenario and task slo: merged key by key): one line when it is the same everywhere.
func writeSLOs(w io.Writer, p *plan.Plan) {
	var lines []string
	same, first := true, ""
	for _, sc := range p.Scenarios {
		for _, t := range p.Tasks {
			s := plan.SLOFor(sc, t).String()
			if first == "" {
				first = s
			}
			same = same && s == first
			lines = append(lines, fmt.Sprintf("slo: scenarios.%s, tasks.%s: %s", sc.Name, t.Name, s))
		}
	}
	switch {
	case first == "" || same && first == "none":
		return
	case same:
		fmt.Fprintf(w, "slo: %s (every task of every scenario)\n", first)
	default:
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}
