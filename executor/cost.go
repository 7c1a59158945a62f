package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/loadplan/loadplan/usage"
	"github.com/shopspring/decimal"
)

// Bound is one step's worst case, computed by the caller (with the planner, which the
// executor does not import): what is reserved before each attempt.
type Bound struct {
	Cost  *decimal.Decimal // USD; nil: no worst case (only an uncapped run may have one)
	Usage *pricing.Usage   // the worst usage, for priced-by-usage steps; nil otherwise
}

// pricer is a step's cost rule, compiled.
type pricer struct {
	kind       plan.CostKind
	source     string // the summary's cost_source
	worst      decimal.Decimal
	worstUsage *pricing.Usage
	fallback   decimal.Decimal // charged for an unreported response: the worst case
	// unbounded: a priced-by-usage step with no worst case, which only an uncapped run may
	// have. It reserves nothing, so what it costs is never an overrun; a response of it that
	// reports no usage cannot be charged anything known (charged 0, counted unpriced).
	unbounded  bool
	flat       decimal.Decimal
	price      pricing.Price
	ukind      usage.Kind
	jsonSpec   usage.JSONSpec
	headerSpec usage.HeaderSpec
	prom       *promMeter
}

func (p *pricer) bodyUsage() bool {
	switch p.ukind {
	case usage.KindAnthropic, usage.KindOpenAI, usage.KindJSON:
		return true
	}
	return false
}

func (r *runner) compileCost(ps *plan.Step) (*pricer, error) {
	c := ps.Cost
	switch c.Kind {
	case plan.CostFree:
		return &pricer{kind: c.Kind, source: "free"}, nil
	case plan.CostFlat:
		return &pricer{kind: c.Kind, source: "flat", worst: c.Price, flat: c.Price, fallback: c.Price}, nil
	case plan.CostUsage:
	default:
		return nil, fmt.Errorf("%s: the request says nothing of its cost", ps.Name)
	}
	price, err := r.cfg.Catalog.Lookup(c.Model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ps.Name, err)
	}
	p := &pricer{kind: c.Kind, source: string(c.Usage.Kind), price: price}
	b := r.cfg.Bounds[ps]
	switch {
	case b.Cost != nil:
		p.worst, p.fallback, p.worstUsage = *b.Cost, *b.Cost, b.Usage
	case r.capped:
		return nil, fmt.Errorf("%s: a capped run needs a worst case; add max_tokens to the request body or expect.max_output_tokens", ps.Name)
	default:
		// Uncapped and unbounded: nothing is reserved, so nothing can be charged for want of a
		// report either; such responses are counted (unpriced_responses), never silently $0.
		p.unbounded = true
	}
	f := c.Usage.Fields
	switch c.Usage.Kind {
	case plan.UsageAnthropic:
		p.ukind = usage.KindAnthropic
	case plan.UsageOpenAI:
		p.ukind = usage.KindOpenAI
	case plan.UsageJSON:
		p.ukind = usage.KindJSON
		paths := map[string]**jsonpath.Path{"input": &p.jsonSpec.Input, "output": &p.jsonSpec.Output,
			"cache_read": &p.jsonSpec.CacheRead, "cache_write": &p.jsonSpec.CacheWrite, "cache_write_1h": &p.jsonSpec.CacheWrite1h}
		for k, expr := range f {
			dst, ok := paths[k]
			if !ok {
				continue
			}
			if *dst, err = jsonpath.Compile(expr); err != nil {
				return nil, fmt.Errorf("%s: usage.json.%s: %w", ps.Name, k, err)
			}
		}
	case plan.UsageHeaders:
		p.ukind = usage.KindHeaders
		p.headerSpec = usage.HeaderSpec{Input: f["input"], Output: f["output"], CacheRead: f["cache_read"],
			CacheWrite: f["cache_write"], CacheWrite1h: f["cache_write_1h"]}
	case plan.UsagePrometheus:
		p.ukind = usage.KindPrometheus
		spec := usage.PromSpec{Path: c.Usage.Path, Input: f["input"], Output: f["output"], CacheRead: f["cache_read"],
			CacheWrite: f["cache_write"], CacheWrite1h: f["cache_write_1h"], CostUSD: f["cost_usd"]}
		if p.prom, err = r.promFor(spec, price); err != nil {
			return nil, fmt.Errorf("%s: %w", ps.Name, err)
		}
		prompt := int64(math.MaxInt64) // no bound: any prompt-size tier
		if b.Usage != nil {
			prompt = b.Usage.TotalInput()
		}
		p.prom.rates = p.prom.rates.Max(price.MaxRates(pricing.AnyTier, prompt))
		if p.unbounded {
			p.prom.absorb = true
		}
	default:
		return nil, fmt.Errorf("%s: unknown usage source %q", ps.Name, c.Usage.Kind)
	}
	return p, nil
}

