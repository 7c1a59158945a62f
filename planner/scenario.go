package planner

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
	"github.com/shopspring/decimal"
)

// EstimateScenario estimates one scenario (DESIGN.md, "Estimation"): the task iterations of
// its load model (loadOf), the cost of each task's share of them and of on_start once per user
// start (groupCost), and the gate on its budget (Options.BudgetFor). Counts and money are
// exact (quantity.go).
func EstimateScenario(p *plan.Plan, s *plan.Scenario, cat *pricing.Catalog, opts Options) (*Scenario, error) {
	if opts.Gate == "" {
		opts.Gate = GateExpected
	}
	budget, err := opts.BudgetFor(s)
	if err != nil {
		return nil, err
	}
	m, err := mixOf(p, cat)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	ld := loadOf(p, s, m)
	out := &Scenario{Name: s.Name, Model: ld.model, Gate: opts.Gate, Duration: seconds(s.TotalDuration()),
		MaxUsers: ld.maxUsers, ArrivalRate: ld.arrivalRate, Assumptions: ld.assumptions, Warnings: ld.warnings}
	if out.Assumptions == nil {
		out.Assumptions = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}

	var all []stepCosts
	for _, tm := range m.tasks {
		out.Tasks = append(out.Tasks, groupCost(tm.t.Name, tm.share, tm.steps, ld.iter.times(tm.share)))
		all = append(all, tm.steps...)
	}
	if len(m.onStart) > 0 {
		out.Tasks = append(out.Tasks, groupCost("on_start", new(big.Rat), m.onStart, runs{low: ld.starts, exp: ld.starts, worst: ld.starts}))
		all = append(all, m.onStart...)
	}
	for i, t := range out.Tasks {
		if i == 0 {
			out.Requests, out.Tokens, out.Cost = t.Requests, t.Tokens, t.Cost
			continue
		}
		out.Requests, out.Tokens, out.Cost = out.Requests.Add(t.Requests), out.Tokens.Add(t.Tokens), out.Cost.Add(t.Cost)
	}
	out.WorstPerRequest = worstPerRequest(all)
	if noBound := unbounded(all); len(noBound) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("no worst case: %s %s no output bound; add max_tokens to the request body or expect.max_output_tokens", strings.Join(noBound, ", "), plural(len(noBound), "has", "have")))
	}
	out.Assumptions = append(out.Assumptions, assumedText(p, s)...)
	out.ExpectedRPS = ld.fullRate * float(m.stepsPerIter)
	gate(out, budget)
	out.Warnings = append(out.Warnings, warnings(p, s, out, m, ld.fullRate*float(m.stepsPerIter), ld.worstRate*float(m.stepsPerIter))...)
	return out, nil
}

// groupCost is the estimate of a group of steps that each run r times: a task's steps, its
// share of the iterations; on_start's steps, once per user start. Its requests, tokens and
// cost are made decimal here, from the exact counts. With r unknown, so are its requests and,
// unless every step is free, its cost.
func groupCost(name string, share *big.Rat, steps []stepCosts, r runs) Task {
	te := Task{Name: name, Share: float(share)}
	if r.exp == nil {
		free := true
		for _, c := range steps {
			free = free && c.free
		}
		if free {
			te.Cost = Money{Low: new(decimal.Zero), Expected: new(decimal.Zero), Worst: new(decimal.Zero)}
		}
		return te
	}
	n := ratInt(int64(len(steps)))
	te.Requests = Counts{Low: new(quantity(mul(r.low, n))), Expected: new(quantity(mul(r.exp, n)))}
	if r.worst != nil {
		te.Requests.Worst = new(quantity(mul(r.worst, n)))
	}
	low, exp, worst := new(big.Rat), new(big.Rat), new(big.Rat)
	worstKnown := r.worst != nil
	for _, c := range steps {
		low.Add(low, mul(r.low, rat(c.low)))
		exp.Add(exp, mul(r.exp, rat(c.exp)))
		te.Tokens = te.Tokens.Add(c.expTok.times(r.exp))
		if worstKnown = worstKnown && c.worstKnown; worstKnown {
			worst.Add(worst, mul(r.worst, rat(c.worst)))
		}
	}
	te.Cost = Money{Low: new(money(low)), Expected: new(money(exp))}
	if worstKnown {
		te.Cost.Worst = new(money(worst))
	}
	return te
}

// worstPerRequest is the largest worst case of a single request; nil when some step has none.
func worstPerRequest(steps []stepCosts) *decimal.Decimal {
	var w *decimal.Decimal
	for _, c := range steps {
		if !c.worstKnown {
			return nil
		}
		if w == nil || c.worst.GreaterThan(*w) {
			w = new(c.worst)
		}
	}
	return w
}

// unbounded names the steps with no worst case.
func unbounded(steps []stepCosts) []string {
	var names []string
	for _, c := range steps {
		if !c.worstKnown {
			names = append(names, c.name)
		}
	}
	return names
}

// assumedText says the values deciding money that the plan does not write (package plan's
// Assumed), grouped by field and rule: the steps' (but their latency, which the load model
// speaks of where it matters), then the scenario's.
func assumedText(p *plan.Plan, s *plan.Scenario) []string {
	type group struct {
		field, rule string
		items       []string
	}
	var groups []*group
	find := func(field, rule string) *group {
		for _, g := range groups {
			if g.field == field && g.rule == rule {
				return g
			}
		}
		g := &group{field: field, rule: rule}
		groups = append(groups, g)
		return g
	}
	for _, st := range allSteps(p) {
		for _, a := range st.Assumed {
			if a.Key == "latency" && !strings.HasPrefix(a.Rule, "calibration") {
				continue // the load model speaks of it (a calibrated latency is said here)
			}
			g := find("expect."+a.Key, a.Rule)
			g.items = append(g.items, a.Of+" "+a.Value)
		}
	}
	var out []string
	for _, g := range groups {
		out = append(out, fmt.Sprintf("%s (%s): %s", g.field, g.rule, strings.Join(g.items, ", ")))
	}
	for _, a := range s.Assumed {
		out = append(out, fmt.Sprintf("%s: %s (%s)", a.Key, a.Value, a.Rule))
	}
	return out
}

