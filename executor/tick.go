package executor

import (
	"context"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// spendWindow is how far back the spend rate of the live view looks: a minute, so that users
// paced in step (everyone sending at the same second) do not make the projection swing.
const spendWindow = time.Minute

// tickLoop records the timeline, reports progress and checks the aborting thresholds about
// once a second until ctx ends.
func (r *runner) tickLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.tick(now, false)
		}
	}
}

// tick closes one second of the timeline. final is the last, partial second after the run.
func (r *runner) tick(now time.Time, final bool) {
	r.agg.mu.Lock()
	defer r.agg.mu.Unlock()
	rows := r.agg.drain()
	// The timeline needs the counters and the second's p50 and p95 (r.agg.sec); the
	// cumulative histograms are merged and read only for a progress report (nobody reads one
	// in --quiet runs: OnProgress is nil).
	progress := !final && r.cfg.OnProgress != nil
	tot := total(rows, nil, progress)
	snap := r.ledger.Snapshot()
	dt := now.Sub(r.lastTick).Seconds()
	r.lastTick = now
	if final && tot.secReq == 0 && dt < 0.5 {
		return
	}
	perSec := func(n int64) float64 {
		if dt <= 0 {
			return 0
		}
		return float64(n) / dt
	}
	elapsed := now.Sub(r.start)
	users := int(r.users.Load())
	pt := summary.TimelinePoint{T: math.Round(elapsed.Seconds()*1000) / 1000, Users: users,
		RPS: perSec(tot.secReq), FPS: perSec(tot.secFail), Spent: snap.Spent, Reserved: snap.Reserved,
		InFlight: int(r.inFlight.Load())}
	if r.agg.sec.TotalCount() > 0 {
		pt.P50 = float64(r.agg.sec.ValueAtQuantile(50)) / 1000
		pt.P95 = float64(r.agg.sec.ValueAtQuantile(95)) / 1000
	}
	r.timeline = append(r.timeline, pt)
	if final {
		return
	}
	if progress {
		pr := r.progress(elapsed, rows, &tot, snap, perSec)
		pr.Point = pt
		if r.cfg.Control != nil {
			pr.Events = r.cfg.Control.Events()
		}
		r.cfg.OnProgress(pr)
	}
	if r.stopCtx.Err() == nil {
		r.checkAborting(rows, elapsed)
	}
}

// cloneHist is a copy of h that the progress callback may keep; nil for nil.
func cloneHist(h *hdr.Histogram) *hdr.Histogram {
	if h == nil {
		return nil
	}
	return h.Clone()
}

