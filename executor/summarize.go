package executor

import (
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
)

// summarize assembles the run's summary (loadplan.run/v1) once every worker has returned.
func (r *runner) summarize(started, ended time.Time) *summary.Run {
	r.tick(ended, true)
	r.agg.mu.Lock()
	rows := r.agg.drain()
	r.agg.mu.Unlock()
	tot := total(rows, nil, true)
	snap := r.ledger.Snapshot()

	// The outcome is everything that happened, not only what stopped new work first: an
	// overrun after the scenario's end or after an aborting threshold is an overrun.
	reason, detail, partial := summary.StopCompleted, "", false
	if c, first := r.outcome(); c != nil {
		reason, detail = c.reason, c.detail
		partial = first.reason != summary.StopCompleted
	}
	elapsed := ended.Sub(started)
	s := &summary.Run{Schema: summary.Schema, Plan: r.cfg.Plan.Name, Scenario: r.sc.Name,
		StartedAt: started.UTC(), EndedAt: ended.UTC(), StopReason: reason, StopDetail: r.secrets.String(detail),
		Estimate: r.cfg.Estimate, Target: r.secrets.String(plan.RedactURL(r.cfg.Target)), Seed: r.cfg.Seed,
		DurationS: elapsed.Seconds(), Partial: partial,
		Tasks: []summary.TaskStats{}, Failures: r.stats.failureList(), Timeline: r.timeline, Thresholds: []summary.ThresholdResult{}}
	if s.Timeline == nil {
		s.Timeline = []summary.TimelinePoint{}
	}
	if r.cfg.Control != nil {
		s.Events = r.cfg.Control.Events()
	}
	if snap.Budget != nil {
		s.Budget = &summary.Budget{Limit: *snap.Budget, Currency: "USD"}
	}
	rps := func(n int64) float64 {
		if elapsed <= 0 {
			return 0
		}
		return float64(n) / elapsed.Seconds()
	}
	s.Actual = summary.Actual{Requests: tot.requests, Failures: tot.failures, RPS: rps(tot.requests),
		Cost: tot.cost, CostEstimated: tot.costEst, Tokens: tot.tokens.Tokens(),
		CacheHitRate: tot.cacheHitRate(), LateStarts: r.lateStarts.Load(), DroppedArrivals: r.dropped.Load(), RateLimited: tot.rateLimited,
		UnpricedResponses: tot.unpriced, IncompleteUsage: tot.incomplete,
		Latency: summary.PercentilesOf(tot.lat), CostPerRequest: tot.costPerRequest(),
		EstimateErrorPct: summary.EstimateErrorPct(tot.cost, r.cfg.ExpectedCost), Goodput: tot.goodput(rps)}
	if tot.ttft.TotalCount() > 0 {
		p := summary.PercentilesOf(tot.ttft)
		s.Actual.TTFT = &p
	}
	for i := range rows {
		ts := taskStats(&rows[i], rps)
		// An encoding error leaves the distribution out, as taskStats does the histograms.
		ts.TokenDist, _ = r.stats.rows[i].tokDist.Dist()
		s.Tasks = append(s.Tasks, ts)
	}
	if r.mon != nil {
		s.Monitor = r.mon.Report()
	}
	s.RateLimits = r.rates.summary()
	s.Pass = true
	for _, th := range r.thresholds() {
		var res summary.ThresholdResult
		if th.Monitor != nil {
			res = r.judgeMonitor(th, s.Monitor)
		} else {
			res, _ = judge(th, rows, elapsed)
		}
		s.Thresholds = append(s.Thresholds, res)
		s.Pass = s.Pass && res.Pass
	}
	s.Meter = &summary.Meter{Spent: snap.Spent, Reserved: snap.Reserved, LargestWorstCase: snap.LargestReservation,
		Overruns: snap.Overruns, UnreportedCharged: tot.unreported, BoundsHeld: snap.Overruns == 0}
	return s
}

// taskStats is one row of the summary's statistics; rps turns a count into a rate over the
// run.
func taskStats(row *rowSnap, rps func(int64) float64) summary.TaskStats {
	ts := summary.TaskStats{Name: row.name, Method: row.method, Requests: row.requests, Failures: row.failures,
		RPS: rps(row.requests), Latency: summary.PercentilesOf(row.lat), AvgContentSize: row.avgSize(),
		Tokens: row.tokens.Tokens(), Cost: row.cost, CostEstimated: row.costEst,
		CostPerRequest: row.costPerRequest(), CostSource: row.costSource, CacheHitRate: row.cacheHitRate(),
		RateLimited: row.rateLimited, IncompleteUsage: row.incomplete, Goodput: row.goodput(rps)}
	// An encoding error leaves the histogram out: the summary still reads, and a merge that
	// needs it says so.
	ts.Histogram, _ = summary.EncodeHistogram(row.lat)
	ts.TTFTHistogram, _ = summary.EncodeHistogram(row.ttft)
	if row.ttft.TotalCount() > 0 {
		p := summary.PercentilesOf(row.ttft)
		ts.TTFT = &p
	}
	ts.OutputTokensPerS, ts.InterTokenMS = row.outputRate()
	return ts
}
