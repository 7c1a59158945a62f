package usage

import (
	"net/http"
	"testing"
	"time"
)

func TestReadRateLimits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	type want struct {
		kind             LimitKind
		limit, remaining int64 // -1: unknown
		reset            time.Duration
	}
	cases := []struct {
		name    string
		headers map[string]string
		found   bool
		want    []want
		retry   time.Duration
	}{
		{"anthropic", map[string]string{
			"anthropic-ratelimit-requests-limit":          "50",
			"anthropic-ratelimit-requests-remaining":      "49",
			"anthropic-ratelimit-requests-reset":          "2026-12-04T19:00:01Z",
			"anthropic-ratelimit-input-tokens-limit":      "30000",
			"anthropic-ratelimit-input-tokens-remaining":  "29500",
			"anthropic-ratelimit-input-tokens-reset":      "2026-12-04T19:00:02.5Z",
			"anthropic-ratelimit-output-tokens-limit":     "8000",
			"anthropic-ratelimit-output-tokens-remaining": "7800",
			"anthropic-ratelimit-output-tokens-reset":     "2026-12-04T20:00:00+01:00",
			"anthropic-ratelimit-tokens-limit":            "38000",
			"anthropic-ratelimit-tokens-remaining":        "37300",
		}, true, []want{
			{LimitRequests, 50, 49, time.Second},
			{LimitInputTokens, 30000, 29500, 2500 * time.Millisecond},
			{LimitOutputTokens, 8000, 7800, 0},
			{LimitTokens, 38000, 37300, -1},
		}, 0},
		{"openai", map[string]string{
			"x-ratelimit-limit-requests":     "60",
			"x-ratelimit-limit-tokens":       "150000",
			"x-ratelimit-remaining-requests": "59",
			"x-ratelimit-remaining-tokens":   "149984",
			"x-ratelimit-reset-requests":     "1s",
			"x-ratelimit-reset-tokens":       "6m0s",
		}, true, []want{
			{LimitRequests, 60, 59, time.Second},
			{LimitTokens, 150000, 149984, 6 * time.Minute},
			{LimitInputTokens, -1, -1, -1},
		}, 0},
		{"openai ms and bare seconds", map[string]string{
			"x-ratelimit-reset-requests": "20ms",
			"x-ratelimit-reset-tokens":   "1.5",
		}, true, []want{{LimitRequests, -1, -1, 20 * time.Millisecond}, {LimitTokens, -1, -1, 1500 * time.Millisecond}}, 0},
		{"429 with retry-after", map[string]string{
			"retry-after":                            "7",
			"anthropic-ratelimit-requests-remaining": "0",
		}, true, []want{{LimitRequests, -1, 0, -1}}, 7 * time.Second},
		{"retry-after-ms wins", map[string]string{"retry-after-ms": "1250", "retry-after": "2"}, false, nil, 1250 * time.Millisecond},
		{"retry-after date", map[string]string{"retry-after": "Fri, 04 Dec 2026 19:00:03 GMT"}, false, nil, 3 * time.Second},
		{"garbage", map[string]string{
			"anthropic-ratelimit-requests-limit":     "fifty",
			"anthropic-ratelimit-requests-remaining": "-3",
			"anthropic-ratelimit-requests-reset":     "tomorrow",
			"anthropic-ratelimit-tokens-limit":       "1e9",
			"anthropic-ratelimit-tokens-remaining":   "99999999999999999999999",
			"x-ratelimit-reset-requests":             "-1s",
			"x-ratelimit-reset-tokens":               "NaN",
			"x-ratelimit-limit-tokens":               "-1",
			"retry-after":                            "-5",
		}, false, []want{{LimitRequests, -1, -1, -1}, {LimitTokens, -1, -1, -1}}, 0},
		{"reset too far ahead", map[string]string{"anthropic-ratelimit-requests-reset": "2999-01-01T00:00:00Z", "x-ratelimit-reset-tokens": "9999h"}, false, nil, 0},
		{"none", nil, false, []want{{LimitRequests, -1, -1, -1}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range c.headers {
				h.Set(k, v)
			}
			rl := ReadRateLimits(h, now)
			if rl.Found != c.found {
				t.Errorf("Found = %v, want %v", rl.Found, c.found)
			}
			if rl.RetryAfter != c.retry {
				t.Errorf("RetryAfter = %v, want %v", rl.RetryAfter, c.retry)
			}
			for _, w := range c.want {
				st := rl.Limits[w.kind]
				if got := known(st.Limit, st.HasLimit); got != w.limit {
					t.Errorf("%s limit = %d, want %d", w.kind, got, w.limit)
				}
				if got := known(st.Remaining, st.HasRemaining); got != w.remaining {
					t.Errorf("%s remaining = %d, want %d", w.kind, got, w.remaining)
				}
				switch {
				case w.reset < 0 && !st.Reset.IsZero():
					t.Errorf("%s reset = %v, want unknown", w.kind, st.Reset)
				case w.reset >= 0 && !st.Reset.Equal(now.Add(w.reset)):
					t.Errorf("%s reset = %v, want %v", w.kind, st.Reset, now.Add(w.reset))
				}
			}
		})
	}
}

func known(n int64, ok bool) int64 {
	if !ok {
		return -1
	}
	return n
}

// FuzzReadRateLimits: no header value crashes the reader, and what it reads is sane.
func FuzzReadRateLimits(f *testing.F) {
	for _, s := range []string{"50", "6m0s", "20ms", "2026-12-04T19:00:01Z", "-1", "NaN", "1e400", "Fri, 04 Dec 2026 19:00:03 GMT", ""} {
		f.Add(s, s)
	}
	now := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, a, b string) {
		h := http.Header{}
		for _, k := range []string{"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-tokens-reset", "x-ratelimit-reset-tokens", "retry-after"} {
			h.Set(k, a)
		}
		for _, k := range []string{"anthropic-ratelimit-input-tokens-remaining", "x-ratelimit-reset-requests", "x-ratelimit-remaining-tokens", "retry-after-ms"} {
			h.Set(k, b)
		}
		var rl RateLimits
		usageBudget.Check(t, len(a)+len(b), func() { rl = ReadRateLimits(h, now) })
		if rl.RetryAfter < 0 || rl.RetryAfter > maxResetAhead {
			t.Fatalf("RetryAfter %v out of range", rl.RetryAfter)
		}
		for k, st := range rl.Limits {
			if st.Limit < 0 || st.Remaining < 0 {
				t.Fatalf("%s: negative count %+v", LimitKind(k), st)
			}
			if !st.Reset.IsZero() && st.Reset.Sub(now) >= maxResetAhead {
				t.Fatalf("%s: reset %v too far", LimitKind(k), st.Reset)
			}
		}
	})
}

// BenchmarkReadRateLimits: what reading the headers costs a response, with none (most
// targets) and with Anthropic's full set.
func BenchmarkReadRateLimits(b *testing.B) {
	now := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	none := http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_1"}}
	full := http.Header{}
	for _, k := range []string{"requests", "input-tokens", "output-tokens", "tokens"} {
		full.Set("anthropic-ratelimit-"+k+"-limit", "400000")
		full.Set("anthropic-ratelimit-"+k+"-remaining", "399000")
		full.Set("anthropic-ratelimit-"+k+"-reset", "2026-12-04T19:00:01Z")
	}
	for _, c := range []struct {
		name string
		h    http.Header
	}{{"none", none}, {"anthropic", full}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ReadRateLimits(c.h, now)
			}
		})
	}
}
