// Package summary is the result of a run, loadplan.run/v1: its types and their JSON, why a
// run stopped and the exit code that follows (StopReason.Rank, StopReason.ExitCode), the
// latency histograms (recorded, encoded, merged, read as percentiles), the threshold judge,
// the merge of the summaries of several workers, and reading a saved summary back.
//
// It is the floor the executor and report stand on: the executor produces a *Run, report
// renders one, and a summary read from a file or merged from workers never links the HTTP
// engine. It imports neither of them (nor the planner: the estimate a summary embeds stays
// JSON here, and Merge adds estimates with the planner's function it is given). Each rule
// has one home here, so that `loadplan run`, `loadplan report` and `loadplan report merge`
// print the same figures for the same data:
//
//	s, err := summary.Read("run.json")
//	m, err := summary.Merge(planner.MergeEstimates, w1, w2) // workers of one scenario
//	f, ok, err := m.Figures("task:chat")
//	res := summary.Judge(threshold, f)                     // "0.13%" for 1 failure in 800
//	code := m.Exit(summary.ExitThresholds)                 // 130, then 5, 4, 1, 0
//	v := m.Verdict()                                       // PASS, FAIL, STOPPED AT BUDGET, ...
//
// Percentiles are read from HDR histograms of microseconds, never averaged: a percentile of
// several request names or workers is read from the merge of their histograms, which every
// summary carries encoded. Money is decimal, written as a string in JSON; shares printed as
// percentages are rounded half away from zero from their shortest decimal form (Percent).
package summary