// charged is what one attempt costs, and how that is known.
type charged struct {
	total     decimal.Decimal
	estimated decimal.Decimal // the part charged without a usage report
	reported  *pricing.Usage  // nil when its usage was not reported
	// unreported: no usage report, so the reservation was charged (flagged).
	unreported bool
	// unpriced: a step with no worst case left part of its cost unreported, so that part is
	// unknown and charged nothing (an uncapped run only).
	unpriced bool
}

// charge is what one attempt costs, from what its response reported (DESIGN.md, "Metering"):
// the reported usage priced at the step's model (a model the response names is not used: the
// plan's model is what the estimate and the reservation priced); a 2xx response, a stream, or
// a request that timed out after it was sent, with no usage report: the reservation, flagged
// estimated; a stream cut before its final usage: what it reported plus its unreported output
// at the worst case, flagged estimated; errors without usage (429, 5xx, resets): nothing. A
// step with no worst case (uncapped runs) reserved nothing: what it did not report is
// unknown, charged nothing and flagged unpriced.
func (p *pricer) charge(o *outcome) charged {
	switch p.kind {
	case plan.CostFree:
		return charged{}
	case plan.CostFlat:
		return charged{total: p.flat}
	}
	if o.reportErr == nil && o.report.Found {
		u := o.report.Usage
		actual, err := p.price.Cost(u)
		if err != nil {
			// Served at a service tier the catalog has no price for: what it cost is unknown,
			// so it is charged its reservation, flagged estimated, never the standard rate.
			return charged{total: p.fallback, estimated: p.fallback, reported: &u, unpriced: p.unbounded}
		}
		if !o.streamed || o.complete {
			return charged{total: actual, reported: &u}
		}
		// A cut stream: its input was reported at its start, its output only in part.
		if p.unbounded {
			return charged{total: actual, reported: &u, unpriced: true}
		}
		bound := p.worstUsage
		var outBound int64
		if bound != nil {
			outBound = bound.Output
		}
		// The output it could not report, at its bound, priced with what it did report (the
		// prompt's size and the service tier decide the rates of every token).
		full := u
		full.Output = max(outBound, u.Output)
		total, _ := p.price.Cost(full) // u's tier priced above; full has the same
		total = decimal.Max(total, actual)
		if bound != nil && total.GreaterThan(p.worst) && actual.LessThanOrEqual(p.worst) {
			// Within the declared bounds a request never costs more than its worst case.
			total = p.worst
		}
		return charged{total: total, estimated: total.Sub(actual), reported: &u}
	}
	if o.maybeBilled() {
		return charged{total: p.fallback, estimated: p.fallback, unreported: true, unpriced: p.unbounded}
	}
	return charged{}
}

// maybeBilled reports whether a response without a usage report may still have been billed by
// the provider: a success, a stream, or a request that timed out or was aborted after it was
// sent. Resets and refusals before any output, and error statuses, are not.
func (o *outcome) maybeBilled() bool {
	if o.responded {
		return o.streamed || o.status >= 200 && o.status < 300
	}
	return o.sent && (o.res.failure == "timeout" || o.res.failure == "aborted")
}

// settle charges one attempt to the ledger and the step's row. A request never sent is
// released; a prometheus-priced one waits for the scrape after it completes.
func (r *runner) settle(s *step, res meter.Reservation, o *outcome) {
	if !o.sent {
		if s.cost.prom != nil {
			s.cost.prom.cancel(res)
		}
		r.ledger.Release(res)
		return
	}
	if s.cost.prom != nil {
		s.cost.prom.add(res, s.stat, s.cost.unbounded)
		return
	}
	c := s.cost.charge(o)
	ch := meter.Charge{Actual: c.total, Estimated: c.estimated}
	var err error
	if s.cost.unbounded {
		err = r.settleUnbounded(res, ch)
	} else {
		err = r.ledger.Settle(res, ch)
	}
	s.stat.charge(c)
	if errors.Is(err, meter.ErrOverrun) {
		r.overrun(s, res.Amount, c.total)
	}
	if c.reported != nil && r.tpm != nil {
		// The tokens-per-minute limiter took the expected tokens; correct it by what was used.
		r.tpm.adjust(c.reported.TotalInput() + c.reported.Output - s.tpm)
	}
}

