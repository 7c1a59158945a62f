package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func newVersionCmd(streams *IO) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print loadplan's version and the date of its embedded prices",
		Example: "  loadplan version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := pricing.Default()
			fmt.Fprintf(streams.Out, "loadplan %s\nprices as of %s (%s)\n", versionText(), c.AsOf, c.Source)
			return nil
		},
	}
}

type validateOptions struct{ prices priceFlags }

func newValidateCmd(streams *IO) *cobra.Command {
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
			p, err := loadPlan(streams, args[0])
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
		},
	}
	o.prices.register(cmd.Flags())
	addPlanFile(cmd)
	return cmd
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

type pricesOptions struct {
	prices priceFlags
	output string
}

func newPricesCmd(streams *IO) *cobra.Command {
	o := &pricesOptions{}
	cmd := &cobra.Command{
		Use:   "prices [MODEL]",
		Short: "Print the price catalog (USD per million tokens) and its date",
		Example: `  loadplan prices
  loadplan prices claude-sonnet-4-5-20250929
  loadplan prices --prices model_prices_and_context_window.json gpt-4o`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: modelNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			pc, err := o.prices.catalog()
			if err != nil {
				return err
			}
			cat := pc.cat
			prices := append([]pricing.Price(nil), cat.Prices...)
			if len(args) == 1 {
				p, err := cat.Lookup(args[0])
				if err != nil {
					return usageError("%v", err)
				}
				prices = []pricing.Price{p}
			}
			sort.SliceStable(prices, func(i, j int) bool { return prices[i].Provider < prices[j].Provider })
			if o.output == "json" {
				return report.WriteJSON(streams.Out, report.PricesJSON(cat, prices))
			}
			report.PricesTable(streams.Out, cat, prices)
			return nil
		},
	}
	o.prices.register(cmd.Flags())
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "table or json")
	return cmd
}
