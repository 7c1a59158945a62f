package planner

import (
	"fmt"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// EstimateSequence estimates scenarios run one after the other on one budget, such as the
// steps of a sweep: each step's estimate, and their sum as one scenario named name, gated
// against the budget (Options.BudgetFor of the first step) by the same rule as a single
// scenario. Counts, tokens and money add (unknown stays unknown: an unknown worst case of any
// step makes the sum's unknown); the duration is the steps' total; the largest worst case
// per request and the expected rate are the largest of the steps'; assumptions and warnings
// are kept once each.
func EstimateSequence(p *plan.Plan, name string, steps []*plan.Scenario, cat *pricing.Catalog, opts Options) (*Scenario, []*Scenario, error) {
	if len(steps) == 0 {
		return nil, nil, fmt.Errorf("scenario %s: no steps to estimate", name)
	}
	if opts.Gate == "" {
		opts.Gate = GateExpected
	}
	budget, err := opts.BudgetFor(steps[0])
	if err != nil {
		return nil, nil, err
	}
	parts := make([]*Scenario, 0, len(steps))
	for _, s := range steps {
		e, err := EstimateScenario(p, s, cat, opts)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, e)
	}
	first := parts[0]
	sum := &Scenario{Name: name, Model: first.Model, Requests: first.Requests, Tokens: first.Tokens, Cost: first.Cost,
		Tasks: append([]Task(nil), first.Tasks...), Gate: opts.Gate, WorstPerRequest: first.WorstPerRequest,
		MaxUsers: first.MaxUsers, ExpectedRPS: first.ExpectedRPS, Assumptions: []string{}, Warnings: []string{}}
	var total time.Duration
	for i, e := range parts {
		total += steps[i].TotalDuration()
		if i > 0 {
			sum.Requests, sum.Tokens, sum.Cost = sum.Requests.Add(e.Requests), sum.Tokens.Add(e.Tokens), sum.Cost.Add(e.Cost)
			sum.Tasks = addTasks(sum.Tasks, e.Tasks)
			sum.MaxUsers = max(sum.MaxUsers, e.MaxUsers)
			sum.ExpectedRPS = max(sum.ExpectedRPS, e.ExpectedRPS)
			if e.WorstPerRequest == nil || sum.WorstPerRequest == nil {
				sum.WorstPerRequest = nil
			} else if e.WorstPerRequest.GreaterThan(*sum.WorstPerRequest) {
				sum.WorstPerRequest = e.WorstPerRequest
			}
		}
		for _, s := range e.Assumptions {
			sum.Assumptions = appendUnique(sum.Assumptions, s)
		}
		for _, s := range e.Warnings {
			sum.Warnings = appendUnique(sum.Warnings, s)
		}
	}
	sum.Duration = seconds(total)
	gate(sum, budget)
	return sum, parts, nil
}
