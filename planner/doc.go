// Package planner estimates what a scenario of a plan will cost before anything is sent: the
// number of requests, the tokens and the dollars, in three cases (low, expected, worst), and
// the budget gate that compares one of them with the budget.
//
// The model (DESIGN.md, "Estimation"): in the closed model a user runs a task every
// E[wait] + E[latency] seconds (or every pacing period, counted discretely), and the users
// follow the scenario's ramp or stages (package schedule), so the expected number of task
// iterations is the user-seconds divided by that period; the open model starts
// arrival_rate × duration iterations. A task's share is its weight over the sum of weights; a
// sequence costs the sum of its steps. Latency is log-normal with the plan's median and p95,
// whose mean is median·exp(σ²/2). Request counts are modelled quantities, possibly
// fractional, but exact: every figure from the plan's numbers to a dollar amount is a
// rational number, made a decimal once at the end (quantity.go), so that a budget equal to a
// worst case passes the gate.
//
// The planner also owns the rules a run takes from the plan: the budget's precedence
// (Options.BudgetFor: --no-budget, --budget, the scenario's, the plan's) and each step's
// bound, what the meter reserves (Bounds); PlanRun gives a run all three, and the executor,
// which does not import this package, receives them as plain values.
//
//	e, err := planner.EstimateScenario(p, p.Scenario("normal"), pricing.Default(), planner.Options{})
//	if e.WithinBudget != nil && !*e.WithinBudget { /* refuse: exit 3 */ }
package planner
