package usage

import (
	"math"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// LimitKind is one of the limits a provider reports in its rate-limit headers.
type LimitKind int

// The limit kinds, in the order the summary lists them.
const (
	LimitRequests     LimitKind = iota // requests per minute
	LimitInputTokens                   // input tokens per minute (Anthropic's ITPM)
	LimitOutputTokens                  // output tokens per minute (Anthropic's OTPM)
	LimitTokens                        // tokens per minute, input and output (OpenAI's TPM, Anthropic's combined)
	NumLimitKinds
)

// String is the kind's name in the summary: requests, input_tokens, output_tokens, tokens.
func (k LimitKind) String() string {
	switch k {
	case LimitRequests:
		return "requests"
	case LimitInputTokens:
		return "input_tokens"
	case LimitOutputTokens:
		return "output_tokens"
	case LimitTokens:
		return "tokens"
	}
	return "limit(" + strconv.Itoa(int(k)) + ")"
}

// LimitState is what one response said of one limit. A field the response did not carry, or
// carried in a form that does not parse, is unknown (its Has flag false, or Reset zero).
type LimitState struct {
	Limit, Remaining       int64
	HasLimit, HasRemaining bool
	Reset                  time.Time // when the limit is back to full; zero: unknown
}

// RateLimits is what one response's headers said of the provider's rate limits.
type RateLimits struct {
	Limits [NumLimitKinds]LimitState
	// RetryAfter is the response's retry-after (seconds or an HTTP date) or retry-after-ms;
	// 0 when absent or unreadable.
	RetryAfter time.Duration
	Found      bool // at least one rate-limit header parsed
}

// The headers, as the providers document them.
//
// Anthropic (https://docs.anthropic.com/en/api/rate-limits, "Response headers"):
// anthropic-ratelimit-requests-limit, -requests-remaining, -requests-reset,
// anthropic-ratelimit-tokens-{limit,remaining,reset} (the most restrictive token limit in
// effect), anthropic-ratelimit-input-tokens-{limit,remaining,reset} and
// anthropic-ratelimit-output-tokens-{limit,remaining,reset}; limits and remaining are
// integers, resets RFC 3339 times ("2026-12-04T19:30:00Z"); retry-after is the number of
// seconds to wait, on a 429.
//
// OpenAI (https://platform.openai.com/docs/guides/rate-limits, "Rate limits in headers"):
// x-ratelimit-limit-requests, x-ratelimit-limit-tokens, x-ratelimit-remaining-requests,
// x-ratelimit-remaining-tokens, x-ratelimit-reset-requests and x-ratelimit-reset-tokens;
// the resets are durations until the limit is back to full, Go-style ("1s", "6m0s",
// "20ms"). Azure's OpenAI service may send -1 for unknown: negatives are ignored.
var anthropicLimitHeaders = [NumLimitKinds]string{
	LimitRequests:     "anthropic-ratelimit-requests-",
	LimitInputTokens:  "anthropic-ratelimit-input-tokens-",
	LimitOutputTokens: "anthropic-ratelimit-output-tokens-",
	LimitTokens:       "anthropic-ratelimit-tokens-",
}

// get is h.Get for a name already canonical (textproto.CanonicalMIMEHeaderKey): no
// allocation per look-up, as every response is read.
func get(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// limitNames are the canonical names of a limit's three headers.
type limitNames struct {
	kind                    LimitKind
	limit, remaining, reset string
}

func namesOf(kind LimitKind, limit, remaining, reset string) limitNames {
	c := textproto.CanonicalMIMEHeaderKey
	return limitNames{kind, c(limit), c(remaining), c(reset)}
}

var (
	anthropicNames = func() (ns [NumLimitKinds]limitNames) {
		for k, p := range anthropicLimitHeaders {
			ns[k] = namesOf(LimitKind(k), p+"limit", p+"remaining", p+"reset")
		}
		return ns
	}()
	openaiNames = [...]limitNames{
		namesOf(LimitRequests, "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
		namesOf(LimitTokens, "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
	}
)

// maxResetAhead bounds how far ahead a reset may be: further is garbage, ignored.
const maxResetAhead = 7 * 24 * time.Hour

// ReadRateLimits reads the rate-limit headers of a response received at now, Anthropic's and
// OpenAI's. It never fails: a header that does not parse is ignored.
func ReadRateLimits(h http.Header, now time.Time) RateLimits {
	var rl RateLimits
	for _, n := range anthropicNames {
		st := &rl.Limits[n.kind]
		st.Limit, st.HasLimit = count(get(h, n.limit))
		st.Remaining, st.HasRemaining = count(get(h, n.remaining))
		if v := strings.TrimSpace(get(h, n.reset)); v != "" {
			if t, err := time.Parse(time.RFC3339, v); err == nil && t.Sub(now) < maxResetAhead {
				st.Reset = t
			}
		}
	}
	for _, n := range openaiNames {
		st := &rl.Limits[n.kind]
		if c, ok := count(get(h, n.limit)); ok && !st.HasLimit {
			st.Limit, st.HasLimit = c, true
		}
		if c, ok := count(get(h, n.remaining)); ok && !st.HasRemaining {
			st.Remaining, st.HasRemaining = c, true
		}
		if d, ok := resetDuration(get(h, n.reset)); ok && st.Reset.IsZero() {
			st.Reset = now.Add(d)
		}
	}
	for i := range rl.Limits {
		st := &rl.Limits[i]
		if st.HasLimit || st.HasRemaining || !st.Reset.IsZero() {
			rl.Found = true
		}
	}
	if ms, ok := retryAfterMs(get(h, "Retry-After-Ms")); ok {
		rl.RetryAfter = ms
	} else if v := strings.TrimSpace(get(h, "Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if secs >= 0 && secs <= maxResetAhead.Seconds() {
				rl.RetryAfter = time.Duration(secs * float64(time.Second))
			}
		} else if t, err := http.ParseTime(v); err == nil && t.After(now) && t.Sub(now) < maxResetAhead {
			rl.RetryAfter = t.Sub(now)
		}
	}
	return rl
}

// retryAfterMs parses OpenAI's retry-after-ms (milliseconds, maybe fractional).
func retryAfterMs(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false // ParseFloat's error would allocate, for every response
	}
	ms, err := strconv.ParseFloat(v, 64)
	if err != nil || !(ms >= 0) || ms > float64(maxResetAhead/time.Millisecond) {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// count parses a non-negative integer count; anything else is unknown.
func count(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// resetDuration parses OpenAI's reset: a Go-style duration ("6m0s", "1s", "20ms"), or a bare
// number of seconds.
func resetDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxResetAhead.Seconds() {
			return 0, false
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 || d > maxResetAhead {
		return 0, false
	}
	return d, true
}