// settleUnbounded settles an attempt of a step with no worst case (an uncapped run): it
// reserved nothing, so whatever it cost is no overrun. The empty reservation is released and
// the cost, now known, is reserved and settled at once (an uncapped ledger never waits or
// refuses), so the ledger counts it as spent and records no overrun.
func (r *runner) settleUnbounded(res meter.Reservation, c meter.Charge) error {
	if c.Actual.LessThanOrEqual(res.Amount) {
		return r.ledger.Settle(res, c)
	}
	r.ledger.Release(res)
	known, err := r.ledger.Reserve(context.Background(), c.Actual)
	if err != nil {
		return err
	}
	return r.ledger.Settle(known, c)
}

// overrun stops the run at once: a response cost more than its reservation. Both amounts are
// written in full: rounded for display they may read the same ($0.000351 and $0.00035).
func (r *runner) overrun(s *step, reserved, charged decimal.Decimal) {
	cause := &stopCause{reason: summary.StopOverrun, detail: fmt.Sprintf("%s cost $%s, more than its reservation $%s: its declared bounds (max_tokens, max_input_tokens) do not hold",
		s.p.Name, charged, reserved)}
	r.stop(cause)
	r.abort(cause)
}

// promMeter settles the requests priced by one Prometheus usage source. The service's
// counters are scraped at the start (the baseline) and about every second; a request's
// reservation is kept until the scrape after the one that follows its completion (so that a
// counter the service increments just after answering is seen): that scrape settles it, in a
// batch with the others that completed in the same interval.
//
// The counters do not say which request used what, and their growth since the last settle
// includes requests not in the batch: those completed since the previous scrape (still
// pending) and those in flight. So each request of the batch is charged the growth not yet
// charged, up to its reservation, in order, and what is left is carried forward to later
// batches (charged only advances by what was settled). An overrun is declared only when the
// growth left exceeds what every request of this source not yet settled reserved (pending and
// in flight): then no settle to come can explain it, and the excess is charged to the batch's
// last request, at once. The final scrape, after the last request, settles every request
// left, and anything beyond their reservations is an overrun then.
//
// The bound: spent + reserved <= budget holds throughout while no overrun is declared,
// because a request is charged at most its reservation and its money stays reserved until
// then (up to two scrape intervals, about 2 s, after it completes). The total charged equals
// the counters' growth over the run (checked against the mock's ledger). What the counters
// count that is not ours (other clients of the service, or other steps of the run priced
// otherwise that the same counters see) is charged to us, never left out, and can make an
// overrun. A source used by a step with no worst case (uncapped runs only) absorbs all the
// growth at each scrape and never overruns: nothing bounds it.
type promMeter struct {
	scraper *usage.Scraper
	price   pricing.Price
	// rates price the counters' growth: the counters do not say which request used what, so
	// prompt-size and service tiers cannot be told apart; every token is priced at the
	// dearest rates a request of the steps that use this source may be billed at
	// (pricing.Price.MaxRates for their largest prompt), so that the meter never charges
	// less than the bill. Without tiers they are the model's rates.
	rates   pricing.Rates
	costUSD bool // the spec reads a cost counter: its growth is the cost
	absorb  bool // a step with no worst case uses it: no overrun is possible

	mu       sync.Mutex
	gen      int // scrapes done
	pending  []promPending
	inFlight decimal.Decimal // reserved by the requests of this source being sent
	charged  decimal.Decimal // cost settled so far (cumulative, since the baseline)
	tokens   pricing.Usage   // tokens attributed so far
	errors   int
	lastErr  error
}

type promPending struct {
	res       meter.Reservation
	stat      *stat
	gen       int
	unbounded bool
}

func (r *runner) promFor(spec usage.PromSpec, price pricing.Price) (*promMeter, error) {
	key := fmt.Sprintf("%+v|%s", spec, price.Model)
	if m, ok := r.proms[key]; ok {
		return m, nil
	}
	sc, err := usage.NewScraper(r.client, r.cfg.Target, spec)
	if err != nil {
		return nil, err
	}
	m := &promMeter{scraper: sc, price: price, costUSD: spec.CostUSD != ""}
	r.proms[key] = m
	return m, nil
}

// begin counts a reservation of a request about to be sent: growth it may cause before it
// completes is no overrun.
func (m *promMeter) begin(res meter.Reservation) {
	m.mu.Lock()
	m.inFlight = m.inFlight.Add(res.Amount)
	m.mu.Unlock()
}

