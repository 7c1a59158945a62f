package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
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
	fallback   decimal.Decimal // charged for an unreported response: the worst case, else an estimate
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
		// Uncapped and unbounded: an unreported response is charged the most input the plan
		// declares and its expected output, flagged estimated.
		e := ps.Expect
		p.fallback = price.Cost(pricing.Usage{Input: max(e.MaxInputTokens, e.InputTokens) - e.CacheableTokens,
			CacheWrite5m: e.CacheableTokens, Output: max(e.MaxOutputTokens, e.OutputTokens)})
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
	default:
		return nil, fmt.Errorf("%s: unknown usage source %q", ps.Name, c.Usage.Kind)
	}
	return p, nil
}

// charge is what one attempt costs, from what its response reported (DESIGN.md, "Metering"):
// the reported usage priced at the step's model (a model the response names is not used: the
// plan's model is what the estimate and the reservation priced); a 2xx response, a stream, or
// a request that timed out after it was sent, with no usage report: the reservation, flagged
// estimated; a stream cut before its final usage: what it reported plus its unreported output
// at the worst case, flagged estimated; errors without usage (429, 5xx, resets): nothing.
// unreported says the reservation was charged for want of a report.
func (p *pricer) charge(o *outcome) (total, estimated decimal.Decimal, reported *pricing.Usage, unreported bool) {
	switch p.kind {
	case plan.CostFree:
		return decimal.Zero, decimal.Zero, nil, false
	case plan.CostFlat:
		return p.flat, decimal.Zero, nil, false
	}
	if o.reportErr == nil && o.report.Found {
		u := o.report.Usage
		actual := p.price.Cost(u)
		if !o.streamed || o.complete {
			return actual, decimal.Zero, &u, false
		}
		// A cut stream: its input was reported at its start, its output only in part.
		bound := p.worstUsage
		var outBound int64
		if bound != nil {
			outBound = bound.Output
		}
		est := p.price.Cost(pricing.Usage{Output: max(outBound-u.Output, 0)})
		total = actual.Add(est)
		if bound != nil && total.GreaterThan(p.worst) && actual.LessThanOrEqual(p.worst) {
			// Within the declared bounds a request never costs more than its worst case.
			total = p.worst
		}
		return total, total.Sub(actual), &u, false
	}
	if o.maybeBilled() {
		return p.fallback, p.fallback, nil, true
	}
	return decimal.Zero, decimal.Zero, nil, false
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
		r.ledger.Release(res)
		return
	}
	if s.cost.prom != nil {
		s.cost.prom.add(res, s.stat)
		return
	}
	total, est, rep, unreported := s.cost.charge(o)
	err := r.ledger.Settle(res, meter.Charge{Actual: total, Estimated: est})
	s.stat.charge(total, est, rep, unreported)
	if errors.Is(err, meter.ErrOverrun) {
		r.overrun(s, res.Amount, total)
	}
	if rep != nil && r.tpm != nil {
		// The tokens-per-minute limiter took the expected tokens; correct it by what was used.
		r.tpm.adjust(rep.TotalInput() + rep.Output - s.tpm)
	}
}

func (r *runner) overrun(s *step, reserved, charged decimal.Decimal) {
	cause := &stopCause{reason: StopOverrun, detail: fmt.Sprintf("%s cost %s, more than its reservation %s: its declared bounds (max_tokens, max_input_tokens) do not hold",
		s.p.Name, pricing.FormatUSD(charged), pricing.FormatUSD(reserved))}
	r.stop(cause)
	r.abort(cause)
}

// promMeter settles the requests priced by one Prometheus usage source. The service's
// counters are scraped at the start (the baseline) and about every second; a request's
// reservation is kept until the scrape after the one that follows its completion (so that a
// counter the service increments just after answering is seen), then the growth of the
// counters since the last settle is shared among the requests of that batch, each charged up
// to its reservation and the last one the rest (an overrun if the batch cost more than it
// reserved). The bound: spent + reserved <= budget holds throughout, since a request's money
// stays reserved until its cost is known; what the counters count that is not ours (other
// clients of the service) is charged to us, never left out. At the end, after the last
// request, one more scrape settles everything left.
type promMeter struct {
	scraper *usage.Scraper
	price   pricing.Price
	costUSD bool // the spec reads a cost counter: its growth is the cost

	mu      sync.Mutex
	gen     int // scrapes done
	pending []promPending
	charged decimal.Decimal // cost settled so far (cumulative, since the baseline)
	tokens  pricing.Usage   // tokens attributed so far
	errors  int
	lastErr error
}

type promPending struct {
	res  meter.Reservation
	stat *stat
	gen  int
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

func (m *promMeter) add(res meter.Reservation, s *stat) {
	m.mu.Lock()
	m.pending = append(m.pending, promPending{res: res, stat: s, gen: m.gen})
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
		// No reading at the end: charge each request its reservation, flagged estimated.
		for _, p := range batch {
			_ = r.ledger.Settle(p.res, meter.Charge{Actual: p.res.Amount, Estimated: p.res.Amount})
			p.stat.charge(p.res.Amount, p.res.Amount, nil, true)
		}
		m.pending = nil
		return
	}
	m.pending = keep
	if !m.costUSD {
		cost = m.price.Cost(u)
	}
	if len(batch) == 0 {
		return // the growth, if any, goes to the next batch
	}
	delta := cost.Sub(m.charged)
	if delta.IsNegative() {
		delta = decimal.Zero
	}
	m.charged = m.charged.Add(delta)
	dTok := pricing.Usage{Input: u.Input - m.tokens.Input, CacheRead: u.CacheRead - m.tokens.CacheRead,
		CacheWrite5m: u.CacheWrite5m - m.tokens.CacheWrite5m, CacheWrite1h: u.CacheWrite1h - m.tokens.CacheWrite1h,
		Output: u.Output - m.tokens.Output}
	m.tokens = u
	left := delta
	for i, p := range batch {
		amt := decimal.Min(left, p.res.Amount)
		if i == len(batch)-1 {
			amt = left
		}
		left = left.Sub(amt)
		if err := r.ledger.Settle(p.res, meter.Charge{Actual: amt}); errors.Is(err, meter.ErrOverrun) {
			r.overrunProm(p.stat, p.res.Amount, amt)
		}
		p.stat.charge(amt, decimal.Zero, nil, false)
	}
	// Tokens go to the batch's first row: the counters do not say which request used them.
	batch[0].stat.addTokens(dTok)
}

func (r *runner) overrunProm(s *stat, reserved, charged decimal.Decimal) {
	cause := &stopCause{reason: StopOverrun, detail: fmt.Sprintf("%s: the Prometheus counters grew by %s, more than the %s reserved for the requests since the last scrape",
		s.name, pricing.FormatUSD(charged), pricing.FormatUSD(reserved))}
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
