package mock

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/loadplan/loadplan/pricing"
)

// RateLimit is the provider endpoints' rate limit (Config.RateLimit): token buckets that hold
// each limit and refill it over Per, as the providers' do. A request is counted when it
// arrives, at the usage the mock draws for it (input: uncached input and cache writes, and
// cache reads when CacheReadsCount; output: what it will generate). Every response of
// /v1/messages and /v1/chat/completions then carries the rate-limit headers of its API
// (Anthropic's anthropic-ratelimit-*, OpenAI's x-ratelimit-*) with what remains; a request
// that would take more than remains gets 429 with retry-after, billed nothing. Zero limits
// are not enforced; without RateLimit (the default) no header is sent. Delays are real
// time: TimeScale does not apply.
//
//	rate_limit: {rpm: 50, itpm: 30000, otpm: 8000}
type RateLimit struct {
	RPM  int64 `yaml:"rpm"`  // requests per Per
	ITPM int64 `yaml:"itpm"` // input tokens per Per (both endpoints; only Anthropic's headers say it)
	OTPM int64 `yaml:"otpm"` // output tokens per Per (both endpoints; only Anthropic's headers say it)
	TPM  int64 `yaml:"tpm"`  // input and output tokens per Per (OpenAI's, and Anthropic's combined)
	// CacheReadsCount counts cache reads toward ITPM (older Anthropic models; the current
	// ones do not).
	CacheReadsCount bool `yaml:"cache_reads_count"`
	// Per is the period a limit refills in; 0 means a minute.
	Per time.Duration `yaml:"per"`
}

func (r *RateLimit) validate(path string) []fieldError {
	var errs []fieldError
	for _, f := range []struct {
		name string
		v    int64
	}{{"rpm", r.RPM}, {"itpm", r.ITPM}, {"otpm", r.OTPM}, {"tpm", r.TPM}} {
		if f.v < 0 {
			errs = append(errs, fieldError{path + "." + f.name, "must be 0 (no limit) or more, not " + strconv.FormatInt(f.v, 10)})
		}
	}
	if r.Per < 0 {
		errs = append(errs, fieldError{path + ".per", "must be 0 (a minute) or more, not " + r.Per.String()})
	}
	return errs
}

// The limits, in the order of rateLimiter.buckets.
const (
	rlRequests = iota
	rlInput
	rlOutput
	rlTokens
	rlKinds
)

// rateLimiter holds the limits of a Config.RateLimit.
type rateLimiter struct {
	cfg     RateLimit
	per     time.Duration
	mu      sync.Mutex
	limit   [rlKinds]float64
	level   [rlKinds]float64
	last    time.Time
	started bool
}

func newRateLimiter(cfg *RateLimit) *rateLimiter {
	if cfg == nil {
		return nil
	}
	l := &rateLimiter{cfg: *cfg, per: cfg.Per}
	if l.per <= 0 {
		l.per = time.Minute
	}
	l.limit = [rlKinds]float64{float64(cfg.RPM), float64(cfg.ITPM), float64(cfg.OTPM), float64(cfg.TPM)}
	l.level = l.limit
	return l
}

// reset refills every limit (Server.Reset).
func (l *rateLimiter) reset() {
	l.mu.Lock()
	l.level, l.started = l.limit, false
	l.mu.Unlock()
}

// take counts one request of usage u at now: ok, or the wait until it would fit. It returns
// what remains of each limit, and when each is full again.
func (l *rateLimiter) take(now time.Time, u pricing.Usage) (ok bool, wait time.Duration, remaining [rlKinds]int64, full [rlKinds]time.Duration) {
	in := u.Input + u.CacheWrite()
	if l.cfg.CacheReadsCount {
		in += u.CacheRead
	}
	n := [rlKinds]float64{1, float64(in), float64(u.Output), float64(u.TotalInput() + u.Output)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		dt := now.Sub(l.last).Seconds()
		for k := range rlKinds {
			l.level[k] = min(l.limit[k], l.level[k]+dt*l.limit[k]/l.per.Seconds())
		}
	}
	l.last, l.started = now, true
	ok = true
	for k := range rlKinds {
		if l.limit[k] > 0 && n[k] > l.level[k] {
			ok = false
			rate := l.limit[k] / l.per.Seconds()
			wait = max(wait, time.Duration((n[k]-l.level[k])/rate*float64(time.Second)))
		}
	}
	for k := range rlKinds {
		if ok && l.limit[k] > 0 {
			l.level[k] -= n[k]
		}
		remaining[k] = int64(math.Floor(max(l.level[k], 0)))
		if l.limit[k] > 0 {
			full[k] = time.Duration((l.limit[k] - l.level[k]) / l.limit[k] * float64(l.per))
		}
	}
	return ok, wait, remaining, full
}

// limitRate applies the rate limit to a request about to generate u: it sets the rate-limit
// headers and, over a limit, answers 429 (false).
func (c *call) limitRate(u pricing.Usage) bool {
	l := c.s.limits
	if l == nil {
		return true
	}
	now := time.Now()
	ok, wait, remaining, full := l.take(now, u)
	h := c.w.Header()
	if c.flavor == flavorOpenAI {
		for _, k := range []struct {
			kind int
			name string
		}{{rlRequests, "requests"}, {rlTokens, "tokens"}} {
			if l.limit[k.kind] == 0 {
				continue
			}
			h.Set("x-ratelimit-limit-"+k.name, strconv.FormatInt(int64(l.limit[k.kind]), 10))
			h.Set("x-ratelimit-remaining-"+k.name, strconv.FormatInt(remaining[k.kind], 10))
			h.Set("x-ratelimit-reset-"+k.name, full[k.kind].Round(time.Millisecond).String())
		}
	} else {
		for _, k := range []struct {
			kind int
			name string
		}{{rlRequests, "requests"}, {rlInput, "input-tokens"}, {rlOutput, "output-tokens"}, {rlTokens, "tokens"}} {
			if l.limit[k.kind] == 0 {
				continue
			}
			p := "anthropic-ratelimit-" + k.name + "-"
			h.Set(p+"limit", strconv.FormatInt(int64(l.limit[k.kind]), 10))
			h.Set(p+"remaining", strconv.FormatInt(remaining[k.kind], 10))
			// RFC 3339 to the second, rounded up: the limit is full by then.
			h.Set(p+"reset", now.Add(full[k.kind]+time.Second-1).UTC().Truncate(time.Second).Format(time.RFC3339))
		}
	}
	if ok {
		return true
	}
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	if c.flavor == flavorOpenAI {
		h.Set("retry-after-ms", strconv.FormatInt(max(wait.Milliseconds(), 1), 10))
		c.failWith(apiError{status: http.StatusTooManyRequests, typ: "rate_limit_error", openaiTyp: "tokens",
			msg: "Rate limit reached: please try again in " + wait.Round(time.Millisecond).String(), code: "rate_limit_exceeded"})
		return false
	}
	c.fail(http.StatusTooManyRequests, "rate_limit_error", "This request would exceed your organization's rate limit; please retry after "+wait.Round(time.Millisecond).String(), "")
	return false
}
