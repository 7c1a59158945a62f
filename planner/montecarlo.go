package planner

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
	"github.com/shopspring/decimal"
)

// The Monte-Carlo view of an estimate (estimate --percentiles, issue 16) simulates the
// scenario's runs Draws times and reads its cost at P5, P50 and P95. One draw plays the load
// model as the executor does:
//
//   - closed model: each user, over each span it is active (schedule.Shape.Active), runs
//     on_start, then a task drawn by weight, then waits (constant, or uniform between its
//     bounds), and starts its next task until its span ends; a task started before the end
//     counts whole. Paced users start one every period (a whole number, as the estimate).
//     The open model starts arrival_rate × duration tasks.
//   - each request's latency is log-normal with expect.latency's median and p95 (0 when not
//     given): it decides how many tasks a closed-model user starts.
//   - tokens per request: with a calibration, drawn from its measured quantiles (the inverse
//     of the piecewise-linear distribution through min, p10, …, p99, max); otherwise the
//     prompt is the cacheable prefix (its mean) plus a rest, and the rest and the output are
//     log-normal with expect's mean and their bound (max_input_tokens less the prefix,
//     max_output_tokens) at the 99th percentile, clamped to the bound (σ at most 1; 0.5
//     without an output bound).
//   - the cacheable prefix is read from the cache with probability cache_hit_rate, else
//     written (to the 1-hour cache with probability cache_write_1h).
//
// Random draws are float64; money is not: a draw adds up whole tokens per request name and
// bucket, and its cost is those tokens times the rates, in decimal (pricing.Rates.Cost), plus
// the flat prices times their counts. The draws are seeded: the same seed gives the same
// figures. The rates are those of the mean prompt's size tier, as in the estimate.

// DefaultDraws is the number of simulated runs of estimate --percentiles.
const DefaultDraws = 2000

// maxSimRequests bounds the task iterations one simulation may play (all draws together), so that
// a scenario of a billion requests is refused rather than simulated for hours.
const maxSimRequests = 400_000_000

// MonteCarlo is the distribution of a scenario's cost over simulated runs (JSON key
// percentiles of a scenario's estimate).
type MonteCarlo struct {
	Seed  uint64 `json:"seed"`
	Draws int    `json:"draws"`
	// Cost at the 5th, 50th and 95th percentiles of the draws, and their mean.
	Cost struct {
		P5   decimal.Decimal `json:"p5"`
		P50  decimal.Decimal `json:"p50"`
		P95  decimal.Decimal `json:"p95"`
		Mean decimal.Decimal `json:"mean"`
	} `json:"cost"`
	// Requests at the same percentiles.
	Requests struct {
		P5  int64 `json:"p5"`
		P50 int64 `json:"p50"`
		P95 int64 `json:"p95"`
	} `json:"requests"`
	// OverBudget is the share of draws whose cost exceeds the budget; nil without a budget.
	OverBudget *float64 `json:"p_over_budget"`
	// Calibrated names the steps whose tokens were drawn from measured quantiles.
	Calibrated []string `json:"calibrated"`
}

// Measured are tokens per request a calibration measured, by request name: quantiles at
// Percents (0 to 100, rising) of the prompt, its cacheable part and the output.
type Measured struct {
	Percents []float64
	Steps    map[string]MeasuredStep
}

// MeasuredStep is one request name's measured quantiles; a nil slice is not measured.
type MeasuredStep struct {
	Prompt, Cacheable, Output []int64
}

// SimOptions set a simulation.
type SimOptions struct {
	Seed     uint64
	Draws    int // default DefaultDraws
	Measured *Measured
	Budget   *decimal.Decimal // the scenario's limit, for OverBudget
}

// ErrNoBound is returned when nothing bounds how many tasks a user starts (no wait and no
// latency): a simulation would never end.
var ErrNoBound = errors.New("no wait and no expected latency: the number of requests has no bound to simulate")

// simStep is one request as the simulation draws it.
type simStep struct {
	name  string
	kind  plan.CostKind
	flat  decimal.Decimal
	rates pricing.Rates
	// openAI: a cache miss is plain input (OpenAI reports no cache writes).
	openAI bool
	// Token distributions: measured quantiles, else log-normal (mu, sigma) clamped to max.
	prompt, output tokenDraw
	rest           bool // prompt draws the part past the cacheable prefix
	cacheable      tokenDraw
	hitRate, w1h   float64
	latMu, latSig  float64 // log-normal latency, seconds; latMu -Inf: zero latency
}

