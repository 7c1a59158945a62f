package executor

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// bucket is a token bucket: the client side of a provider's rate limit (rate_limit: {rpm,
// tpm}). It refills at rate per second up to burst; wait takes n, waiting for the refill
// when the bucket is short. The balance may go below zero (adjust: a response used more
// tokens than expected), which delays the next requests: the limiter then behaves as the
// provider's, which counts what was used.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now(), now: time.Now}
}

// reserve takes n and returns how long to wait before using them.
func (b *bucket) reserve(n float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	// 2×10^8 tokens at 1 per minute is 380 years: past time.Duration, whose conversion from
	// a float64 that large is the most negative duration (no wait at all).
	return toDuration(-b.tokens / b.rate * float64(time.Second))
}

// toDuration converts nanoseconds to a Duration, saturating at the longest: a float64 past
// the range converts to the most negative duration on amd64.
func toDuration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// wait takes n, sleeping as the rate requires; false if ctx ended first (the n stay taken:
// the limiter errs on the slow side).
func (b *bucket) wait(ctx context.Context, n float64) bool {
	d := b.reserve(n)
	if d <= 0 {
		return true
	}
	return sleepCtx(ctx, d)
}

// adjust takes n more (or gives -n back) once a request's real usage is known.
func (b *bucket) adjust(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.burst, b.tokens-float64(n))
	b.mu.Unlock()
}

// window is the hard side of a rate limit: never more than limit in any span (a minute). It
// counts what was taken in slots of span/60, keeping the last 61; a taking at time t sees the
// slots from t-span to t, which hold everything taken in any span that ends after t, so no
// span ever holds more than limit (1/60 conservative). What a request used, once known,
// replaces what it took (give): the guarantee holds as long as no request uses more than
// it took.
type window struct {
	mu    sync.Mutex
	limit int64
	slot  time.Duration
	start time.Time
	slots [windowSlots + 1]int64 // by slot number modulo windowSlots+1
	first int64                  // the oldest slot number the ring holds
}

const windowSlots = 60

func newWindow(limit int64, span time.Duration, start time.Time) *window {
	return &window{limit: limit, slot: max(span/windowSlots, time.Nanosecond), start: start}
}

// take takes n at now if the window has room for it and returns the slot it went to; else it
// returns how long to wait before trying again. A request larger than the limit is taken when
// the window is empty (alone in its span: the provider will refuse it, the client does not
// hold it forever).
func (w *window) take(now time.Time, n int64) (slot int64, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := int64(now.Sub(w.start) / w.slot)
	w.advance(cur)
	var sum int64
	for i := w.first; i <= cur; i++ {
		sum += w.slots[i%(windowSlots+1)]
	}
	if sum+n <= w.limit || sum == 0 {
		w.slots[cur%(windowSlots+1)] += n
		return cur, 0
	}
	// Wait for the oldest slots to leave until n fits (or all have left).
	need := sum + n - w.limit
	for i := w.first; i <= cur; i++ {
		need -= w.slots[i%(windowSlots+1)]
		if need <= 0 || i == cur {
			// slot i leaves the window when the slot i+windowSlots+1 begins.
			at := w.start.Add(time.Duration(i+windowSlots+1) * w.slot)
			return 0, max(at.Sub(now), time.Nanosecond)
		}
	}
	return 0, w.slot // not reached: the loop ends at cur
}

// advance drops the slots older than cur-windowSlots.
func (w *window) advance(cur int64) {
	oldest := cur - windowSlots
	if oldest <= w.first {
		return
	}
	for i := w.first; i < oldest && i < w.first+windowSlots+1; i++ {
		w.slots[i%(windowSlots+1)] = 0
	}
	w.first = oldest
}

// give corrects slot by d (negative: gives back what a request took and did not use). A
// slot that has left the window is no longer counted.
func (w *window) give(slot, d int64) {
	if d == 0 {
		return
	}
	w.mu.Lock()
	if slot >= w.first {
		w.slots[slot%(windowSlots+1)] = max(w.slots[slot%(windowSlots+1)]+d, 0)
	}
	w.mu.Unlock()
}

// The limits of a plan's rate_limit, in the order of usage.LimitKind.
const (
	limRequests = iota
	limInput
	limOutput
	limTokens
	numLimits
)

