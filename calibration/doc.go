// Package calibration turns what runs measured into the estimator's inputs (issue 16).
//
//	runs, _ := summary.Read("run.json") // one or more loadplan.run/v1 summaries
//	c, _ := calibration.FromRuns(p, []calibration.Source{{Name: "run.json", Run: runs}})
//	_ = calibration.Write(w, c)          // calibration.yaml
//	c, _ = calibration.Load("calibration.yaml")
//	notes := c.Apply(p)                  // overrides each step's expect; notes warn
//
// Per request name (a task, TASK.STEP, on_start.NAME) a calibration holds the sample sizes,
// the mean and quantiles (min, p10, p25, p50, p75, p90, p95, p99, max) of the prompt
// (input_tokens: uncached input, cache read and cache writes together), of its cacheable
// part (cache read and writes) and of the output tokens per response with a usage report,
// the cache hit rate, and the latency and TTFT median and p95. Several runs are pooled
// exactly: sums and counts add, histograms merge.
//
// Apply overrides expect's means (input_tokens, cacheable_tokens, output_tokens,
// cache_hit_rate) and latency and ttft; the bounds (max_input_tokens, max_output_tokens)
// decide reservations and stay the plan's, except that a max_input_tokens below the
// measured largest prompt is raised to it (a larger reservation, never a smaller one).
package calibration
