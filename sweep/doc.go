// Package sweep runs one scenario at rising load, step by step, on one budget, and finds the
// knee: the highest load at which the SLO still holds, with what a good request costs there.
//
//	levels, _ := sweep.Ladder(2, 40, 8, 0, false) // 2/s .. 40/s in 8 steps
//	cfg := sweep.Config{Plan: p, Scenario: sc, Catalog: cat, Levels: levels,
//		StepDuration: time.Minute, MinAttainment: 0.95, Refine: 2,
//		Ledger: meter.New(&budget), RunStep: runOne}
//	est, _ := sweep.Estimate(cfg) // est.WithinBudget: gate it before anything is sent
//	res, err := sweep.Run(ctx, cfg)
//
// The steps are the open model at each arrival rate (or the closed model at each number of
// users), each run for StepDuration by RunStep, which the caller builds on the executor (this
// package imports the planner, never the executor, so that report can render a Result).
// Every step meters through the same Ledger: the sweep never spends past its budget, and a
// step runs with what the earlier ones left.
//
// A step holds when it ran to its end, its SLO attainment (summary.Goodput's, else the share
// of requests that did not fail) is at least MinAttainment, the plan's thresholds other than
// rps passed (a floor on throughput says nothing of a low step), and, in the open model, at
// most 1 % of its arrivals (or 2) never started while all its max_in_flight users were busy:
// past that the step did not offer its rate. The sweep stops at the first step that does not hold; with
// Refine N it then bisects N times between the last rate that held and the first that broke.
// The knee is the highest rate that held.
//
// The estimate before the sweep is its worst case in steps: every step of the ladder runs,
// and each refine step at the ladder's top rate.
package sweep
