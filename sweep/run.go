package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/plan"
	"time"

	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// Run runs the sweep: the ladder's levels in order until one does not hold, then up to Refine
// bisection steps, each step through cfg.RunStep on cfg.Ledger. Cancelling ctx stops the step
// under way gracefully (the executor's interrupt) and the sweep with it: interrupted. The
// result is returned whatever stopped it, with the steps that ran; an error only for a config
// that cannot run at all.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Levels) == 0 || cfg.RunStep == nil || cfg.Ledger == nil || cfg.StepDuration <= 0 {
		return nil, errors.New("sweep: levels, a step duration, a ledger and RunStep are required")
	}
	model := "open"
	if cfg.Closed {
		model = "closed"
	}
	res := &Result{Schema: Schema, Plan: cfg.Plan.Name, Scenario: cfg.Scenario.Name, Model: model,
		StartedAt: time.Now().UTC(), StepDurationS: cfg.StepDuration.Seconds(),
		MinAttainment: MinAttainmentOf(cfg.Scenario, cfg.MinAttainment), Levels: cfg.Levels,
		Refine: cfg.Refine, Steps: []Step{}, Estimate: json.RawMessage("null")}
	if b := cfg.Ledger.Snapshot().Budget; b != nil {
		res.Budget = &summary.Budget{Limit: *b, Currency: "USD"}
	}
	if est, err := Estimate(cfg); err == nil {
		res.Estimate, _ = json.Marshal(est)
	}
	s := &sweeper{cfg: cfg, res: res}
	good, bad := -1.0, -1.0
	for _, lv := range cfg.Levels {
		held, stop := s.step(ctx, lv, false)
		if stop {
			break
		}
		if !held {
			bad = lv
			s.stop(StopBroke, fmt.Sprintf("%s did not hold", LevelText(lv, cfg.Closed)))
			break
		}
		good = lv
	}
	if res.StopReason == StopBroke && good >= 0 {
		for range cfg.Refine {
			mid := roundLevel((good + bad) / 2)
			if cfg.Closed {
				mid = float64(int((good + bad) / 2))
			}
			if mid <= good || mid >= bad {
				break // nothing left between them
			}
			held, stop := s.step(ctx, mid, true)
			if stop {
				break
			}
			if held {
				good = mid
			} else {
				bad = mid
			}
		}
	}
	if res.StopReason == "" {
		s.stop(StopCompleted, "every step held")
	}
	s.finish()
	return res, nil
}

type sweeper struct {
	cfg Config
	res *Result
}

// stop records why the sweep stops: the first reason, except that the budget, an interrupt
// or an error during the refine steps replaces slo_broken (the bisection did not finish).
func (s *sweeper) stop(r StopReason, detail string) {
	if s.res.StopReason == "" || (s.res.StopReason == StopBroke && r != StopBroke) {
		s.res.StopReason, s.res.StopDetail = r, detail
	}
}

// step runs one level; it reports whether the step held and whether the sweep stops
// (interrupted, budget, error).
func (s *sweeper) step(ctx context.Context, level float64, refine bool) (held, stop bool) {
	cfg := s.cfg
	if ctx.Err() != nil {
		s.stop(StopInterrupted, "interrupted before "+LevelText(level, cfg.Closed))
		return false, true
	}
	idx := len(s.res.Steps) + 1
	sc, err := StepScenario(cfg.Scenario, level, cfg.Closed, cfg.StepDuration)
	if err != nil {
		s.stop(StopError, err.Error())
		return false, true
	}
	opts := cfg.Options
	opts.Gate = planner.GateExpected
	est, err := planner.EstimateScenario(cfg.Plan, sc, cfg.Catalog, opts)
	if err != nil {
		s.stop(StopError, err.Error())
		return false, true
	}
	sum, err := cfg.RunStep(ctx, StepRun{Index: idx, Level: level, Scenario: sc, Estimate: est})
	if err != nil {
		s.stop(StopError, fmt.Sprintf("step %d (%s): %v", idx, LevelText(level, cfg.Closed), err))
		return false, true
	}
	st := figures(sum, level, cfg)
	st.Index, st.Refine = idx, refine
	switch sum.StopReason {
	case summary.StopCompleted, summary.StopThresholdAbort:
		st.Broke = judge(sum, &st, s.res.MinAttainment, sc.MaxInFlight)
		h := len(st.Broke) == 0
		st.Held = &h
	case summary.StopBudgetExhausted, summary.StopOverrun:
		s.stop(StopBudget, fmt.Sprintf("step %d (%s): %s", idx, st.Text, sum.StopReason))
	case summary.StopInterrupted:
		s.stop(StopInterrupted, fmt.Sprintf("step %d (%s) interrupted", idx, st.Text))
	default:
		s.stop(StopError, fmt.Sprintf("step %d (%s): %s %s", idx, st.Text, sum.StopReason, sum.StopDetail))
	}
	s.res.Steps = append(s.res.Steps, st)
	if cfg.OnStep != nil {
		cfg.OnStep(st)
	}
	if st.Held == nil {
		return false, true
	}
	return *st.Held, false
}

