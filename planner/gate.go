package planner

import (
	"errors"

	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// Options change an estimate.
type Options struct {
	Gate Gate
	// Budget overrides the scenario's and the plan's (--budget); NoBudget (--no-budget) means
	// no budget at all, whatever the plan says.
	Budget   *decimal.Decimal
	NoBudget bool
}

// ErrBudgetAndNoBudget is BudgetFor's error when both a budget and none are asked for.
var ErrBudgetAndNoBudget = errors.New("give --budget or --no-budget, not both")

// BudgetFor is the budget of a run or an estimate of s, nil for none. This is the one place
// its precedence is written: none with NoBudget; else Budget (the command line's); else the
// scenario's own; else the plan's (package plan folds the plan's budget into every scenario
// that sets none, in s.Budget). The estimate gates on it and a run is capped at it.
func (o Options) BudgetFor(s *plan.Scenario) (*decimal.Decimal, error) {
	switch {
	case o.NoBudget && o.Budget != nil:
		return nil, ErrBudgetAndNoBudget
	case o.NoBudget:
		return nil, nil
	case o.Budget != nil:
		b := *o.Budget
		return &b, nil
	case s.Budget != nil:
		b := *s.Budget
		return &b, nil
	}
	return nil, nil
}

// gate compares the scenario's gated estimate with its budget: within when the estimate is
// known and at most the budget (decimals, compared exactly); an unknown estimate is never
// within a budget (it fails closed). Without a budget there is nothing to compare.
func gate(out *Scenario, budget *decimal.Decimal) {
	if budget == nil {
		return
	}
	out.Budget = &Budget{Limit: *budget, Currency: "USD"}
	gated := out.Gated()
	within := gated != nil && gated.LessThanOrEqual(*budget)
	out.WithinBudget = &within
}
