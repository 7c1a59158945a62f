package executor

import (
	"context"
	"math"
	"sync"
	"time"
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