func (r *runner) progress(elapsed time.Duration, rows []rowSnap, tot *rowSnap, snap meter.Snapshot, perSec func(int64) float64) summary.Progress {
	remaining := max(r.sc.TotalDuration()-elapsed, 0)
	p := summary.Progress{Elapsed: elapsed, Remaining: remaining, Users: int(r.users.Load()), InFlight: int(r.inFlight.Load()),
		Spent: snap.Spent, Reserved: snap.Reserved, Budget: snap.Budget, LateStarts: r.lateStarts.Load(),
		Stopping: r.stopCtx.Err() != nil, GoodKnown: true}
	row := func(s *rowSnap) summary.TaskProgress {
		tp := summary.TaskProgress{Name: s.name, Method: s.method, Requests: s.requests, Failures: s.failures,
			CurrentRPS: perSec(s.secReq), CurrentFPS: perSec(s.secFail), Latency: summary.PercentilesOf(s.lat),
			AvgContentSize: s.avgSize(), Cost: s.cost, Cumulative: cloneHist(s.lat), Good: s.good, WastedCost: s.wasted}
		tp.LatencyHist, tp.TTFTHist = s.buckets.histograms()
		if s.ttft != nil && s.ttft.TotalCount() > 0 {
			t := summary.PercentilesOf(s.ttft)
			tp.TTFT = &t
		}
		return tp
	}
	for i := range rows {
		p.Tasks = append(p.Tasks, row(&rows[i]))
		if r.cfg.ProgressHistograms && rows[i].lat != nil && rows[i].lat.TotalCount() > 0 {
			p.Tasks[i].Histogram, _ = summary.EncodeHistogram(rows[i].lat)
		}
	}
	p.Total = row(tot)
	p.Failures = r.stats.failureList()
	if r.mon != nil {
		snap := r.mon.Snapshot()
		p.Monitor = &snap
	}
	// The spend rate over the last spendWindow of the timeline, and the cost at the planned
	// end if it holds.
	p.SpendPerMin, p.Projected = decimal.Zero, snap.Spent
	var perMS *decimal.Decimal // observed, USD per millisecond
	if n := len(r.timeline); n >= 2 {
		last := r.timeline[n-1]
		first := r.timeline[0]
		for i := n - 1; i >= 0; i-- {
			if last.T-r.timeline[i].T > spendWindow.Seconds() {
				break
			}
			first = r.timeline[i]
		}
		if ms := int64(math.Round((last.T - first.T) * 1000)); ms > 0 {
			rate := last.Spent.Sub(first.Spent).Div(decimal.NewFromInt(ms))
			perMS = &rate
			p.SpendPerMin = rate.Mul(decimal.NewFromInt(60_000))
		}
	}
	rate, early := projectionRate(perMS, r.cfg.ExpectedCost, elapsed, r.sc.TotalDuration(), r.projectionWarmup())
	p.ProjectedEarly = early
	if rate != nil {
		p.Projected = snap.Spent.Add(rate.Mul(decimal.NewFromInt(remaining.Milliseconds())))
	}
	return p
}

// projectionWarmup is how long the observed spend rate is not trusted alone: one full pacing
// period or a tenth of the duration, whichever is longer. Before it, users paced in step
// (everyone sending in the same second) or still starting make the rate swing.
func (r *runner) projectionWarmup() time.Duration {
	w := r.sc.TotalDuration() / 10
	if r.sc.Wait.Kind == plan.WaitPacing {
		w = max(w, r.sc.Wait.Min)
	}
	return w
}

// projectionRate is the spend rate (USD per millisecond) the projection uses: the observed
// one, and before warmup a blend of it with the estimate's expected rate (its expected cost
// over the planned duration), weighted by the share of warmup elapsed. early is true before
// warmup. nil: no rate known yet.
func projectionRate(observed, expected *decimal.Decimal, elapsed, total, warmup time.Duration) (rate *decimal.Decimal, early bool) {
	early = elapsed < warmup
	if !early || expected == nil || total <= 0 {
		return observed, early
	}
	expRate := expected.Div(decimal.NewFromInt(max(total.Milliseconds(), 1)))
	if observed == nil {
		return &expRate, early
	}
	w := decimal.NewFromInt(elapsed.Milliseconds()).Div(decimal.NewFromInt(max(warmup.Milliseconds(), 1)))
	blend := observed.Mul(w).Add(expRate.Mul(decimal.NewFromInt(1).Sub(w)))
	return &blend, early
}

// abortWarmup is how many requests a threshold's scope needs before an aborting threshold
// is judged during the run.
const abortWarmup = 10

// checkAborting judges the abort_on_fail thresholds on the run so far. rps and cache hit
// rate are floors that a ramp-up would fail: they are judged at the end only.
func (r *runner) checkAborting(rows []rowSnap, elapsed time.Duration) {
	for _, th := range r.thresholds() {
		if !th.AbortOnFail || th.Lower() {
			continue
		}
		res, n := judge(th, rows, elapsed)
		if n < abortWarmup || res.Pass {
			continue
		}
		r.stop(&stopCause{reason: summary.StopThresholdAbort, detail: "threshold " + res.Name + " (" + res.ScopeText() + ") is " +
			res.Actual + ", over its limit " + res.Limit + " (abort_on_fail)"})
		return
	}
}
