package planner

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
	"github.com/shopspring/decimal"
)

// Shape returns the closed-model shape of a scenario (its users over time).
func Shape(s *plan.Scenario) schedule.Shape {
	if len(s.Stages) > 0 {
		st := make([]schedule.Stage, len(s.Stages))
		for i, g := range s.Stages {
			st[i] = schedule.Stage{Duration: g.Duration, Users: g.Users}
		}
		return schedule.Stages(st)
	}
	return schedule.Spawn(s.Users, s.SpawnRate, s.Duration)
}

type taskModel struct {
	t              *plan.Task
	share          float64
	steps          []stepCosts
	latExp, latLow float64 // one iteration's latency, seconds
	latVar         float64 // its variance, seconds²
}

// EstimateScenario estimates one scenario. The model is DESIGN.md's "Estimation": request
// counts are modelled quantities (the latency model is log-normal, so they are floats);
// tokens and money are decimal, multiplied first and divided once.
func EstimateScenario(p *plan.Plan, s *plan.Scenario, cat *pricing.Catalog, opts Options) (*Scenario, error) {
	if opts.Gate == "" {
		opts.Gate = GateExpected
	}
	out := &Scenario{Name: s.Name, Model: "closed", Gate: opts.Gate, Duration: seconds(s.TotalDuration()),
		Assumptions: []string{}, Warnings: []string{}}
	total := float64(p.TotalWeight())
	if total == 0 {
		return nil, fmt.Errorf("scenario %s: the task weights add up to 0", s.Name)
	}
	var tasks []taskModel
	var latExp, latLow, stepsPerIter float64
	var latSecondMoment, lowSecondMoment float64 // E[L²] of one iteration's latency, both cases
	noLatency := []string{}
	for _, t := range p.Tasks {
		tm := taskModel{t: t, share: float64(t.Weight) / total}
		for _, st := range t.Steps {
			c, err := costStep(st, cat)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
			}
			if !c.latGiven {
				noLatency = append(noLatency, st.Name)
			}
			tm.steps = append(tm.steps, c)
			tm.latExp += c.latExp
			tm.latLow += c.latLow
			tm.latVar += c.latVar
		}
		latExp += tm.share * tm.latExp
		latLow += tm.share * tm.latLow
		latSecondMoment += tm.share * (tm.latVar + tm.latExp*tm.latExp)
		lowSecondMoment += tm.share * tm.latLow * tm.latLow
		stepsPerIter += tm.share * float64(len(t.Steps))
		tasks = append(tasks, tm)
	}

	// Iterations (one task each) in the three cases, and user starts (each runs on_start).
	var itLow, itExp float64
	var itWorst *float64
	// rateUnknown: no wait and no expected latency, so nothing bounds how many requests a
	// user sends: the counts are unknown, and so is the cost unless every task is free.
	rateUnknown := false
	var starts float64
	var fullRate, worstRate float64 // iterations per second at full load
	w := s.Wait
	switch {
	case s.Open():
		out.Model = "open"
		out.ArrivalRate = s.ArrivalRate.Text
		arr := schedule.Arrivals{Rate: s.ArrivalRate.PerSecond, Duration: s.Duration}
		n := arr.Total()
		itLow, itExp, itWorst = n, n, ptr(n)
		fullRate, worstRate = s.ArrivalRate.PerSecond, s.ArrivalRate.PerSecond
		starts = float64(s.MaxInFlight)
		out.Assumptions = append(out.Assumptions,
			fmt.Sprintf("open model: %s task iterations started at %s for %s, each a task drawn by weight; none dropped by max_in_flight %d", fmtNum(n), s.ArrivalRate.Text, seconds(s.Duration), s.MaxInFlight))
		if conc := s.ArrivalRate.PerSecond * latExp; conc > float64(s.MaxInFlight) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s at a mean iteration latency of %.2fs needs about %.0f requests in flight, more than max_in_flight %d: arrivals will start late", s.ArrivalRate.Text, latExp, math.Ceil(conc), s.MaxInFlight))
		}
		if len(p.OnStart) > 0 {
			out.Assumptions = append(out.Assumptions, fmt.Sprintf("on_start runs once for each of the %d virtual users of the open model (max_in_flight)", s.MaxInFlight))
		}
	default:
		shape := Shape(s)
		out.MaxUsers = shape.MaxUsers()
		st := shape.Starts()
		starts = float64(st)
		if w.Kind == plan.WaitPacing {
			period := w.Min.Seconds()
			it, _ := shape.PacedIterations(w.Min)
			itLow, itExp, itWorst = it, it, ptr(it)
			fullRate, worstRate = float64(out.MaxUsers)/period, float64(out.MaxUsers)/period
			out.Assumptions = append(out.Assumptions, fmt.Sprintf("pacing %s: each user starts a task when it starts and every %s after, while it runs", seconds(w.Min), seconds(w.Min)))
			if latExp > period {
				out.Warnings = append(out.Warnings, fmt.Sprintf("the mean task latency %.2fs is longer than the pacing %s: users cannot keep the pace and will send fewer requests than estimated", latExp, seconds(w.Min)))
			}
		} else {
			if len(noLatency) > 0 {
				out.Assumptions = append(out.Assumptions, fmt.Sprintf("no expect.latency for %s: its latency is taken as 0 (more requests, not fewer)", strings.Join(noLatency, ", ")))
			}
			us := shape.UserSeconds()
			expPeriod := w.Mean().Seconds() + latExp
			lowPeriod := w.Mean().Seconds() + latLow
			worstPeriod := w.Min.Seconds()
			// A user starts a task when it starts and then one every period on average, and
			// the task under way at the end still counts: by renewal theory a user active for
			// T seconds starts T/E[P] + 1/2 + Var(P)/(2·E[P]²) tasks on average (the first at
			// once). In the worst case (fixed shortest period) it is at most T/P + 1.
			waitVar := w.Variance()
			if expPeriod > 0 {
				periodVar := waitVar + latSecondMoment - latExp*latExp
				itExp = us/expPeriod + starts*(0.5+periodVar/(2*expPeriod*expPeriod))
				fullRate = float64(out.MaxUsers) / expPeriod
			}
			if lowPeriod > 0 {
				periodVar := waitVar + lowSecondMoment - latLow*latLow
				itLow = us/lowPeriod + starts*(0.5+periodVar/(2*lowPeriod*lowPeriod))
			}
			if worstPeriod > 0 {
				itWorst = ptr(us/worstPeriod + starts)
				worstRate = float64(out.MaxUsers) / worstPeriod
				out.Assumptions = append(out.Assumptions, fmt.Sprintf("worst case: latency 0 and every wait its shortest (%s)", seconds(w.Min)))
			} else {
				out.Warnings = append(out.Warnings, "users do not wait between tasks: with a fast server the number of requests has no bound, so there is no worst case; add wait: {constant: 1s} or pacing")
			}
			if expPeriod == 0 {
				rateUnknown = true
				out.Warnings = append(out.Warnings, "no wait and no expected latency: the number of requests cannot be estimated (unknown), nor their cost unless every task is free; add wait: or expect.latency")
			} else {
				out.Assumptions = append(out.Assumptions, fmt.Sprintf("%.1f user-seconds of load; each user runs a task every %.2fs on average (wait %s + mean latency %.2fs), its first at once", us, expPeriod, seconds(w.Mean()), latExp))
			}
		}
		if len(s.Stages) == 0 && s.SpawnRate > 0 {
			out.Assumptions = append(out.Assumptions, fmt.Sprintf("users start at %g per second up to %d", s.SpawnRate, s.Users))
		}
	}

	// Requests, tokens and cost per task.
	var reqLow, reqExp, reqWorst float64
	worstKnown := itWorst != nil
	var costLow, costExp, costWorst decimal.Decimal
	costWorstKnown := true
	var worstPer *decimal.Decimal
	noBound := []string{}
	tasksFree := true // every task's every step is free
	track := func(c stepCosts, name string) {
		if !c.worstKnown {
			costWorstKnown = false
			noBound = append(noBound, name)
			return
		}
		if worstPer == nil || c.worst.GreaterThan(*worstPer) {
			worstPer = ptr(c.worst)
		}
	}
	for _, tm := range tasks {
		te := Task{Name: tm.t.Name, Share: tm.share}
		n := float64(len(tm.steps))
		te.Requests = Counts{Low: ptr(itLow * tm.share * n), Expected: ptr(itExp * tm.share * n)}
		var tl, tx, tw decimal.Decimal
		tWorstKnown := worstKnown
		for i, c := range tm.steps {
			track(c, tm.t.Steps[i].Name)
			tl = tl.Add(quantity(itLow * tm.share).Mul(c.low))
			tx = tx.Add(quantity(itExp * tm.share).Mul(c.exp))
			te.Tokens = te.Tokens.add(c.expTok, itExp*tm.share)
			if !c.worstKnown || !worstKnown {
				tWorstKnown = false
				continue
			}
			tw = tw.Add(quantity(*itWorst * tm.share).Mul(c.worst))
		}
		if worstKnown {
			te.Requests.Worst = ptr(*itWorst * tm.share * n)
			reqWorst += *te.Requests.Worst
		}
		te.Cost = Money{Low: ptr(tl), Expected: ptr(tx)}
		if tWorstKnown {
			te.Cost.Worst = ptr(tw)
		}
		free := true
		for _, st := range tm.t.Steps {
			free = free && st.Cost.Kind == plan.CostFree
		}
		tasksFree = tasksFree && free
		if rateUnknown {
			// Unknown counts; a free task costs nothing however many times it runs.
			te.Requests = Counts{}
			te.Cost = Money{}
			if free {
				te.Cost = Money{Low: ptr(decimal.Zero), Expected: ptr(decimal.Zero), Worst: ptr(decimal.Zero)}
			}
			out.Tokens = out.Tokens.add(te.Tokens, 1)
			out.Tasks = append(out.Tasks, te)
			continue
		}
		reqLow += *te.Requests.Low
		reqExp += *te.Requests.Expected
		costLow, costExp, costWorst = costLow.Add(tl), costExp.Add(tx), costWorst.Add(tw)
		out.Tokens = out.Tokens.add(te.Tokens, 1)
		out.Tasks = append(out.Tasks, te)
	}
	if len(p.OnStart) > 0 {
		te := Task{Name: "on_start", Share: 0}
		n := float64(len(p.OnStart))
		te.Requests = Counts{Low: ptr(starts * n), Expected: ptr(starts * n), Worst: ptr(starts * n)}
		var tx, tl, tw decimal.Decimal
		wk := true
		for _, st := range p.OnStart {
			c, err := costStep(st, cat)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
			}
			track(c, st.Name)
			q := quantity(starts)
			tl, tx = tl.Add(q.Mul(c.low)), tx.Add(q.Mul(c.exp))
			te.Tokens = te.Tokens.add(c.expTok, starts)
			if c.worstKnown {
				tw = tw.Add(q.Mul(c.worst))
			} else {
				wk = false
			}
		}
		te.Cost = Money{Low: ptr(tl), Expected: ptr(tx)}
		if wk {
			te.Cost.Worst = ptr(tw)
		}
		reqLow, reqExp, reqWorst = reqLow+starts*n, reqExp+starts*n, reqWorst+starts*n
		costLow, costExp, costWorst = costLow.Add(tl), costExp.Add(tx), costWorst.Add(tw)
		out.Tokens = out.Tokens.add(te.Tokens, 1)
		out.Tasks = append(out.Tasks, te)
	}
	out.Requests = Counts{Low: ptr(reqLow), Expected: ptr(reqExp)}
	out.Cost = Money{Low: ptr(costLow), Expected: ptr(costExp)}
	if worstKnown {
		out.Requests.Worst = ptr(reqWorst)
	}
	if worstKnown && costWorstKnown {
		out.Cost.Worst = ptr(costWorst)
	}
	if rateUnknown {
		// The tasks' counts are unknown; the cost is what on_start costs when every task is
		// free, else unknown (an unknown cost is never zero: the gate fails closed).
		out.Requests = Counts{}
		out.Cost = Money{}
		if tasksFree && costWorstKnown {
			out.Cost = Money{Low: ptr(costLow), Expected: ptr(costExp), Worst: ptr(costWorst)}
		}
	}
	if costWorstKnown {
		out.WorstPerRequest = worstPer
	}
	if len(noBound) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("no worst case: %s %s no output bound; add max_tokens to the request body or expect.max_output_tokens", strings.Join(noBound, ", "), plural(len(noBound), "has", "have")))
	}
	out.ExpectedRPS = fullRate * stepsPerIter

	// The budget and the gate.
	budget := s.Budget
	if opts.Budget != nil {
		budget = opts.Budget
	}
	if budget != nil {
		out.Budget = &Budget{Limit: *budget, Currency: "USD"}
		gated := out.Gated()
		within := gated != nil && gated.LessThanOrEqual(*budget)
		out.WithinBudget = &within
	}
	out.Warnings = append(out.Warnings, warnings(p, s, out, tasks, fullRate*stepsPerIter, worstRate*stepsPerIter, costExp, reqExp)...)
	return out, nil
}

