package planner

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
)

// runs are how many times something runs in the three cases: low, expected, worst. A nil
// worst has no bound; a nil expected is unknown (and so are the others).
type runs struct {
	low, exp, worst *big.Rat
}

// times is r scaled by f (a task's share of the iterations).
func (r runs) times(f *big.Rat) runs {
	scale := func(x *big.Rat) *big.Rat {
		if x == nil {
			return nil
		}
		return mul(x, f)
	}
	return runs{low: scale(r.low), exp: scale(r.exp), worst: scale(r.worst)}
}

// taskModel is a task as the estimate sees it: its share of the iterations and its steps.
type taskModel struct {
	t     *plan.Task
	share *big.Rat // weight / sum of weights
	steps []stepCosts
}

// mix is the plan's tasks and on_start steps priced, and the latency of one iteration (a task
// drawn by weight) in the expected and low cases.
type mix struct {
	tasks   []taskModel
	onStart []stepCosts
	// latExp and latLow are the mean latency of one iteration, seconds (expected: the steps'
	// means, low: their p95s); latSecond and lowSecond its second moment E[L²], seconds².
	latExp, latLow, latSecond, lowSecond *big.Rat
	stepsPerIter                         *big.Rat // requests per iteration, on average
	noLatency                            []string // task steps with no expect.latency
}

func mixOf(p *plan.Plan, cat *pricing.Catalog) (*mix, error) {
	total := int64(p.TotalWeight())
	if total == 0 {
		return nil, fmt.Errorf("the task weights add up to 0")
	}
	m := &mix{latExp: new(big.Rat), latLow: new(big.Rat), latSecond: new(big.Rat), lowSecond: new(big.Rat), stepsPerIter: new(big.Rat)}
	for _, t := range p.Tasks {
		tm := taskModel{t: t, share: big.NewRat(int64(t.Weight), total)}
		exp, low, vr := new(big.Rat), new(big.Rat), new(big.Rat) // one iteration of t
		for _, st := range t.Steps {
			c, err := costStep(st, cat)
			if err != nil {
				return nil, err
			}
			if !c.latGiven {
				m.noLatency = append(m.noLatency, st.Name)
			}
			tm.steps = append(tm.steps, c)
			exp.Add(exp, c.latExp)
			low.Add(low, c.latLow)
			vr.Add(vr, c.latVar)
		}
		m.latExp.Add(m.latExp, mul(tm.share, exp))
		m.latLow.Add(m.latLow, mul(tm.share, low))
		m.latSecond.Add(m.latSecond, mul(tm.share, add(vr, mul(exp, exp))))
		m.lowSecond.Add(m.lowSecond, mul(tm.share, mul(low, low)))
		m.stepsPerIter.Add(m.stepsPerIter, mul(tm.share, ratInt(int64(len(t.Steps)))))
		m.tasks = append(m.tasks, tm)
	}
	for _, st := range p.OnStart {
		c, err := costStep(st, cat)
		if err != nil {
			return nil, err
		}
		m.onStart = append(m.onStart, c)
	}
	return m, nil
}

// load is a scenario's load model: the task iterations it starts in the three cases, the user
// starts (each runs on_start once), and the iterations per second at full load.
type load struct {
	model       string // closed | open
	maxUsers    int
	arrivalRate string
	iter        runs
	starts      *big.Rat
	// fullRate and worstRate are iterations per second at full load, expected and at most
	// (figures for warnings, not money).
	fullRate, worstRate float64
	assumptions         []string
	warnings            []string
}

// loadOf counts a scenario's iterations (DESIGN.md, "Estimation"): the open model starts
// arrival_rate × duration; paced users start one when they start and every period after;
// other closed-model users one every E[wait] + E[latency] on average (renewal theory).
func loadOf(p *plan.Plan, s *plan.Scenario, m *mix) load {
	switch {
	case s.Open():
		return openLoad(p, s, m)
	case s.Wait.Kind == plan.WaitPacing:
		return pacedLoad(s, m)
	}
	return closedLoad(s, m)
}

func openLoad(p *plan.Plan, s *plan.Scenario, m *mix) load {
	ld := load{model: "open", arrivalRate: s.ArrivalRate.Text}
	arr := schedule.Arrivals{Rate: s.ArrivalRate.PerSecond, Duration: s.Duration}
	n := arr.Total() // a whole number
	it := new(big.Rat).SetFloat64(n)
	ld.iter = runs{low: it, exp: it, worst: it}
	ld.fullRate, ld.worstRate = s.ArrivalRate.PerSecond, s.ArrivalRate.PerSecond
	ld.starts = ratInt(int64(s.MaxInFlight))
	ld.assumptions = append(ld.assumptions,
		fmt.Sprintf("open model: %s task iterations started at %s for %s, each a task drawn by weight; none dropped by max_in_flight %d", fmtNum(n), s.ArrivalRate.Text, seconds(s.Duration), s.MaxInFlight))
	latExp := float(m.latExp)
	if conc := s.ArrivalRate.PerSecond * latExp; conc > float64(s.MaxInFlight) {
		ld.warnings = append(ld.warnings, fmt.Sprintf("%s at a mean iteration latency of %.2fs needs about %.0f requests in flight, more than max_in_flight %d: arrivals will start late", s.ArrivalRate.Text, latExp, math.Ceil(conc), s.MaxInFlight))
	}
	if len(p.OnStart) > 0 {
		ld.assumptions = append(ld.assumptions, fmt.Sprintf("on_start runs once for each of the %d virtual users of the open model (max_in_flight)", s.MaxInFlight))
	}
	return ld
}

