package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/loadplan/loadplan/usage"
	"github.com/shopspring/decimal"
)

// pricer is a step's cost rule, compiled.
type pricer struct {
	kind       plan.CostKind
	source     string // the summary's cost_source
	worst      decimal.Decimal
	worstUsage *pricing.Usage
	bound      pricing.Bound   // the step's bound as given, for an overrun's message
	fallback   decimal.Decimal // charged for an unreported response: the worst case
	// unbounded: a priced-by-usage step with no worst case, which only an uncapped run may
	// have. It reserves nothing, so what it costs is never an overrun; a response of it that
	// reports no usage cannot be charged anything known (charged 0, counted unpriced).
	unbounded bool
	flat      decimal.Decimal
	price     pricing.Price
	src       *usage.Source // where a priced-by-usage step reads its usage; nil otherwise
	prom      *promMeter
	// warned: a response of the step lacked usage it should report, and the run was warned.
	warned atomic.Bool
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
	b, ok := r.cfg.Bounds[ps]
	switch {
	case ok:
		p.worst, p.fallback, p.worstUsage, p.bound = b.Cost, b.Cost, b.Usage, b
	case r.capped:
		// planner.Bounds refuses such a step for a capped run: this is the caller's slip.
		return nil, fmt.Errorf("%s: a capped run needs every priced step's bound (Config.Bounds)", ps.Name)
	default:
		// Uncapped and unbounded: nothing is reserved, so nothing can be charged for want of a
		// report either; such responses are counted (unpriced_responses), never silently $0.
		p.unbounded = true
	}
	if p.src, err = usage.NewSource(c.Usage); err != nil {
		return nil, fmt.Errorf("%s: %w", ps.Name, err)
	}
	if spec, ok := p.src.Prometheus(); ok {
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
	// incomplete: the response ended as it should, but its usage lacked a bucket the source
	// requires (a JSON path or header that matched nothing, a member that is null, a stream
	// that stopped without its final count); that bucket was charged at its bound.
	incomplete bool
}

// charge is what one attempt costs, from what its response reported (DESIGN.md, "Metering"):
// the reported usage priced at the step's model (a model the response names is not used: the
// plan's model is what the estimate and the reservation priced). What was not reported is
// charged at the request's bounds, flagged estimated, never zero:
//   - a 2xx response, a stream, or a request that timed out after it was sent, with no usage
//     report at all: the reservation;
//   - a response whose usage lacks a required bucket (usage.Report.Missing; flagged
//     incomplete), or a stream cut before its final usage (its output): those buckets at
//     their bounds (fill), the total capped at the reservation while what was reported is
//     within the bounds, so that a bucket charged at its bound is never an overrun;
//   - errors without usage (429, 5xx, resets): nothing; an error status that reports some
//     usage: what it reports.
//
// A step with no worst case (uncapped runs) reserved nothing: what it did not report is
// unknown, charged nothing and flagged unpriced.
func (p *pricer) charge(o *outcome) charged {
	switch p.kind {
	case plan.CostFree:
		return charged{}
	case plan.CostFlat:
		return charged{total: p.flat}
	}
	rep := o.report
	billed := o.maybeBilled()
	// incomplete: the source read a response that ended, and found required buckets missing.
	incomplete := o.reportErr == nil && rep.Missing != 0 && o.complete && billed
	if o.reportErr != nil || !rep.Found {
		if billed {
			return charged{total: p.fallback, estimated: p.fallback, unreported: true, unpriced: p.unbounded, incomplete: incomplete}
		}
		return charged{}
	}
	u := rep.Usage
	actual, err := p.price.Cost(u)
	if err != nil {
		// Served at a service tier the catalog has no price for: what it cost is unknown, so
		// it is charged its reservation, flagged estimated, never the standard rate.
		return charged{total: p.fallback, estimated: p.fallback, reported: &u, unpriced: p.unbounded}
	}
	missing := rep.Missing
	if !billed {
		// An error status that reports some usage is charged what it reports: an error is
		// not billed for what it does not say.
		missing = 0
	}
	if o.streamed && !o.complete {
		// A cut stream: its input was reported at its start, its output only in part.
		missing |= usage.BucketOutput
	}
	if missing == 0 {
		return charged{total: actual, reported: &u}
	}
	c := charged{total: actual, reported: &u, incomplete: incomplete}
	switch {
	case p.unbounded:
		c.unpriced = true
		return c
	case p.worstUsage == nil:
		// A worst case without its usage (a caller that gave Bound.Cost alone): the
		// reservation stands for what was not reported.
		c.total = decimal.Max(actual, p.worst)
	default:
		bound := *p.worstUsage
		// The missing buckets at their bounds, priced with what was reported (the prompt's
		// size and the service tier decide the rates of every token); u's tier was priced
		// above, so the filled usage, of the same tier, prices too.
		filled, _ := p.price.Cost(fill(u, missing, bound, p.price))
		c.total = decimal.Max(filled, actual)
		if c.total.GreaterThan(p.worst) && actual.LessThanOrEqual(p.worst) && within(u, bound) {
			// Within the declared bounds a request never costs more than its worst case.
			c.total = p.worst
		}
	}
	c.estimated = c.total.Sub(actual)
	return c
}

// fill is the usage u reported with its missing buckets at the request's bounds (bound, its
// worst usage): the output at its bound; the input buckets share one bound, max_input_tokens,
// so the prompt tokens u did not account for (bound's total input less u's) are charged,
// all of them, in the dearest missing input bucket (a cache read is cheap, a 1-hour write
// dear): whatever the service did not report, it cannot have cost more within the bounds.
func fill(u pricing.Usage, missing usage.Buckets, bound pricing.Usage, price pricing.Price) pricing.Usage {
	full := u
	if missing&usage.BucketOutput != 0 {
		full.Output = max(u.Output, bound.Output)
	}
	if missing&usage.BucketsInput == 0 {
		return full
	}
	rest := max(bound.TotalInput()-u.TotalInput(), 0)
	var (
		best     pricing.Usage
		bestCost decimal.Decimal
		found    bool
	)
	for _, b := range []struct {
		bucket usage.Buckets
		add    func(*pricing.Usage)
	}{
		{usage.BucketInput, func(x *pricing.Usage) { x.Input += rest }},
		{usage.BucketCacheRead, func(x *pricing.Usage) { x.CacheRead += rest }},
		{usage.BucketCacheWrite5m, func(x *pricing.Usage) { x.CacheWrite5m += rest }},
		{usage.BucketCacheWrite1h, func(x *pricing.Usage) { x.CacheWrite1h += rest }},
	} {
		if missing&b.bucket == 0 {
			continue
		}
		cand := full
		b.add(&cand)
		if c, _ := price.Cost(cand); !found || c.GreaterThan(bestCost) {
			best, bestCost, found = cand, c, true
		}
	}
	return best
}

// within reports whether the usage u reported keeps to the request's bounds: its prompt to
// max_input_tokens, its output to the output bound.
func within(u, bound pricing.Usage) bool {
	return u.TotalInput() <= bound.TotalInput() && u.Output <= bound.Output
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
// It returns what the attempt was charged, and whether that is known now (not for an
// attempt never sent, nor for a Prometheus-priced one).
func (r *runner) settle(s *step, res meter.Reservation, o *outcome) (decimal.Decimal, bool) {
	if !o.sent {
		if s.cost.prom != nil {
			s.cost.prom.cancel(res)
		}
		r.ledger.Release(res)
		return decimal.Zero, false
	}
	if s.cost.prom != nil {
		s.cost.prom.add(res, s, o.maybeBilled())
		return decimal.Zero, false
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
	if c.incomplete {
		r.warnIncomplete(s, s.cost.src.Unmatched(o.report.Missing, o.streamed))
	}
	if errors.Is(err, meter.ErrOverrun) {
		r.overrun(s, res.Amount, c)
	}
	return c.total, true
}

// warnIncomplete warns the run's user, once per step, that a response of s lacked usage its
// source should report (what: the path or header that matched nothing, most often a typo):
// every such response is charged at its bounds until it is fixed.
func (r *runner) warnIncomplete(s *step, what string) {
	if r.cfg.OnWarning == nil || !s.cost.warned.CompareAndSwap(false, true) {
		return
	}
	charge := "charged at the request's bounds (flagged estimated)"
	if s.cost.unbounded {
		charge = "not charged (the request has no worst case: its cost is unknown)"
	}
	r.cfg.OnWarning(fmt.Sprintf("%s: a response did not report all its usage: %s; what it did not report is %s and counted in incomplete_usage (later ones are not warned of)",
		s.stat.name, what, charge))
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
func (r *runner) overrun(s *step, reserved decimal.Decimal, c charged) {
	cause := &stopCause{reason: summary.StopOverrun, detail: fmt.Sprintf("%s cost $%s, more than its reservation $%s: %s",
		s.p.Name, c.total, reserved, brokenText(s.cost.bound, c.reported))}
	r.stop(cause)
	r.abort(cause)
}

// brokenText says which declared bound a response broke, its value and where it came from (the
// plan's line, or the default that supplied it).
func brokenText(b pricing.Bound, reported *pricing.Usage) string {
	if reported == nil || len(b.Limits) == 0 {
		return "its declared bounds do not hold"
	}
	var parts []string
	for _, l := range b.Broken(*reported) {
		parts = append(parts, fmt.Sprintf("it reported %d %s tokens, more than %s %d (%s)", l.Used(*reported), strings.ReplaceAll(string(l.Of), "_", " "), l.Name, l.Tokens, l.From))
	}
	if len(parts) == 0 {
		var in []string
		for _, l := range b.Limits {
			in = append(in, fmt.Sprintf("%s %d (%s)", l.Name, l.Tokens, l.From))
		}
		return fmt.Sprintf("its usage %+v is within %s, yet costs more than their worst case: its declared bounds do not hold", *reported, strings.Join(in, ", "))
	}
	return strings.Join(parts, "; ") + ": its declared bounds do not hold"
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
	res    meter.Reservation
	step   *step
	gen    int
	billed bool // the request may have been billed (outcome.maybeBilled)
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

// add queues a completed request of step s for the scrape after the next. billed: it may
// have been billed (a success, a stream; not a 429).
func (m *promMeter) add(res meter.Reservation, s *step, billed bool) {
	m.mu.Lock()
	m.inFlight = m.inFlight.Sub(res.Amount)
	m.pending = append(m.pending, promPending{res: res, step: s, gen: m.gen, billed: billed})
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
//
// A required selector (input, output, cost_usd) whose metric has no matching series (a
// label typo: type="ouput") reads as no growth, which would charge those requests less than
// the bill. So while one matches nothing, each request of the batch that may have been billed
// is charged its reservation, flagged estimated and incomplete, and its step warned of once
// (see usage.Reading.Unmatched); what the other counters grew by is taken as charged by it.
func (m *promMeter) scrape(ctx context.Context, r *runner, final bool) {
	m.mu.Lock()
	gen := m.gen
	m.gen++
	m.mu.Unlock()
	rd, err := m.scraper.Read(ctx)
	u, cost := rd.Usage, rd.CostUSD
	var warn []*step
	defer func() { // after the unlock below
		for _, s := range warn {
			r.warnIncomplete(s, "usage.prometheus "+strings.Join(rd.Unmatched, ", ")+" matched no series at "+m.scraper.URL())
		}
	}()
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
			p.step.stat.charge(charged{total: p.res.Amount, estimated: p.res.Amount, unreported: true, unpriced: p.step.cost.unbounded})
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
	dTok := pricing.Usage{Input: u.Input - m.tokens.Input, CacheRead: u.CacheRead - m.tokens.CacheRead,
		CacheWrite5m: u.CacheWrite5m - m.tokens.CacheWrite5m, CacheWrite1h: u.CacheWrite1h - m.tokens.CacheWrite1h,
		Output: u.Output - m.tokens.Output}
	m.tokens = u
	// Tokens go to the batch's first row: the counters do not say which request used them.
	batch[0].step.stat.addTokens(dTok)
	if len(rd.Unmatched) > 0 {
		rest := batch[:0:0]
		for _, p := range batch {
			if !p.billed {
				rest = append(rest, p)
				continue
			}
			ch := meter.Charge{Actual: p.res.Amount, Estimated: p.res.Amount}
			m.charged = m.charged.Add(p.res.Amount)
			if m.absorb {
				_ = r.settleUnbounded(p.res, ch)
			} else {
				_ = r.ledger.Settle(p.res, ch)
			}
			p.step.stat.charge(charged{total: p.res.Amount, estimated: p.res.Amount, incomplete: true, unpriced: p.step.cost.unbounded})
			warn = append(warn, p.step)
		}
		if batch = rest; len(batch) == 0 {
			return
		}
	}
	left := decimal.Max(cost.Sub(m.charged), decimal.Zero)
	amounts := make([]decimal.Decimal, len(batch))
	for i, p := range batch {
		if p.step.cost.unbounded {
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
		if p.step.cost.unbounded {
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
			r.overrunProm(p.step.stat, excess, held)
		}
		p.step.stat.charge(charged{total: amt})
	}
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