// add queues a completed request for the scrape after the next.
func (m *promMeter) add(res meter.Reservation, s *stat, unbounded bool) {
	m.mu.Lock()
	m.inFlight = m.inFlight.Sub(res.Amount)
	m.pending = append(m.pending, promPending{res: res, stat: s, gen: m.gen, unbounded: unbounded})
	m.mu.Unlock()
}

// cancel forgets a reservation of a request that was not sent.
func (m *promMeter) cancel(res meter.Reservation) {
	m.mu.Lock()
	m.inFlight = m.inFlight.Sub(res.Amount)
	m.mu.Unlock()
}

// scrape reads the counters and settles the requests that completed before the previous
// scrape (all of them when final).
func (m *promMeter) scrape(ctx context.Context, r *runner, final bool) {
	m.mu.Lock()
	gen := m.gen
	m.gen++
	m.mu.Unlock()
	u, cost, err := m.scraper.Delta(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	var batch []promPending
	keep := m.pending[:0:0]
	for _, p := range m.pending {
		if final || p.gen < gen {
			batch = append(batch, p)
		} else {
			keep = append(keep, p)
		}
	}
	if err != nil {
		m.errors++
		m.lastErr = err
		if !final {
			return
		}
		// No reading at the end: charge each request its reservation, flagged estimated (a
		// request with no worst case reserved nothing: its cost is unknown).
		for _, p := range batch {
			_ = r.ledger.Settle(p.res, meter.Charge{Actual: p.res.Amount, Estimated: p.res.Amount})
			p.stat.charge(charged{total: p.res.Amount, estimated: p.res.Amount, unreported: true, unpriced: p.unbounded})
		}
		m.pending = nil
		return
	}
	m.pending = keep
	if !m.costUSD {
		cost = m.rates.Cost(u)
	}
	if len(batch) == 0 {
		return // the growth, if any, goes to the next batch
	}
	left := decimal.Max(cost.Sub(m.charged), decimal.Zero)
	amounts := make([]decimal.Decimal, len(batch))
	for i, p := range batch {
		if p.unbounded {
			continue
		}
		amounts[i] = decimal.Min(left, p.res.Amount)
		left = left.Sub(amounts[i])
	}
	// What is left is carried forward while the requests not yet settled reserved enough to
	// explain it; beyond that (at the end: anything) it is charged now.
	excess := left
	held := decimal.Zero
	if !final && !m.absorb {
		held = m.inFlight
		for _, p := range keep {
			held = held.Add(p.res.Amount)
		}
		excess = left.Sub(held)
	}
	last := len(batch) - 1
	for i, p := range batch {
		if p.unbounded {
			last = i
		}
	}
	if excess.IsPositive() {
		amounts[last] = amounts[last].Add(excess)
	}
	for i, p := range batch {
		amt := amounts[i]
		m.charged = m.charged.Add(amt)
		ch := meter.Charge{Actual: amt}
		var err error
		if m.absorb {
			err = r.settleUnbounded(p.res, ch)
		} else {
			err = r.ledger.Settle(p.res, ch)
		}
		if errors.Is(err, meter.ErrOverrun) {
			r.overrunProm(p.stat, excess, held)
		}
		p.stat.charge(charged{total: amt})
	}
	dTok := pricing.Usage{Input: u.Input - m.tokens.Input, CacheRead: u.CacheRead - m.tokens.CacheRead,
		CacheWrite5m: u.CacheWrite5m - m.tokens.CacheWrite5m, CacheWrite1h: u.CacheWrite1h - m.tokens.CacheWrite1h,
		Output: u.Output - m.tokens.Output}
	m.tokens = u
	// Tokens go to the batch's first row: the counters do not say which request used them.
	batch[0].stat.addTokens(dTok)
}

func (r *runner) overrunProm(s *stat, excess, held decimal.Decimal) {
	cause := &stopCause{reason: summary.StopOverrun, detail: fmt.Sprintf("%s: the Prometheus counters grew $%s more than every request not yet settled reserved ($%s): the declared bounds do not hold, or the counters count traffic that is not this step's (other clients of the service, other steps of the run)",
		s.name, excess, held)}
	r.stop(cause)
	r.abort(cause)
}

// promLoop scrapes every Prometheus source about once a second until ctx ends.
func (r *runner) promLoop(ctx context.Context) {
	if len(r.proms) == 0 {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, m := range r.proms {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				m.scrape(sctx, r, false)
				cancel()
			}
		}
	}
}