// figures are a step's key figures from its summary. Without the summary's goodput
// (summary.Goodput nil), a request is good when it did not fail.
func figures(sum *summary.Run, level float64, cfg Config) Step {
	a := sum.Actual
	st := Step{Level: level, Text: LevelText(level, cfg.Closed), Requests: a.Requests, Failures: a.Failures,
		AchievedRPS: a.RPS, P50MS: a.Latency.P50, P95MS: a.Latency.P95, Cost: a.Cost, StopReason: sum.StopReason, Summary: sum}
	if a.TTFT != nil {
		p := a.TTFT.P95
		st.TTFTP95MS = &p
	}
	if g := a.Goodput; g != nil {
		st.Good, st.GoodputRPS, st.SLOAttainment = g.Good, g.GoodputRPS, g.SLOAttainment
	} else {
		st.Good = a.Requests - a.Failures
		if sum.DurationS > 0 {
			st.GoodputRPS = float64(st.Good) / sum.DurationS
		}
		if a.Requests > 0 {
			att := float64(st.Good) / float64(a.Requests)
			st.SLOAttainment = &att
		}
	}
	st.CostPer1kGood = per1k(a.Cost, st.Good)
	return st
}

// per1k is cost × 1000 / good; nil with no good request.
func per1k(cost decimal.Decimal, good int64) *decimal.Decimal {
	if good <= 0 {
		return nil
	}
	v := cost.Shift(3).Div(decimal.NewFromInt(good))
	return &v
}

// judge says why a step that ran to its end did not hold: its attainment below min (no
// request at all is no attainment), a plan threshold other than rps failed, an aborting
// threshold stopped it, or (open model) its arrivals did not start because all maxInFlight
// users were busy.
func judge(sum *summary.Run, st *Step, min float64, maxInFlight int) []string {
	var broke []string
	switch {
	case st.SLOAttainment == nil:
		broke = append(broke, "no request completed")
	case *st.SLOAttainment < min:
		broke = append(broke, fmt.Sprintf("slo_attainment %s < %s", pct(*st.SLOAttainment), pct(min)))
	}
	for _, th := range sum.Thresholds {
		if !th.Pass && !throughputFloor(th.Name) {
			broke = append(broke, fmt.Sprintf("%s %s, limit %s (%s)", th.Name, th.Actual, th.Limit, th.ScopeText()))
		}
	}
	if d := sum.Actual.DroppedArrivals; d > maxDroppedSlack && float64(d) > maxDroppedShare*float64(d+st.Requests) &&
		saturated(sum, maxInFlight) {
		broke = append(broke, fmt.Sprintf("%d of its arrivals never started (all %d max_in_flight users busy): the rate was not offered", d, maxInFlight))
	}
	if sum.StopReason == summary.StopThresholdAbort && len(broke) == 0 {
		broke = append(broke, "threshold_abort: "+sum.StopDetail)
	}
	return broke
}

// maxDroppedShare is the share of a step's arrivals that may never start (the open model's
// max_in_flight users all busy) before the step does not hold: past it the rate the step
// names was not offered, whatever its latencies say.
const maxDroppedShare = 0.01

// saturated reports whether the open model's users were all busy at some second of the run
// (the timeline's busy users reached maxInFlight): dropped arrivals are then the target's
// doing, not a busy load generator's.
func saturated(sum *summary.Run, maxInFlight int) bool {
	if maxInFlight <= 0 {
		return false
	}
	for _, pt := range sum.Timeline {
		if pt.Users >= maxInFlight {
			return true
		}
	}
	return false
}

// maxDroppedSlack is how many arrivals a step may drop whatever its size: the last ones
// due just before the step's end, which a busy machine's pacer starts a little late, are
// counted dropped.
const maxDroppedSlack = 2

func pct(x float64) string { return fmt.Sprintf("%.4g%%", x*100) }

// finish sets the knee (the highest level that held), the totals and the exit code.
func (s *sweeper) finish() {
	res := s.res
	res.EndedAt = time.Now().UTC()
	t := &res.Totals
	t.Steps = len(res.Steps)
	for i := range res.Steps {
		st := &res.Steps[i]
		t.Requests += st.Requests
		t.Failures += st.Failures
		t.Good += st.Good
		t.Cost = t.Cost.Add(st.Cost)
		t.DurationS += st.Summary.DurationS
		if st.Held != nil && *st.Held && (res.Knee == nil || st.Level > res.Knee.Level) {
			res.Knee = &Knee{Level: st.Level, Text: st.Text, Step: st.Index, P95MS: st.P95MS,
				SLOAttainment: st.SLOAttainment, CostPer1kGood: st.CostPer1kGood}
		}
	}
	t.CostPer1kGood = per1k(t.Cost, t.Good)
	if res.Knee != nil {
		lowest := -1.0
		for _, st := range res.Steps {
			if st.Held != nil && !*st.Held && st.Level > res.Knee.Level && (lowest < 0 || st.Level < lowest) {
				lowest = st.Level
			}
		}
		if lowest >= 0 {
			res.Knee.Below = &lowest
		}
	}
	res.ExitCode = res.StopReason.ExitCode(res.Knee != nil)
}

// throughputFloor says whether a threshold is a floor on throughput (rps, goodput), which a
// sweep's low steps cannot meet by design: a step is judged on latency, failures, SLO and
// cost, and the sweep finds the throughput.
func throughputFloor(name string) bool {
	return name == string(plan.ThRPS) || name == string(plan.ThGoodput)
}