// warnings finds where the plan contradicts itself.
func warnings(p *plan.Plan, s *plan.Scenario, out *Scenario, tasks []taskModel, rps, worstRPS float64, costExp decimal.Decimal, reqExp float64) []string {
	var ws []string
	for _, th := range s.Thresholds {
		switch th.Kind {
		case plan.ThRPS:
			if out.Requests.Expected == nil {
				break // the rate is unknown: nothing to compare
			}
			switch {
			case worstRPS > 0 && worstRPS < th.Ratio:
				ws = append(ws, fmt.Sprintf("threshold rps %s cannot be reached: %s at full load sends at most %.2f requests/s (expected %.2f/s)", th.Text, loadText(s, out), worstRPS, rps))
			case rps < th.Ratio:
				ws = append(ws, fmt.Sprintf("threshold rps %s is unlikely to be reached: %s is expected to send %.2f requests/s at full load", th.Text, loadText(s, out), rps))
			}
			if reqExp > 0 && out.Budget != nil {
				perReq := costExp.Div(quantity(reqExp))
				atThreshold := perReq.Mul(quantity(th.Ratio * s.TotalDuration().Seconds()))
				if atThreshold.GreaterThan(out.Budget.Limit) {
					ws = append(ws, fmt.Sprintf("meeting threshold rps %s for %s would cost about %s, more than the budget %s", th.Text, out.Duration, pricing.FormatUSD(atThreshold), pricing.FormatUSD(out.Budget.Limit)))
				}
			}
		case plan.ThTotalCost:
			if costExp.GreaterThan(th.Money) {
				ws = append(ws, fmt.Sprintf("threshold total_cost %s will likely fail: the expected cost is %s", th.Text, pricing.FormatUSD(costExp)))
			}
		case plan.ThCostPerRequest:
			if reqExp > 0 {
				perReq := costExp.Div(quantity(reqExp))
				if perReq.GreaterThan(th.Money) {
					ws = append(ws, fmt.Sprintf("threshold cost_per_request %s will likely fail: the expected cost per request is %s", th.Text, pricing.FormatUSD(perReq)))
				}
			}
		}
	}
	if w := prometheusOverlap(p); w != "" {
		ws = append(ws, w)
	}
	if p.RateLimit.RPM > 0 && rps*60 > float64(p.RateLimit.RPM) {
		ws = append(ws, fmt.Sprintf("%.0f requests/min at full load is above the plan's rate_limit of %d rpm: the client will hold requests back", rps*60, p.RateLimit.RPM))
	}
	if p.RateLimit.TPM > 0 && reqExp > 0 {
		tok := 0.0
		iters := 0.0
		for _, tm := range tasks {
			for _, c := range tm.steps {
				tok += tm.share * (c.expTok.Input + c.expTok.Output + c.expTok.CacheRead + c.expTok.CacheWrite)
			}
			iters += tm.share * float64(len(tm.steps))
		}
		tpm := rps / iters * tok * 60
		if tpm > float64(p.RateLimit.TPM) {
			ws = append(ws, fmt.Sprintf("about %.0f tokens/min at full load is above the plan's rate_limit of %d tpm: expect 429s from the provider, or the client will hold requests back", tpm, p.RateLimit.TPM))
		}
	}
	return ws
}