func pacedLoad(s *plan.Scenario, m *mix) load {
	shape := schedule.Of(s)
	w := s.Wait
	ld := load{model: "closed", maxUsers: shape.MaxUsers(), starts: ratInt(int64(shape.Starts()))}
	n, _ := shape.PacedIterations(w.Min) // a whole number
	it := new(big.Rat).SetFloat64(n)
	ld.iter = runs{low: it, exp: it, worst: it}
	period := w.Min.Seconds()
	ld.fullRate = float64(ld.maxUsers) / period
	ld.worstRate = ld.fullRate
	ld.assumptions = append(ld.assumptions, fmt.Sprintf("pacing %s: each user starts a task when it starts and every %s after, while it runs", seconds(w.Min), seconds(w.Min)))
	if latExp := float(m.latExp); latExp > period {
		ld.warnings = append(ld.warnings, fmt.Sprintf("the mean task latency %.2fs is longer than the pacing %s: users cannot keep the pace and will send fewer requests than estimated", latExp, seconds(w.Min)))
	}
	ld.assumptions = append(ld.assumptions, spawnText(s)...)
	return ld
}

func closedLoad(s *plan.Scenario, m *mix) load {
	shape := schedule.Of(s)
	w := s.Wait
	ld := load{model: "closed", maxUsers: shape.MaxUsers(), starts: ratInt(int64(shape.Starts()))}
	if len(m.noLatency) > 0 {
		ld.assumptions = append(ld.assumptions, fmt.Sprintf("no expect.latency for %s: its latency is taken as 0 (more requests, not fewer)", strings.Join(m.noLatency, ", ")))
	}
	us := shape.UserSecondsExact()
	waitMean, waitVar := secs(w.Min), new(big.Rat)
	if w.Kind == plan.WaitBetween {
		// Uniform on [min, max]: mean (min+max)/2, variance (max-min)²/12.
		waitMean = quo(add(secs(w.Min), secs(w.Max)), ratInt(2))
		d := sub(secs(w.Max), secs(w.Min))
		waitVar = quo(mul(d, d), ratInt(12))
	}
	maxUsers := ratInt(int64(ld.maxUsers))
	// A user starts a task when it starts and then one every period on average, and the task
	// under way at the end still counts: by renewal theory a user active for T seconds starts
	// T/E[P] + 1/2 + Var(P)/(2·E[P]²) tasks on average (the first at once). In the worst case
	// (fixed shortest period) it is at most T/P + 1.
	renewal := func(period, second, mean *big.Rat) *big.Rat {
		periodVar := add(waitVar, sub(second, mul(mean, mean)))
		perStart := add(big.NewRat(1, 2), quo(periodVar, mul(ratInt(2), mul(period, period))))
		return add(quo(us, period), mul(ld.starts, perStart))
	}
	expPeriod, lowPeriod, worstPeriod := add(waitMean, m.latExp), add(waitMean, m.latLow), secs(w.Min)
	if expPeriod.Sign() > 0 {
		ld.iter.exp = renewal(expPeriod, m.latSecond, m.latExp)
		ld.fullRate = float(quo(maxUsers, expPeriod))
	}
	if lowPeriod.Sign() > 0 {
		ld.iter.low = renewal(lowPeriod, m.lowSecond, m.latLow)
	}
	if worstPeriod.Sign() > 0 {
		ld.iter.worst = add(quo(us, worstPeriod), ld.starts)
		ld.worstRate = float(quo(maxUsers, worstPeriod))
		ld.assumptions = append(ld.assumptions, fmt.Sprintf("worst case: latency 0 and every wait its shortest (%s)", seconds(w.Min)))
	} else {
		ld.warnings = append(ld.warnings, "users do not wait between tasks: with a fast server the number of requests has no bound, so there is no worst case; add wait: {constant: 1s} or pacing")
	}
	if expPeriod.Sign() == 0 {
		// No wait and no expected latency: nothing bounds how many requests a user sends,
		// so the counts are unknown, and so is the cost unless every task is free.
		ld.iter = runs{}
		ld.warnings = append(ld.warnings, "no wait and no expected latency: the number of requests cannot be estimated (unknown), nor their cost unless every task is free; add wait: or expect.latency")
	} else {
		ld.assumptions = append(ld.assumptions, fmt.Sprintf("%.1f user-seconds of load; each user runs a task every %.2fs on average (wait %s + mean latency %.2fs), its first at once", float(us), float(expPeriod), seconds(w.Mean()), float(m.latExp)))
	}
	ld.assumptions = append(ld.assumptions, spawnText(s)...)
	return ld
}

func spawnText(s *plan.Scenario) []string {
	if len(s.Stages) == 0 && s.SpawnRate > 0 {
		return []string{fmt.Sprintf("users start at %g per second up to %d", s.SpawnRate, s.Users)}
	}
	return nil
}
