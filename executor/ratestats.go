package executor

import (
	"net/http"
	"sync"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/loadplan/loadplan/usage"
)

// rateStats is what the run learns of the provider's rate limits (summary rate_limits): the
// limits and the lowest remaining its responses' headers reported, and what the run itself
// used, per second of sending, from which the busiest minute is found.
type rateStats struct {
	rl plan.RateLimit

	mu      sync.Mutex
	seen    [usage.NumLimitKinds]limitSeen
	headers int64
	retry   time.Duration
	start   time.Time
	secs    [][usage.NumLimitKinds]int64 // what was sent in each second from start, by kind
}

// limitSeen is one limit as the headers reported it.
type limitSeen struct {
	limit, lowest int64
	hasLimit      bool
	hasLowest     bool
	lowestAt      time.Time
}

func newRateStats(rl plan.RateLimit) *rateStats { return &rateStats{rl: rl, start: time.Now()} }

// maxRateSeconds bounds the per-second counts (a week: 19 MB at most, grown as the run goes);
// a later second is counted in the last.
const maxRateSeconds = 7 * 24 * 3600

// begin sets the start the seconds count from.
func (s *rateStats) begin(start time.Time) {
	s.mu.Lock()
	s.start = start
	s.mu.Unlock()
}

// observe reads a response's rate-limit headers (usage.ReadRateLimits). A response without
// any costs a few map look-ups.
func (s *rateStats) observe(h http.Header) {
	now := time.Now()
	rl := usage.ReadRateLimits(h, now)
	if !rl.Found && rl.RetryAfter == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retry = max(s.retry, rl.RetryAfter)
	if !rl.Found {
		return
	}
	s.headers++
	for k, st := range rl.Limits {
		seen := &s.seen[k]
		if st.HasLimit {
			seen.limit, seen.hasLimit = st.Limit, true
		}
		if st.HasRemaining && (!seen.hasLowest || st.Remaining < seen.lowest) {
			seen.lowest, seen.hasLowest, seen.lowestAt = st.Remaining, true, now
		}
	}
}

// used counts one attempt sent at sentAt, with its reported usage (nil: unknown, its tokens
// are not counted), in the second it was sent.
func (s *rateStats) used(sentAt time.Time, u *pricing.Usage) {
	var n [usage.NumLimitKinds]int64
	n[usage.LimitRequests] = 1
	if u != nil {
		n[usage.LimitInputTokens] = u.Input + u.CacheWrite()
		if s.rl.CacheReadsCount {
			n[usage.LimitInputTokens] += u.CacheRead
		}
		n[usage.LimitOutputTokens] = u.Output
		n[usage.LimitTokens] = u.TotalInput() + u.Output
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := min(max(int(sentAt.Sub(s.start)/time.Second), 0), maxRateSeconds-1)
	for len(s.secs) <= i {
		s.secs = append(s.secs, [usage.NumLimitKinds]int64{})
	}
	for k := range n {
		s.secs[i][k] += n[k]
	}
}

// summary is the run's rate_limits: nil when no response carried rate-limit headers and the
// plan gives no rate_limit; else every kind, with what the run used of it, and its limit
// when known.
func (s *rateStats) summary() *summary.RateLimits {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headers == 0 && !s.rl.Any() {
		return nil
	}
	out := &summary.RateLimits{ResponsesWithHeaders: s.headers, MaxRetryAfterS: s.retry.Seconds(),
		CacheReadsCount: s.rl.CacheReadsCount}
	planned := [usage.NumLimitKinds]int64{s.rl.RPM, s.rl.ITPM, s.rl.OTPM, s.rl.TPM}
	dst := [usage.NumLimitKinds]**summary.RateLimit{&out.Requests, &out.InputTokens, &out.OutputTokens, &out.Tokens}
	for k := range usage.NumLimitKinds {
		seen := s.seen[k]
		l := &summary.RateLimit{}
		if planned[k] > 0 {
			l.PlanLimit = new(planned[k])
			l.Limit = new(planned[k])
		}
		if seen.hasLimit {
			l.Limit = new(seen.limit)
		}
		if seen.hasLowest {
			l.LowestRemaining = new(seen.lowest)
			l.LowestAt = new(seen.lowestAt.UTC())
			l.LowestElapsedS = new(seen.lowestAt.Sub(s.start).Seconds())
		}
		l.PeakPerMinute, l.PeakEndS = s.peak(k)
		l.SetHeadroom()
		*dst[k] = l
	}
	return out
}

// peak is the most sent of kind k in any 60 consecutive seconds, and the end of that window
// in seconds from the start (a run shorter than a minute: its whole length).
func (s *rateStats) peak(k usage.LimitKind) (n int64, end float64) {
	var sum int64
	for i, sec := range s.secs {
		sum += sec[k]
		if i >= 60 {
			sum -= s.secs[i-60][k]
		}
		if sum > n {
			n, end = sum, float64(i+1)
		}
	}
	return n, end
}

// rateSettle corrects the rate limits once an attempt is done, and counts what it used.
// Only a complete usage report counts as what was used: an incomplete one keeps what the
// limiter reserved.
func (r *runner) rateSettle(s *step, g grant, o *outcome) {
	var u *pricing.Usage
	if o.report.Found && o.report.Complete {
		u = &o.report.Usage
	}
	if r.limits != nil {
		r.limits.settle(g, &s.need, o.sent, u)
	}
	if o.sent {
		r.rates.used(o.sentAt, u)
	}
}
