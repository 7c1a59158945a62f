package planner

import (
	"fmt"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// NoWorstCaseError is a capped run's refusal: a priced step has no worst case (no output
// bound), so nothing bounds what it may spend.
type NoWorstCaseError struct {
	Step string
}

func (e *NoWorstCaseError) Error() string {
	return fmt.Sprintf("%s has no worst case, so a capped run cannot bound its cost: add max_tokens to its request body or expect.max_output_tokens (or run uncapped with --no-budget)", e.Step)
}

// NoBudgetError is PlanRun's refusal of a run with no budget anywhere that is not asked to
// run uncapped.
type NoBudgetError struct {
	Scenario string
}

func (e *NoBudgetError) Error() string {
	return fmt.Sprintf("scenario %s has no budget: give --budget X, add budget: to the plan or the scenario, or run uncapped with --no-budget", e.Scenario)
}

// Bounds are every step's bound: the most one attempt may cost while the plan's declared
// bounds hold (DESIGN.md, "Metering"), which the meter reserves before sending it. A priced
// step with no worst case is left out; a capped run refuses one (*NoWorstCaseError).
func Bounds(p *plan.Plan, cat *pricing.Catalog, capped bool) (map[*plan.Step]pricing.Bound, error) {
	out := map[*plan.Step]pricing.Bound{}
	for _, st := range allSteps(p) {
		c, err := costStep(st, cat)
		if err != nil {
			return nil, err
		}
		if !c.worstKnown {
			if capped {
				return nil, &NoWorstCaseError{Step: st.Name}
			}
			continue
		}
		b := pricing.Bound{Cost: c.worst}
		if u, ok := WorstUsage(st); ok && st.Cost.Kind == plan.CostUsage {
			b.Usage, b.Limits = &u, limits(p.File, st)
		}
		out[st] = b
	}
	return out, nil
}

// limits are the declared token bounds of a priced-by-usage step that its worst usage follows
// from, each with where it came from.
func limits(file string, st *plan.Step) []pricing.Limit {
	e := st.Expect
	cacheFrom := e.CacheableFrom.In(file)
	if cacheFrom == "" {
		cacheFrom = "default: 0, no cacheable prefix"
	}
	inFrom := e.MaxInputFrom.In(file)
	if inFrom == "" {
		inFrom = plan.RuleMaxInput
	}
	return []pricing.Limit{
		{Name: "max_input_tokens", Of: pricing.LimitInput, Tokens: e.InputBound(), From: inFrom},
		{Name: "max_output_tokens", Of: pricing.LimitOutput, Tokens: e.MaxOutputTokens, From: e.MaxOutputFrom.In(file)},
		{Name: "cacheable_tokens", Of: pricing.LimitCacheWrite, Tokens: e.CacheableTokens.Ceil().IntPart(), From: cacheFrom},
	}
}

// RunPlan is what a run of one scenario takes from the planner.
type RunPlan struct {
	Estimate *Scenario        // gated on the expected cost
	Budget   *decimal.Decimal // the cap; nil: uncapped (NoBudget)
	Bounds   map[*plan.Step]pricing.Bound
}

// PlanRun prepares a run of scenario s of p: its budget (BudgetFor; a run needs one unless
// opts.NoBudget, else a *NoBudgetError says where to give one), its estimate
// gated on the expected cost (opts.Gate is ignored), and every step's bound, which a capped
// run needs for every priced step (*NoWorstCaseError).
func PlanRun(p *plan.Plan, s *plan.Scenario, cat *pricing.Catalog, opts Options) (*RunPlan, error) {
	budget, err := opts.BudgetFor(s)
	if err != nil {
		return nil, err
	}
	if budget == nil && !opts.NoBudget && !allFree(p) {
		// A plan whose every request is free has nothing to cap: it runs without a budget (the
		// meter still accounts its $0).
		return nil, &NoBudgetError{Scenario: s.Name}
	}
	opts.Gate = GateExpected
	est, err := EstimateScenario(p, s, cat, opts)
	if err != nil {
		return nil, err
	}
	bounds, err := Bounds(p, cat, budget != nil)
	if err != nil {
		return nil, err
	}
	return &RunPlan{Estimate: est, Budget: budget, Bounds: bounds}, nil
}

// allFree reports whether every request of p is free (price: free).
func allFree(p *plan.Plan) bool {
	steps := allSteps(p)
	for _, st := range steps {
		if st.Cost.Kind != plan.CostFree {
			return false
		}
	}
	return len(steps) > 0
}
