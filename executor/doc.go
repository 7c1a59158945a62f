// Package executor runs one scenario of a plan against a target: the closed model (users
// started by the scenario's shape, each running on_start once and then task iterations with
// their waits) and the open model (task iterations started at an arrival rate on a pool of at
// most max_in_flight virtual users), HTTP and server-sent events, checks, captures, retries,
// the cost meter (every attempt reserves its worst case, then settles what it cost) and
// statistics in constant memory (HDR histograms per request name). Each priced-by-usage step
// reads its responses with the usage.Source built once for it. It never prints: the caller
// gets a summary.Progress about once a second, warnings through Config.OnWarning, and a
// *summary.Run at the end (package summary holds the run result, which report renders
// without importing the executor).
//
//	sum, err := executor.Run(ctx, executor.Config{
//		Plan: p, Scenario: s, Target: "http://127.0.0.1:8002", Catalog: cat,
//		Ledger: meter.New(&budget), Capped: true, Bounds: bounds, Seed: 42, // bounds: planner.Bounds
//		OnProgress: func(p summary.Progress) { /* live view */ },
//	})
//
// A run has two contexts. The stop context ends when no new work may start: the end of the
// duration, the caller's ctx (interrupted), the budget, an aborting threshold or an
// unreachable target, each a cause from which the stop reason comes. The abort context ends
// the work in flight: StopTimeout after the stop, a second interrupt (Config.Abort), or an
// overrun. Requests already reserved and sent are let finish and are counted.
package executor
