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
// whose mean is median·exp(σ²/2). Request counts are therefore modelled quantities (floats);
// tokens and money are decimal, multiplied first and divided once, and never pass through a
// float.
//
//	e, err := planner.EstimateScenario(p, p.Scenario("normal"), pricing.Default(), planner.Options{})
//	if e.WithinBudget != nil && !*e.WithinBudget { /* refuse: exit 3 */ }
package planner