// warnings finds where the plan contradicts itself. rps and worstRPS are requests per second
// at full load, expected and at most.
func warnings(p *plan.Plan, s *plan.Scenario, out *Scenario, m *mix, rps, worstRPS float64) []string {
	var ws []string
	reqExp, costExp := out.Requests.Expected, out.Cost.Expected
	// perRequest is the expected cost of one request; nil when unknown.
	var perRequest *decimal.Decimal
	if reqExp != nil && costExp != nil && reqExp.Decimal().IsPositive() {
		perRequest = new(money(quo(rat(*costExp), rat(reqExp.Decimal()))))
	}
	for _, th := range s.Thresholds {
		switch th.Kind {
		case plan.ThRPS:
			if reqExp == nil {
				break // the rate is unknown: nothing to compare
			}
			switch {
			case worstRPS > 0 && worstRPS < th.Ratio:
				ws = append(ws, fmt.Sprintf("threshold rps %s cannot be reached: %s at full load sends at most %.2f requests/s (expected %.2f/s)", th.Text, loadText(s, out), worstRPS, rps))
			case rps < th.Ratio:
				ws = append(ws, fmt.Sprintf("threshold rps %s is unlikely to be reached: %s is expected to send %.2f requests/s at full load", th.Text, loadText(s, out), rps))
			}
			if perRequest != nil && out.Budget != nil {
				// The threshold's rate over the whole scenario, at the expected cost of a request.
				n := mul(schedule.Exact(th.Ratio), secs(s.TotalDuration()))
				atThreshold := money(mul(rat(*perRequest), n))
				if atThreshold.GreaterThan(out.Budget.Limit) {
					ws = append(ws, fmt.Sprintf("meeting threshold rps %s for %s would cost about %s, more than the budget %s", th.Text, out.Duration, pricing.FormatUSD(atThreshold), pricing.FormatUSD(out.Budget.Limit)))
				}
			}
		case plan.ThTotalCost:
			if costExp != nil && costExp.GreaterThan(th.Money) {
				ws = append(ws, fmt.Sprintf("threshold total_cost %s will likely fail: the expected cost is %s", th.Text, pricing.FormatUSD(*costExp)))
			}
		case plan.ThCostPerRequest:
			if perRequest != nil && perRequest.GreaterThan(th.Money) {
				ws = append(ws, fmt.Sprintf("threshold cost_per_request %s will likely fail: the expected cost per request is %s", th.Text, pricing.FormatUSD(*perRequest)))
			}
		}
	}
	if w := prometheusOverlap(p); w != "" {
		ws = append(ws, w)
	}
	ws = append(ws, rateLimitWarnings(p, m, rps, reqExp != nil && reqExp.Decimal().IsPositive())...)
	return ws
}

// rateLimitWarnings warns, per limit of the plan's rate_limit (rpm, tpm, itpm, otpm), when
// the scenario at full load (rps requests/s) would use more per minute than the limit:
// tokens per iteration over requests per iteration, times requests per minute. itpm counts
// uncached input and cache writes, and cache reads when rate_limit.cache_reads_count.
func rateLimitWarnings(p *plan.Plan, m *mix, rps float64, anyRequests bool) []string {
	rl := p.RateLimit
	var ws []string
	if rl.RPM > 0 && rps*60 > float64(rl.RPM) {
		ws = append(ws, fmt.Sprintf("%.0f requests/min at full load is above the plan's rate_limit of %d rpm: the client will hold requests back", rps*60, rl.RPM))
	}
	if !anyRequests || (rl.TPM == 0 && rl.ITPM == 0 && rl.OTPM == 0) {
		return ws
	}
	perMinute := func(of func(tokenMix) decimal.Decimal) float64 {
		tok := new(big.Rat)
		for _, tm := range m.tasks {
			for _, c := range tm.steps {
				tok.Add(tok, mul(tm.share, rat(of(c.expTok))))
			}
		}
		return rps / float(m.stepsPerIter) * float(tok) * 60
	}
	for _, l := range []struct {
		limit int64
		name  string
		what  string
		of    func(tokenMix) decimal.Decimal
	}{
		{rl.TPM, "tpm", "tokens", tokenMix.total},
		{rl.ITPM, "itpm", "input tokens", func(t tokenMix) decimal.Decimal {
			if rl.CacheReadsCount {
				return t.input.Add(t.cacheWrite).Add(t.cacheRead)
			}
			return t.input.Add(t.cacheWrite)
		}},
		{rl.OTPM, "otpm", "output tokens", func(t tokenMix) decimal.Decimal { return t.output }},
	} {
		if l.limit == 0 {
			continue
		}
		if n := perMinute(l.of); n > float64(l.limit) {
			ws = append(ws, fmt.Sprintf("about %.0f %s/min at full load is above the plan's rate_limit of %d %s: expect 429s from the provider, or the client will hold requests back", n, l.what, l.limit, l.name))
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

// finite reports whether every x is a number other than ±Inf.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
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
