package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// priceFlags are --prices and --prices-only, which every command that prices takes.
type priceFlags struct {
	add  string // --prices FILE: its rows are added to the embedded catalog, and win
	only string // --prices-only FILE: the catalog, without the embedded one
}

func (f *priceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.add, "prices", "", "price catalog added to the embedded one, its rows winning: loadplan YAML or LiteLLM's model_prices_and_context_window.json")
	fs.StringVar(&f.only, "prices-only", "", "price catalog used instead of the embedded one (same formats as --prices)")
}

// check refuses --prices with --prices-only (exit 2); the files are read by catalog.
func (f *priceFlags) check() error {
	if f.add != "" && f.only != "" {
		return usageError("give --prices FILE (added to the embedded catalog) or --prices-only FILE (instead of it), not both")
	}
	return nil
}

// priced is the catalog a command prices with, and where its rows came from.
type priced struct {
	cat  *pricing.Catalog
	file *pricing.Catalog // what --prices or --prices-only loaded; nil without either
	flag string           // "--prices" or "--prices-only"
}

// catalog loads the catalog the flags name: the embedded one, with --prices FILE's rows added
// (the file's win), or --prices-only FILE alone. A file that does not load is a usage error.
func (f *priceFlags) catalog() (*priced, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	switch {
	case f.only != "":
		c, err := loadPrices(f.only)
		if err != nil {
			return nil, usageError("--prices-only: %v", err)
		}
		return &priced{cat: c, file: c, flag: "--prices-only"}, nil
	case f.add != "":
		c, err := loadPrices(f.add)
		if err != nil {
			return nil, usageError("--prices: %v", err)
		}
		return &priced{cat: pricing.Default().Merge(c), file: c, flag: "--prices"}, nil
	}
	return &priced{cat: pricing.Default()}, nil
}

// forPlan loads the catalog the flags name and adds p's inline prices
// (planner.WithPlanPrices). Its warnings say which models p prices by usage from a catalog
// older than pricing.StaleAfter at now.
func (f *priceFlags) forPlan(p *plan.Plan, now time.Time) (*pricing.Catalog, []string, error) {
	pc, err := f.catalog()
	if err != nil {
		return nil, nil, err
	}
	cat, err := planner.WithPlanPrices(pc.cat, p)
	if err != nil {
		return nil, nil, withCode(exitUsage, fmt.Errorf("%s: inline prices:\n%w", p.File, err))
	}
	return cat, pc.staleWarnings(p, now), nil
}

// staleWarnings names, per catalog, the models p prices by usage whose prices come from a
// catalog older than pricing.StaleAfter at now (inline prices are the plan's own).
func (pc *priced) staleWarnings(p *plan.Plan, now time.Time) []string {
	models := map[string]bool{}
	forEachStep(p, func(st *plan.Step) {
		if st.Cost.Kind == plan.CostUsage && !strings.HasPrefix(st.Cost.Model, plan.InlinePrefix) {
			models[st.Cost.Model] = true
		}
	})
	type source struct {
		cat  *pricing.Catalog
		name string
	}
	stale := map[source][]string{}
	embedded := source{pricing.Default(), "the embedded catalog"}
	var file source
	if pc.file != nil {
		file = source{pc.file, pc.flag + " " + pc.file.Source}
	}
	for _, m := range slices.Sorted(maps.Keys(models)) {
		src := embedded
		if pc.file != nil {
			if _, err := pc.file.Lookup(m); err == nil || pc.flag == "--prices-only" {
				src = file
			}
		}
		if age, ok := src.cat.Age(now); ok && age > pricing.StaleAfter {
			stale[src] = append(stale[src], m)
		}
	}
	var out []string
	for _, src := range []source{embedded, file} {
		if ms := stale[src]; len(ms) > 0 {
			age, _ := src.cat.Age(now)
			out = append(out, fmt.Sprintf("the prices of %s are from %s, as of %s (%d days ago): prices change; "+
				"refresh them with --prices model_prices_and_context_window.json (LiteLLM's price file, added to the embedded catalog)",
				strings.Join(ms, ", "), src.name, src.cat.AsOf, int(age.Hours()/24)))
		}
	}
	return out
}

type pricesOptions struct {
	model  string // "": every model
	prices priceFlags
	output outputFlag
}

// newCmdPrices builds loadplan prices; runF as newCmdRun's.
func newCmdPrices(streams *IO, runF func(*pricesOptions) error) *cobra.Command {
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
			if len(args) == 1 {
				o.model = args[0]
			}
			if err := o.output.check(); err != nil {
				return err
			}
			if err := o.prices.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runPrices(streams, o)
		},
	}
	o.prices.register(cmd.Flags())
	o.output.register(cmd, "table", "json")
	return cmd
}

// runPrices is loadplan prices: the catalog, or one model's price.
func runPrices(streams *IO, o *pricesOptions) error {
	pc, err := o.prices.catalog()
	if err != nil {
		return err
	}
	cat := pc.cat
	prices := append([]pricing.Price(nil), cat.Prices...)
	if o.model != "" {
		p, err := cat.Lookup(o.model)
		if err != nil {
			return usageError("%v", err)
		}
		prices = []pricing.Price{p}
	}
	sort.SliceStable(prices, func(i, j int) bool { return prices[i].Provider < prices[j].Provider })
	if o.output.json() {
		return report.WriteJSON(streams.Out, report.PricesJSON(cat, prices))
	}
	report.PricesTable(streams.Out, cat, prices)
	return nil
}