func loadText(s *plan.Scenario, out *Scenario) string {
	if s.Open() {
		return "arrival rate " + s.ArrivalRate.Text
	}
	if s.Wait.Kind == plan.WaitPacing {
		return fmt.Sprintf("%d users paced at %s", out.MaxUsers, seconds(s.Wait.Min))
	}
	return fmt.Sprintf("%d users", out.MaxUsers)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func fmtNum(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// prometheusOverlap warns when a step priced by the service's Prometheus counters shares them
// with other priced steps: the counters count every request the service serves, so the other
// steps' tokens would be charged twice (and may be seen as an overrun).
func prometheusOverlap(p *plan.Plan) string {
	var prom, others []string
	for _, st := range allSteps(p) {
		switch {
		case st.Cost.Kind == plan.CostUsage && st.Cost.Usage.Kind == plan.UsagePrometheus:
			prom = append(prom, st.Name)
		case st.Cost.Kind == plan.CostUsage || st.Cost.Kind == plan.CostFlat:
			others = append(others, st.Name)
		}
	}
	if len(prom) == 0 || len(prom)+len(others) < 2 {
		return ""
	}
	return fmt.Sprintf("%s %s priced by the service's Prometheus counters, which also count the usage of %s: those requests would be charged twice; price by counters only when they count nothing else (one step, or one step per counter)",
		strings.Join(prom, ", "), plural(len(prom), "is", "are"), strings.Join(append(prom[1:len(prom):len(prom)], others...), ", "))
}

func allSteps(p *plan.Plan) []*plan.Step {
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, t := range p.Tasks {
		steps = append(steps, t.Steps...)
	}
	return steps
}

// CutAt returns a copy of s whose schedule ends at elapsed: the part of the scenario that
// ran when a run stopped early. A duration is shortened; stages are kept up to elapsed, the
// stage cut in two ending at the users its linear ramp had reached (rounded to a user). The
// estimate of the copy is the estimate of what ran, to compare a partial run's cost with.
func CutAt(s *plan.Scenario, elapsed time.Duration) *plan.Scenario {
	c := *s
	if elapsed < 0 {
		elapsed = 0
	}
	if elapsed >= s.TotalDuration() {
		return &c
	}
	if len(s.Stages) == 0 {
		c.Duration = elapsed
		return &c
	}
	c.Stages = nil
	var at time.Duration
	from := 0
	for _, g := range s.Stages {
		if at+g.Duration <= elapsed {
			c.Stages = append(c.Stages, g)
			at += g.Duration
			from = g.Users
			continue
		}
		part := elapsed - at
		if part > 0 {
			users := float64(from) + float64(g.Users-from)*float64(part)/float64(g.Duration)
			c.Stages = append(c.Stages, plan.Stage{Duration: part, Users: int(math.Round(users))})
		}
		break
	}
	return &c
}
