package main

import (
	"strings"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// allFree reports whether every request of p (its on_start steps and its tasks' steps) is
// price: free: such a run has nothing to cap, and runs without --budget or --no-budget.
func allFree(p *plan.Plan) bool {
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, t := range p.Tasks {
		steps = append(steps, t.Steps...)
	}
	for _, st := range steps {
		if st.Cost.Kind != plan.CostFree {
			return false
		}
	}
	return len(steps) > 0
}

// usdAs writes v in USD with as many decimals as pricing.FormatUSD writes ref: the live
// view's reserved with the precision of its spent.
func usdAs(v, ref decimal.Decimal) string {
	r := pricing.FormatUSD(ref)
	places := 0
	if i := strings.LastIndexByte(r, '.'); i >= 0 {
		places = len(r) - i - 1
	}
	return "$" + v.StringFixed(int32(places))
}