type tokenDraw struct {
	q          []float64 // measured quantiles at percents; nil: log-normal
	percents   []float64
	mu, sigma  float64 // log-normal
	max        float64 // clamp; 0: none
	constant   float64 // used when sigma and q are both absent and mu is NaN
	isConstant bool
}

func (d tokenDraw) draw(r *rand.Rand) float64 {
	switch {
	case d.q != nil:
		u := r.Float64() * 100
		i, _ := slices.BinarySearch(d.percents, u)
		if i == 0 {
			return d.q[0]
		}
		if i >= len(d.q) {
			return d.q[len(d.q)-1]
		}
		lo, hi := d.percents[i-1], d.percents[i]
		return d.q[i-1] + (d.q[i]-d.q[i-1])*(u-lo)/(hi-lo)
	case d.isConstant:
		return d.constant
	}
	v := math.Exp(d.mu + d.sigma*r.NormFloat64())
	if d.max > 0 {
		v = min(v, d.max)
	}
	return v
}

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// lognormalDraw is a log-normal of the given mean whose 99th percentile is bound (σ at most
// 1; defaultSigma when there is no bound), clamped to bound.
func lognormalDraw(mean decimal.Decimal, bound int64, defaultSigma float64) tokenDraw {
	m := mean.InexactFloat64()
	if m <= 0 {
		return tokenDraw{isConstant: true}
	}
	sigma := defaultSigma
	if bound > 0 {
		// ln(bound/mean) = z99·σ − σ²/2: the smaller root, σ ≤ 1.
		k := math.Log(float64(bound) / m)
		switch {
		case k <= 0:
			sigma = 0
		case k >= z99*z99/2:
			sigma = 1
		default:
			sigma = min(1, z99-math.Sqrt(z99*z99-2*k))
		}
	}
	return tokenDraw{mu: math.Log(m) - sigma*sigma/2, sigma: sigma, max: float64(bound)}
}

func measuredDraw(q []int64, percents []float64) tokenDraw {
	f := make([]float64, len(q))
	for i, v := range q {
		f[i] = float64(v)
	}
	return tokenDraw{q: f, percents: percents}
}

func newSimStep(st *plan.Step, cat *pricing.Catalog, ms *Measured) (simStep, bool, error) {
	s := simStep{name: st.Name, kind: st.Cost.Kind, latMu: math.Inf(-1)}
	e := st.Expect
	if med := e.Latency.Median.Seconds(); med > 0 {
		s.latMu = math.Log(med)
		if e.Latency.P95 > e.Latency.Median {
			s.latSig = math.Log(e.Latency.P95.Seconds()/med) / z95
		}
	}
	switch st.Cost.Kind {
	case plan.CostFree:
		return s, false, nil
	case plan.CostFlat:
		s.flat = st.Cost.Price
		return s, false, nil
	case plan.CostUsage:
	default:
		return s, false, fmt.Errorf("%s: the request says nothing of its cost", st.Name)
	}
	price, err := cat.Lookup(st.Cost.Model)
	if err != nil {
		return s, false, fmt.Errorf("%s: %w", st.Name, err)
	}
	tier, _ := serviceTier(st)
	rates, ok := price.RatesFor(tier, e.InputTokens.Ceil().IntPart())
	if !ok {
		rates = price.MaxRates(tier, e.InputTokens.Ceil().IntPart())
	}
	s.rates, s.openAI = rates, price.Provider == pricing.ProviderOpenAI
	s.hitRate, s.w1h = e.CacheHitRate.InexactFloat64(), e.CacheWrite1h.InexactFloat64()
	// The prompt is the cacheable prefix plus a log-normal rest (mean input − cacheable, its
	// bound max_input_tokens − cacheable), unless a calibration measured the prompt.
	cacheable := e.CacheableTokens.Ceil().IntPart()
	s.prompt = lognormalDraw(e.InputTokens.Sub(e.CacheableTokens), max(e.InputBound()-cacheable, 0), 0.5)
	s.rest = true
	s.output = lognormalDraw(e.OutputTokens, e.MaxOutputTokens, 0.5)
	s.cacheable = tokenDraw{isConstant: true, constant: e.CacheableTokens.InexactFloat64()}
	calibrated := false
	if ms != nil {
		if m, ok := ms.Steps[st.Name]; ok {
			for _, x := range []struct {
				dst *tokenDraw
				q   []int64
			}{{&s.prompt, m.Prompt}, {&s.cacheable, m.Cacheable}, {&s.output, m.Output}} {
				if len(x.q) == len(ms.Percents) && len(x.q) > 1 {
					*x.dst, calibrated = measuredDraw(x.q, ms.Percents), true
					s.rest = s.rest && x.dst != &s.prompt
				}
			}
		}
	}
	return s, calibrated, nil
}

