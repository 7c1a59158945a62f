package executor

import (
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
)

// thresholds are the scenario's (the plan's, overridden by the scenario's) and every task's.
func (r *runner) thresholds() []plan.Threshold {
	out := append([]plan.Threshold(nil), r.sc.Thresholds...)
	for _, t := range r.cfg.Plan.Tasks {
		out = append(out, t.Thresholds...)
	}
	return out
}

// latencyKind: a threshold on a latency or TTFT percentile (the others read counters only).
func latencyKind(k plan.ThresholdKind) bool {
	switch k {
	case plan.ThP50, plan.ThP90, plan.ThP95, plan.ThP99, plan.ThTTFTP50, plan.ThTTFTP95:
		return true
	}
	return false
}

// judge judges one threshold on rows (all of them for the plan and scenario scopes, the
// task's own for a task scope) with summary.Judge. It also returns the number of requests in
// scope.
func judge(th plan.Threshold, rows []rowSnap, elapsed time.Duration) (summary.ThresholdResult, int64) {
	keep := func(*rowSnap) bool { return true }
	if name, ok := strings.CutPrefix(th.Scope, "task:"); ok {
		keep = func(s *rowSnap) bool { return s.task == name }
	}
	t := total(rows, keep, latencyKind(th.Kind))
	return summary.Judge(th, t.figures(elapsed)), t.requests
}

// figures are what a threshold is judged on, from a row (or a total of rows) and the time
// the run has run. Latencies are read only from merged histograms (total with hists).
func (r *rowSnap) figures(elapsed time.Duration) summary.Figures {
	good := r.good
	f := summary.Figures{Requests: r.requests, Failures: r.failures, Seconds: elapsed.Seconds(), Cost: r.cost,
		Good: &good, WastedCost: r.wasted}
	if r.lat != nil && r.lat.TotalCount() > 0 {
		p := summary.PercentilesOf(r.lat)
		f.Latency = &p
	}
	if r.ttft != nil && r.ttft.TotalCount() > 0 {
		p := summary.PercentilesOf(r.ttft)
		f.TTFT = &p
	}
	if r.reported > 0 {
		v := float64(r.cacheHits) / float64(r.reported)
		f.CacheHitRate = &v
	}
	return f
}
