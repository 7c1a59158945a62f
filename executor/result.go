package executor

import (
	"github.com/loadplan/loadplan/plan"
	"time"

	"github.com/shopspring/decimal"
)

// summary assembles the run's loadplan.run/v1 summary once every worker has returned.
func (r *runner) summary(started, ended time.Time) *Summary {
	r.tick(ended, true)
	r.agg.mu.Lock()
	rows := r.agg.drain()
	r.agg.mu.Unlock()
	tot := total(rows, nil, true)
	snap := r.ledger.Snapshot()

	// The outcome is everything that happened, not only what stopped new work first: an
	// overrun after the scenario's end or after an aborting threshold is an overrun.
	reason, detail, partial := StopCompleted, "", false
	if c, first := r.outcome(); c != nil {
		reason, detail = c.reason, c.detail
		partial = first.reason != StopCompleted
	}
	elapsed := ended.Sub(started)
	s := &Summary{Schema: SummarySchema, Plan: r.cfg.Plan.Name, Scenario: r.sc.Name,
		StartedAt: started.UTC(), EndedAt: ended.UTC(), StopReason: reason, StopDetail: detail,
		Estimate: r.cfg.Estimate, Target: plan.RedactURL(r.cfg.Target), Seed: r.cfg.Seed,
		DurationS: elapsed.Seconds(), Partial: partial,
		Tasks: []TaskStats{}, Failures: r.stats.failureList(), Timeline: r.timeline, Thresholds: []ThresholdResult{}}
	if s.Timeline == nil {
		s.Timeline = []TimelinePoint{}
	}
	if snap.Budget != nil {
		s.Budget = &Budget{Limit: *snap.Budget, Currency: "USD"}
	}
	rps := func(n int64) float64 {
		if elapsed <= 0 {
			return 0
		}
		return float64(n) / elapsed.Seconds()
	}
	s.Actual = Actual{Requests: tot.requests, Failures: tot.failures, RPS: rps(tot.requests),
		Cost: tot.cost, CostEstimated: tot.costEst, Tokens: tot.tokens.Tokens(),
		CacheHitRate: tot.cacheHitRate(), LateStarts: r.lateStarts.Load(), DroppedArrivals: r.dropped.Load(), RateLimited: tot.rateLimited,
		UnpricedResponses: tot.unpriced,
		Latency:           percentilesOf(tot.lat), CostPerRequest: tot.costPerRequest()}
	if tot.ttft.TotalCount() > 0 {
		p := percentilesOf(tot.ttft)
		s.Actual.TTFT = &p
	}
	if e := r.cfg.ExpectedCost; e != nil && e.IsPositive() {
		pct := tot.cost.Sub(*e).Div(*e).Mul(decimal.NewFromInt(100)).InexactFloat64()
		s.Actual.EstimateErrorPct = &pct
	}
	for i := range rows {
		row := &rows[i]
		ts := TaskStats{Name: row.name, Method: row.method, Requests: row.requests, Failures: row.failures,
			RPS: rps(row.requests), Latency: percentilesOf(row.lat), AvgContentSize: row.avgSize(),
			Tokens: row.tokens.Tokens(), Cost: row.cost, CostEstimated: row.costEst,
			CostPerRequest: row.costPerRequest(), CostSource: row.costSource, CacheHitRate: row.cacheHitRate(),
			RateLimited: row.rateLimited, Histogram: encodeHist(row.lat), TTFTHistogram: encodeHist(row.ttft)}
		if row.ttft.TotalCount() > 0 {
			p := percentilesOf(row.ttft)
			ts.TTFT = &p
		}
		ts.OutputTokensPerS, ts.InterTokenMS = row.outputRate()
		s.Tasks = append(s.Tasks, ts)
	}
	if r.mon != nil {
		s.Monitor = r.mon.Report()
	}
	s.Pass = true
	for _, th := range r.thresholds() {
		var res ThresholdResult
		if th.Monitor != nil {
			res = r.judgeMonitor(th, s.Monitor)
		} else {
			res, _ = evalThreshold(th, rows, elapsed)
		}
		s.Thresholds = append(s.Thresholds, res)
		s.Pass = s.Pass && res.Pass
	}
	s.Meter = &Meter{Spent: snap.Spent, Reserved: snap.Reserved, LargestWorstCase: snap.LargestReservation,
		Overruns: snap.Overruns, UnreportedCharged: tot.unreported, BoundsHeld: snap.Overruns == 0}
	return s
}