func (s *simStep) latency(r *rand.Rand) float64 {
	if math.IsInf(s.latMu, -1) {
		return 0
	}
	return math.Exp(s.latMu + s.latSig*r.NormFloat64())
}

// simAcc is one draw's account: per step, the usage and the number of requests.
type simAcc struct {
	usage    []pricing.Usage
	count    []int64
	requests int64
}

func (a *simAcc) reset() {
	clear(a.usage)
	clear(a.count)
	a.requests = 0
}

// send plays one request of step i: its tokens into the account; it returns its latency.
func (a *simAcc) send(steps []simStep, i int, r *rand.Rand) float64 {
	s := &steps[i]
	a.count[i]++
	a.requests++
	if s.kind == plan.CostUsage {
		prompt := math.Round(s.prompt.draw(r))
		cacheable := math.Round(s.cacheable.draw(r))
		if s.rest {
			prompt += cacheable
		} else {
			cacheable = min(cacheable, prompt)
		}
		out := math.Round(s.output.draw(r))
		u := &a.usage[i]
		u.Input += int64(prompt - cacheable)
		u.Output += int64(out)
		c := int64(cacheable)
		switch {
		case c == 0:
		case r.Float64() < s.hitRate:
			u.CacheRead += c
		case s.openAI:
			u.Input += c
		case r.Float64() < s.w1h:
			u.CacheWrite1h += c
		default:
			u.CacheWrite5m += c
		}
	}
	return s.latency(r)
}

// cost is the draw's cost: exact, in decimal.
func (a *simAcc) cost(steps []simStep) decimal.Decimal {
	total := decimal.Zero
	for i, s := range steps {
		switch s.kind {
		case plan.CostFlat:
			total = total.Add(s.flat.Mul(decimal.NewFromInt(a.count[i])))
		case plan.CostUsage:
			total = total.Add(s.rates.Cost(a.usage[i]))
		}
	}
	return total
}

// simTask is a task: its weight's upper end in the cumulative weights and its steps.
type simTask struct {
	cum   int
	steps []int
}

// Simulate runs the Monte-Carlo view of scenario s of p (DESIGN.md, issue 16).
func Simulate(p *plan.Plan, s *plan.Scenario, cat *pricing.Catalog, opts SimOptions) (*MonteCarlo, error) {
	if opts.Draws <= 0 {
		opts.Draws = DefaultDraws
	}
	var steps []simStep
	mc := &MonteCarlo{Seed: opts.Seed, Draws: opts.Draws, Calibrated: []string{}}
	add := func(st *plan.Step) (int, error) {
		ss, cal, err := newSimStep(st, cat, opts.Measured)
		if err != nil {
			return 0, err
		}
		if cal {
			mc.Calibrated = append(mc.Calibrated, st.Name)
		}
		steps = append(steps, ss)
		return len(steps) - 1, nil
	}
	var onStart []int
	for _, st := range p.OnStart {
		i, err := add(st)
		if err != nil {
			return nil, err
		}
		onStart = append(onStart, i)
	}
	var tasks []simTask
	cum := 0
	for _, t := range p.Tasks {
		cum += t.Weight
		st := simTask{cum: cum}
		for _, x := range t.Steps {
			i, err := add(x)
			if err != nil {
				return nil, err
			}
			st.steps = append(st.steps, i)
		}
		tasks = append(tasks, st)
	}
	if cum == 0 {
		return nil, fmt.Errorf("the task weights add up to 0")
	}
	sim := &simulation{s: s, steps: steps, tasks: tasks, onStart: onStart, totalWeight: cum}
	if err := sim.check(p, cat, opts.Draws); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x6c6f6164706c616e)) // "loadplan"
	acc := &simAcc{usage: make([]pricing.Usage, len(steps)), count: make([]int64, len(steps))}
	costs := make([]decimal.Decimal, opts.Draws)
	reqs := make([]int64, opts.Draws)
	sum := decimal.Zero
	over := 0
	for d := range opts.Draws {
		acc.reset()
		sim.run(acc, r)
		costs[d], reqs[d] = acc.cost(steps), acc.requests
		sum = sum.Add(costs[d])
		if opts.Budget != nil && costs[d].GreaterThan(*opts.Budget) {
			over++
		}
	}
	slices.SortFunc(costs, func(a, b decimal.Decimal) int { return a.Cmp(b) })
	slices.Sort(reqs)
	mc.Cost.P5, mc.Cost.P50, mc.Cost.P95 = rank(costs, 5), rank(costs, 50), rank(costs, 95)
	mc.Cost.Mean = sum.DivRound(decimal.NewFromInt(int64(opts.Draws)), 12)
	mc.Requests.P5, mc.Requests.P50, mc.Requests.P95 = rank(reqs, 5), rank(reqs, 50), rank(reqs, 95)
	if opts.Budget != nil {
		share := float64(over) / float64(opts.Draws)
		mc.OverBudget = &share
	}
	return mc, nil
}

