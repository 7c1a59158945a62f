package main

import "github.com/loadplan/loadplan/plan"

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
