package planner

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
	"github.com/shopspring/decimal"
)

// Schema is the JSON schema name of an estimate.
const Schema = "loadplan.estimate/v1"

// Gate names which estimate the budget gate compares with the budget.
type Gate string

const (
	GateExpected Gate = "expected"
	GateWorst    Gate = "worst"
)

// ParseGate parses --gate.
func ParseGate(s string) (Gate, error) {
	switch Gate(s) {
	case GateExpected, GateWorst:
		return Gate(s), nil
	}
	return "", fmt.Errorf("--gate %q: valid: expected, worst", s)
}

// Estimate is the estimate of one or more scenarios of a plan (JSON loadplan.estimate/v1).
type Estimate struct {
	Schema    string     `json:"schema"`
	Plan      string     `json:"plan"`
	Catalog   Catalog    `json:"catalog"`
	Scenarios []Scenario `json:"scenarios"`
}

// Catalog says which prices were used.
type Catalog struct {
	AsOf   string `json:"as_of"`
	Source string `json:"source"`
}

// Count is a modelled number of requests (a quantity, possibly fractional); nil is unknown.
type Count = *Quantity

// Counts are the low, expected and worst numbers of requests. Worst is nil when unbounded.
type Counts struct {
	Low      Count `json:"low"`
	Expected Count `json:"expected"`
	Worst    Count `json:"worst"`
}

// Add is c + o, case by case; a case unknown in either is unknown.
func (c Counts) Add(o Counts) Counts {
	sum := func(x, y Count) Count {
		if x == nil || y == nil {
			return nil
		}
		return new(x.Add(*y))
	}
	return Counts{Low: sum(c.Low, o.Low), Expected: sum(c.Expected, o.Expected), Worst: sum(c.Worst, o.Worst)}
}

// Money is the low, expected and worst cost in USD. Worst is nil when some priced request has
// no output bound: an unknown cost is never zero.
type Money struct {
	Low      *decimal.Decimal `json:"low"`
	Expected *decimal.Decimal `json:"expected"`
	Worst    *decimal.Decimal `json:"worst"`
}

// Add is m + o, case by case; a case unknown in either is unknown.
func (m Money) Add(o Money) Money {
	sum := func(x, y *decimal.Decimal) *decimal.Decimal {
		if x == nil || y == nil {
			return nil
		}
		return new(x.Add(*y))
	}
	return Money{Low: sum(m.Low, o.Low), Expected: sum(m.Expected, o.Expected), Worst: sum(m.Worst, o.Worst)}
}

// Tokens are expected token counts over a scenario.
type Tokens struct {
	Input      Quantity `json:"input"`
	Output     Quantity `json:"output"`
	CacheRead  Quantity `json:"cache_read"`
	CacheWrite Quantity `json:"cache_write"`
}

// Add is t + o, bucket by bucket.
func (t Tokens) Add(o Tokens) Tokens {
	return Tokens{Input: t.Input.Add(o.Input), Output: t.Output.Add(o.Output),
		CacheRead: t.CacheRead.Add(o.CacheRead), CacheWrite: t.CacheWrite.Add(o.CacheWrite)}
}

// tokenMix are one request's expected tokens, exact.
type tokenMix struct {
	input, output, cacheRead, cacheWrite decimal.Decimal
}

// times is n requests of m, as the estimate's tokens.
func (m tokenMix) times(n *big.Rat) Tokens {
	q := func(d decimal.Decimal) Quantity { return quantity(mul(n, rat(d))) }
	return Tokens{Input: q(m.input), Output: q(m.output), CacheRead: q(m.cacheRead), CacheWrite: q(m.cacheWrite)}
}

func (m tokenMix) total() decimal.Decimal {
	return m.input.Add(m.output).Add(m.cacheRead).Add(m.cacheWrite)
}

// Budget is a scenario's limit.
type Budget struct {
	Limit    decimal.Decimal `json:"limit"`
	Currency string          `json:"currency"`
}