// rank is the nearest-rank percentile of sorted xs.
func rank[T any](xs []T, pct int) T {
	i := (pct*len(xs) + 99) / 100 // ceil(pct/100 × n), 1-based
	return xs[max(i, 1)-1]
}

// maxSpanIterations bounds the tasks one user starts in one span of one draw (check has
// made sure that time advances; this is a guard, not a model).
const maxSpanIterations = 10_000_000

// simulation is one scenario's load model, played once per draw.
type simulation struct {
	s           *plan.Scenario
	steps       []simStep
	tasks       []simTask
	onStart     []int
	totalWeight int
}

// check refuses a simulation that would not end, or would play too many requests (the
// expected task iterations of the estimate, times the draws).
func (sim *simulation) check(p *plan.Plan, cat *pricing.Catalog, draws int) error {
	s := sim.s
	if !s.Open() && s.Wait.Kind != plan.WaitPacing && s.Wait.Min <= 0 {
		some := false
		for _, t := range sim.tasks {
			for _, i := range t.steps {
				some = some || !math.IsInf(sim.steps[i].latMu, -1)
			}
		}
		if !some {
			return ErrNoBound
		}
	}
	m, err := mixOf(p, cat)
	if err != nil {
		return err
	}
	if it := loadOf(p, s, m).iter.exp; it != nil {
		if n := float(it) * float64(draws); n > maxSimRequests {
			return fmt.Errorf("about %.0f task iterations over %d draws: too many to simulate (at most %d); give fewer --draws", n, draws, int64(maxSimRequests))
		}
	}
	return nil
}

// task draws a task by weight.
func (sim *simulation) task(r *rand.Rand) *simTask {
	w := r.IntN(sim.totalWeight)
	i, _ := slices.BinarySearchFunc(sim.tasks, w+1, func(t simTask, target int) int { return t.cum - target })
	return &sim.tasks[i]
}

// iteration plays one task drawn by weight; it returns the seconds its requests took.
func (sim *simulation) iteration(acc *simAcc, r *rand.Rand) float64 {
	t := sim.task(r)
	lat := 0.0
	for _, i := range t.steps {
		lat += acc.send(sim.steps, i, r)
	}
	return lat
}

func (sim *simulation) start(acc *simAcc, r *rand.Rand) float64 {
	lat := 0.0
	for _, i := range sim.onStart {
		lat += acc.send(sim.steps, i, r)
	}
	return lat
}

func (sim *simulation) run(acc *simAcc, r *rand.Rand) {
	s := sim.s
	if s.Open() {
		n := int64(schedule.Arrivals{Rate: s.ArrivalRate.PerSecond, Duration: s.Duration}.Total())
		for range s.MaxInFlight {
			sim.start(acc, r)
		}
		for range n {
			sim.iteration(acc, r)
		}
		return
	}
	shape := schedule.Of(s)
	if s.Wait.Kind == plan.WaitPacing {
		n, starts := shape.PacedIterations(s.Wait.Min)
		for range starts {
			sim.start(acc, r)
		}
		for range int64(n) {
			sim.iteration(acc, r)
		}
		return
	}
	wait := func() float64 {
		switch s.Wait.Kind {
		case plan.WaitConstant:
			return s.Wait.Min.Seconds()
		case plan.WaitBetween:
			lo, hi := s.Wait.Min.Seconds(), s.Wait.Max.Seconds()
			return lo + (hi-lo)*r.Float64()
		}
		return 0
	}
	for k := 1; k <= shape.MaxUsers(); k++ {
		for _, span := range shape.Active(k) {
			t := span.From + sim.start(acc, r)
			for n := 0; t < span.To && n < maxSpanIterations; n++ {
				t += sim.iteration(acc, r) + wait()
			}
		}
	}
}