// limiter is the client side of the plan's rate_limit: per limit, a token bucket that
// spreads the load (refilled at limit/60 per second, one second's worth of burst, taken at
// the request's expected use and corrected by what it used) and a window that caps it
// (never more than the limit in a minute). The window reserves a request's bounds: input at
// max_input_tokens (default 2 × input_tokens; all input, a conservative reading of itpm),
// output at max_output_tokens (the request's max_tokens); what the response reports
// replaces them when it arrives, so the bounds hold tokens only while a request is in
// flight. Only a response that used more than its bounds (an overrun) can make a minute
// exceed a limit.
type limiter struct {
	pace [numLimits]*bucket
	cap  [numLimits]*window
	// cacheReads: cache reads count toward the input limit (rate_limit.cache_reads_count).
	cacheReads bool
}

// newLimiter returns the limiter of rl, nil when rl gives no limit; span is the window (a
// minute; tests shorten it).
func newLimiter(rl plan.RateLimit, span time.Duration, now time.Time) *limiter {
	if !rl.Any() {
		return nil
	}
	l := &limiter{cacheReads: rl.CacheReadsCount}
	for i, n := range [numLimits]int64{rl.RPM, rl.ITPM, rl.OTPM, rl.TPM} {
		if n <= 0 {
			continue
		}
		perS := float64(n) / span.Seconds()
		l.pace[i] = newBucket(perS, max(perS, 1))
		l.cap[i] = newWindow(n, span, now)
	}
	return l
}

// need is what one attempt of a step takes from each limit: expected (pacing) and bound
// (window).
type need struct {
	expect, bound [numLimits]int64
}

// needOf computes a step's need from its expectations.
func needOf(e plan.Expect, cacheReads bool) need {
	in := e.InputTokens
	if !cacheReads {
		in = in.Sub(e.CacheableTokens.Mul(e.CacheHitRate))
	}
	expIn := max(in.Ceil().IntPart(), 0)
	expOut := e.OutputTokens.Ceil().IntPart()
	allIn := e.InputTokens.Ceil().IntPart()
	boundIn := max(e.InputBound(), allIn)
	boundOut := max(e.MaxOutputTokens, expOut)
	return need{expect: [numLimits]int64{1, expIn, expOut, allIn + expOut},
		bound: [numLimits]int64{1, boundIn, boundOut, boundIn + boundOut}}
}

// grant is what an attempt took: the window slots, to correct once its usage is known.
type grant struct {
	slot [numLimits]int64
	ok   bool
}

// acquire waits for the pacing buckets, then for room in every window; false if ctx ended
// first (what was taken stays taken: the limiter errs on the slow side).
func (l *limiter) acquire(ctx context.Context, n *need, now func() time.Time) (grant, bool) {
	var g grant
	for i, b := range l.pace {
		if b != nil && n.expect[i] > 0 && !b.wait(ctx, float64(n.expect[i])) {
			return g, false
		}
	}
	for i, w := range l.cap {
		if w == nil {
			continue
		}
		for {
			slot, wait := w.take(now(), n.bound[i])
			if wait == 0 {
				g.slot[i] = slot
				break
			}
			if !sleepCtx(ctx, wait) {
				return g, false
			}
		}
	}
	g.ok = true
	return g, true
}

// settle corrects the limits once an attempt is done: not sent, it used nothing; with its
// usage reported, it used that; else it is counted at what it took.
func (l *limiter) settle(g grant, n *need, sent bool, u *pricing.Usage) {
	if !g.ok {
		return
	}
	var used [numLimits]int64
	switch {
	case !sent:
	case u != nil:
		in := u.Input + u.CacheWrite()
		if l.cacheReads {
			in += u.CacheRead
		}
		used = [numLimits]int64{1, in, u.Output, u.TotalInput() + u.Output}
	default:
		return
	}
	for i := range numLimits {
		if l.pace[i] != nil && i != limRequests && (u != nil || !sent) {
			l.pace[i].adjust(used[i] - n.expect[i])
		}
		if l.cap[i] != nil {
			l.cap[i].give(g.slot[i], used[i]-n.bound[i])
		}
	}
}