// Scenario is the estimate of one scenario.
type Scenario struct {
	Name         string   `json:"name"`
	Model        string   `json:"model"` // closed | open
	Requests     Counts   `json:"requests"`
	Tokens       Tokens   `json:"tokens"`
	Cost         Money    `json:"cost"`
	Tasks        []Task   `json:"tasks"`
	Budget       *Budget  `json:"budget"`
	WithinBudget *bool    `json:"within_budget"`
	Gate         Gate     `json:"gate"`
	Assumptions  []string `json:"assumptions"`
	Warnings     []string `json:"warnings"`

	Duration    string  `json:"duration"`
	MaxUsers    int     `json:"max_users,omitempty"`
	ArrivalRate string  `json:"arrival_rate,omitempty"`
	ExpectedRPS float64 `json:"expected_rps"` // at full load
	// WorstPerRequest is the largest single worst-case cost of a request: the most a run
	// stopped by the budget may leave unspent. Nil when some priced request has no bound.
	WorstPerRequest *decimal.Decimal `json:"worst_per_request"`
	// Percentiles is the Monte-Carlo view (estimate --percentiles); nil without it.
	Percentiles *MonteCarlo `json:"percentiles,omitempty"`
	// History is the scenario's past runs (estimate --history); nil without it.
	History *PastRuns `json:"history,omitempty"`
}

// Task is the estimate of one task, or of the on_start steps (named on_start).
type Task struct {
	Name     string  `json:"name"`
	Share    float64 `json:"share"` // weight / sum of weights, for display (computed exactly)
	Requests Counts  `json:"requests"`
	Tokens   Tokens  `json:"tokens"`
	Cost     Money   `json:"cost"`
}

// Gated is the cost the gate compares with the budget; nil when unknown.
func (s *Scenario) Gated() *decimal.Decimal {
	if s.Gate == GateWorst {
		return s.Cost.Worst
	}
	return s.Cost.Expected
}

// EstimatePlan estimates the given scenarios of p (already overridden by flags).
func EstimatePlan(p *plan.Plan, scenarios []*plan.Scenario, cat *pricing.Catalog, opts Options) (*Estimate, error) {
	e := &Estimate{Schema: Schema, Plan: p.Name, Catalog: Catalog{AsOf: cat.AsOf, Source: cat.Source}}
	for _, s := range scenarios {
		se, err := EstimateScenario(p, s, cat, opts)
		if err != nil {
			return nil, err
		}
		e.Scenarios = append(e.Scenarios, *se)
	}
	return e, nil
}

// Over reports the scenarios whose gated estimate exceeds their budget, or is unknown with a
// budget set (fail closed).
func (e *Estimate) Over() []*Scenario {
	var out []*Scenario
	for i := range e.Scenarios {
		s := &e.Scenarios[i]
		if s.WithinBudget != nil && !*s.WithinBudget {
			out = append(out, s)
		}
	}
	return out
}

// stepCosts are one request's cost and tokens in the three cases.
type stepCosts struct {
	name            string
	free            bool
	low, exp, worst decimal.Decimal
	worstKnown      bool
	expTok          tokenMix
	latLow, latExp  *big.Rat // seconds: p95 (low case) and mean (expected)
	latVar          *big.Rat // seconds²: the variance of the latency
	latGiven        bool
}

// StepCost prices one request in the three cases of DESIGN.md ("Estimation").
func StepCost(st *plan.Step, cat *pricing.Catalog) (low, expected decimal.Decimal, worst *decimal.Decimal, err error) {
	c, err := costStep(st, cat)
	if err != nil {
		return decimal.Zero, decimal.Zero, nil, err
	}
	if c.worstKnown {
		w := c.worst
		worst = &w
	}
	return c.low, c.exp, worst, nil
}

// WorstUsage is the most usage one request may report while its declared bounds hold: input
// at max_input_tokens with the whole cacheable prefix (rounded up) written to the 1-hour
// cache, output at its bound. ok is false when the request has no output bound.
func WorstUsage(st *plan.Step) (u pricing.Usage, ok bool) {
	e := st.Expect
	if e.MaxOutputTokens <= 0 {
		return pricing.Usage{}, false
	}
	maxIn := e.InputBound()
	cacheable := min(e.CacheableTokens.Ceil().IntPart(), maxIn)
	return pricing.Usage{
		Input:        maxIn - cacheable,
		CacheWrite1h: cacheable,
		Output:       e.MaxOutputTokens,
	}, true
}

