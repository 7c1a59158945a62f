package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/spf13/cobra"
)

type validateOptions struct {
	plan   string
	prices priceFlags
}

// newCmdValidate builds loadplan validate; runF as newCmdRun's.
func newCmdValidate(streams *IO, runF func(*validateOptions) error) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate PLAN",
		Short: "Check a plan file: every problem at once, each with its line and column",
		Long: `Check a plan file without sending anything: its syntax, units, templates, data files,
captures, and that every request says how it is priced and every model has a price. Every
problem is printed as FILE:LINE:COL: FIELD: what is wrong; what would be valid. Exit 2 when
there is any. A valid plan's defaults that decide money (an input bound of 2 × input_tokens,
an output bound taken from the request's max_tokens, ...) are listed as assumes: lines.`,
		Example: "  loadplan validate examples/ai-service.yaml\n  loadplan validate -f examples/ai-service.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.plan = args[0]
			if err := o.prices.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runValidate(streams, o)
		},
	}
	o.prices.register(cmd.Flags())
	addPlanFile(cmd)
	return cmd
}

// runValidate is loadplan validate: the plan's problems (exit 2), or a line saying what it
// holds and the defaults it assumes.
func runValidate(streams *IO, o *validateOptions) error {
	p, err := loadPlan(streams, o.plan)
	if err != nil {
		return err
	}
	cat, _, err := o.prices.forPlan(p, time.Now())
	if err != nil {
		return err
	}
	if err := checkModels(p, cat); err != nil {
		return err
	}
	steps := 0
	forEachStep(p, func(*plan.Step) { steps++ })
	warned := ""
	if n := len(p.Warnings); n > 0 {
		warned = fmt.Sprintf(" (%d %s above)", n, pluralWord(n, "warning", "warnings"))
	}
	fmt.Fprintf(streams.Out, "%s: valid%s: plan %s, %d tasks (%d requests), %d scenarios: %s\n", p.File, warned, p.Name, len(p.Tasks), steps, len(p.Scenarios), strings.Join(p.ScenarioNames(), ", "))
	writeSLOs(streams.Out, p)
	// The values that decide a reservation or an estimate which the plan does not write.
	for _, a := range p.Assumed() {
		fmt.Fprintf(streams.Out, "assumes: %s\n", a)
	}
	return nil
}

// checkModels reports every model of the plan that the catalog has no price for, each once,
// at the line and column where it is named (pricing.model or a task's model:), as the plan's
// other problems: validate, estimate and run say the same.
func checkModels(p *plan.Plan, cat *pricing.Catalog) error {
	var errs plan.Errors
	seen := map[plan.Pos]bool{}
	forEachStep(p, func(st *plan.Step) {
		if st.Cost.Kind != plan.CostUsage {
			return
		}
		if _, err := cat.Lookup(st.Cost.Model); err != nil {
			at, field := st.Cost.ModelPos, st.Cost.ModelField
			if at.Line == 0 {
				at, field = st.Cost.Pos, st.Name
			}
			if seen[at] {
				return
			}
			seen[at] = true
			errs = append(errs, &plan.Error{File: p.File, Line: at.Line, Column: at.Column, Field: field, Msg: err.Error()})
		}
	})
	if len(errs) > 0 {
		return withCode(exitUsage, fmt.Errorf("%s has %d %s:\n%w", p.File, len(errs), pluralWord(len(errs), "problem", "problems"), errs))
	}
	return nil
}

func forEachStep(p *plan.Plan, fn func(*plan.Step)) {
	for _, st := range p.OnStart {
		fn(st)
	}
	for _, t := range p.Tasks {
		for _, st := range t.Steps {
			fn(st)
		}
	}
}
