package planner

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
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
type Count = *float64

// Counts are the low, expected and worst numbers of requests. Worst is nil when unbounded.
type Counts struct {
	Low      Count `json:"low"`
	Expected Count `json:"expected"`
	Worst    Count `json:"worst"`
}

// Money is the low, expected and worst cost in USD. Worst is nil when some priced request has
// no output bound: an unknown cost is never zero.
type Money struct {
	Low      *decimal.Decimal `json:"low"`
	Expected *decimal.Decimal `json:"expected"`
	Worst    *decimal.Decimal `json:"worst"`
}

// Tokens are expected token counts over a scenario.
type Tokens struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
}

func (t Tokens) add(u Tokens, times float64) Tokens {
	return Tokens{
		Input:      t.Input + u.Input*times,
		Output:     t.Output + u.Output*times,
		CacheRead:  t.CacheRead + u.CacheRead*times,
		CacheWrite: t.CacheWrite + u.CacheWrite*times,
	}
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
}

// Task is the estimate of one task, or of the on_start steps (named on_start).
type Task struct {
	Name     string  `json:"name"`
	Share    float64 `json:"share"`
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

// Options change an estimate.
type Options struct {
	Gate   Gate
	Budget *decimal.Decimal // overrides the scenario's and the plan's
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
	low, exp, worst decimal.Decimal
	worstKnown      bool
	lowTok, expTok  Tokens
	latLow, latExp  float64 // seconds: p95 (low case) and mean (expected)
	latVar          float64 // seconds²: the variance of the latency
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
	maxIn := e.MaxInputTokens
	if maxIn == 0 {
		maxIn = e.InputTokens.Mul(decimal.NewFromInt(2)).Ceil().IntPart()
	}
	cacheable := min(e.CacheableTokens.Ceil().IntPart(), maxIn)
	return pricing.Usage{
		Input:        maxIn - cacheable,
		CacheWrite1h: cacheable,
		Output:       e.MaxOutputTokens,
	}, true
}

func costStep(st *plan.Step, cat *pricing.Catalog) (stepCosts, error) {
	var c stepCosts
	e := st.Expect
	c.latExp, c.latLow, c.latGiven = latencyMean(e.Latency), latencyP95(e.Latency), e.Latency.Median > 0
	c.latVar = latencyVar(e.Latency)
	switch st.Cost.Kind {
	case plan.CostFree:
		c.worstKnown = true
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
	c.expTok = Tokens{Input: uncached.InexactFloat64(), CacheRead: hits.InexactFloat64(), CacheWrite: misses.InexactFloat64(), Output: out.InexactFloat64()}
	if price.Provider == pricing.ProviderOpenAI {
		// OpenAI reports no cache writes: a miss is plain input (priced the same).
		c.expTok.Input, c.expTok.CacheWrite = uncached.Add(misses).InexactFloat64(), 0
	}
	c.lowTok = Tokens{Input: uncached.InexactFloat64(), CacheRead: cacheable.InexactFloat64(), Output: out.InexactFloat64()}
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

// latencyMean is the mean of the log-normal with the given median and p95: the median times
// exp(sigma^2/2), sigma = ln(p95/median)/z95. With no p95 the median stands for the mean.
func latencyMean(d plan.Dist) float64 {
	m := d.Median.Seconds()
	if d.P95 <= d.Median || m == 0 {
		return m
	}
	sigma := math.Log(d.P95.Seconds()/m) / z95
	return m * math.Exp(sigma*sigma/2)
}

// latencyVar is the variance of that log-normal: mean²·(exp(σ²) − 1).
func latencyVar(d plan.Dist) float64 {
	m := d.Median.Seconds()
	if d.P95 <= d.Median || m == 0 {
		return 0
	}
	sigma := math.Log(d.P95.Seconds()/m) / z95
	mean := m * math.Exp(sigma*sigma/2)
	return mean * mean * math.Expm1(sigma*sigma)
}

func latencyP95(d plan.Dist) float64 {
	if d.P95 > 0 {
		return d.P95.Seconds()
	}
	return d.Median.Seconds()
}

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

// quantity turns a modelled count into a decimal by its shortest decimal text.
func quantity(x float64) decimal.Decimal {
	d, _ := decimal.NewFromString(strconv.FormatFloat(x, 'f', -1, 64))
	return d
}

func ptr[T any](v T) *T { return &v }

func seconds(d time.Duration) string { return plan.FormatDuration(d) }