func costStep(st *plan.Step, cat *pricing.Catalog) (stepCosts, error) {
	c := stepCosts{name: st.Name}
	e := st.Expect
	c.latExp, c.latLow, c.latGiven = latencyMean(e.Latency), latencyP95(e.Latency), e.Latency.Median > 0
	c.latVar = latencyVar(e.Latency)
	switch st.Cost.Kind {
	case plan.CostFree:
		c.worstKnown, c.free = true, true
		return c, nil
	case plan.CostFlat:
		c.low, c.exp, c.worst, c.worstKnown = st.Cost.Price, st.Cost.Price, st.Cost.Price, true
		return c, nil
	case plan.CostUsage:
	default:
		return c, fmt.Errorf("%s: the request says nothing of its cost", st.Name)
	}
	price, err := cat.Lookup(st.Cost.Model)
	if err != nil {
		return c, fmt.Errorf("%s: %w", st.Name, err)
	}
	in, cacheable, out := e.InputTokens, e.CacheableTokens, e.OutputTokens
	// The rates of the expected prompt's size (a mean above a threshold is priced at its
	// tier) and of the service tier the request asks for, or the standard one.
	tier, pinned := serviceTier(st)
	rates, ok := price.RatesFor(tier, in.Ceil().IntPart())
	if !ok { // a tier asked for that has no price: the dearest it may be billed at
		rates = price.MaxRates(tier, in.Ceil().IntPart())
	}
	uncached := in.Sub(cacheable)
	hits := cacheable.Mul(e.CacheHitRate)
	misses := cacheable.Sub(hits)
	w1h := misses.Mul(e.CacheWrite1h)
	w5m := misses.Sub(w1h)
	perM := func(tokens, rate decimal.Decimal) decimal.Decimal { return tokens.Mul(rate) }
	c.exp = perM(uncached, rates.InputPerMTok).
		Add(perM(hits, rates.CacheReadPerMTok)).
		Add(perM(w5m, rates.CacheWrite5mPerMTok)).
		Add(perM(w1h, rates.CacheWrite1hPerMTok)).
		Add(perM(out, rates.OutputPerMTok)).Shift(-6)
	c.low = perM(uncached, rates.InputPerMTok).
		Add(perM(cacheable, rates.CacheReadPerMTok)).
		Add(perM(out, rates.OutputPerMTok)).Shift(-6)
	c.expTok = tokenMix{input: uncached, cacheRead: hits, cacheWrite: misses, output: out}
	if price.Provider == pricing.ProviderOpenAI {
		// OpenAI reports no cache writes: a miss is plain input (priced the same).
		c.expTok.input, c.expTok.cacheWrite = uncached.Add(misses), decimal.Zero
	}
	if u, ok := WorstUsage(st); ok {
		// What a request reserves: its worst usage at the dearest rates it may be billed at,
		// over every service tier it may be served at and every prompt-size tier its largest
		// prompt may reach.
		reserve := pricing.AnyTier
		if pinned {
			reserve = tier
		}
		c.worst, c.worstKnown = price.WorstCost(u, reserve), true
	}
	return c, nil
}

// latencyMean is the mean of the log-normal with the given median and p95, in seconds: the
// median times exp(sigma^2/2), sigma = ln(p95/median)/z95 (a float, taken at its shortest
// decimal text). With no p95 the median stands for the mean, exactly.
func latencyMean(d plan.Dist) *big.Rat {
	m := d.Median.Seconds()
	if d.P95 <= d.Median || m == 0 {
		return secs(d.Median)
	}
	sigma := math.Log(d.P95.Seconds()/m) / z95
	return schedule.Exact(m * math.Exp(sigma*sigma/2))
}

// latencyVar is the variance of that log-normal, in seconds²: mean²·(exp(σ²) − 1).
func latencyVar(d plan.Dist) *big.Rat {
	m := d.Median.Seconds()
	if d.P95 <= d.Median || m == 0 {
		return new(big.Rat)
	}
	sigma := math.Log(d.P95.Seconds()/m) / z95
	mean := m * math.Exp(sigma*sigma/2)
	return schedule.Exact(mean * mean * math.Expm1(sigma*sigma))
}

// latencyP95 is the latency of the low case, in seconds: the p95, else the median.
func latencyP95(d plan.Dist) *big.Rat {
	if d.P95 > 0 {
		return secs(d.P95)
	}
	return secs(d.Median)
}

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

func seconds(d time.Duration) string { return plan.FormatDuration(d) }
