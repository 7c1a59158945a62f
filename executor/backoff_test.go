package executor

import (
	"math"
	"testing"
	"time"
)

// TestBackoff: the wait between attempts doubles up to maxRetryAfter, and a long backoff
// (up to a year, the plan's longest duration) never overflows into a negative wait, which
// retried at once.
func TestBackoff(t *testing.T) {
	t.Parallel()
	year := 365 * 24 * time.Hour
	cases := []struct {
		name    string
		first   time.Duration
		attempt int
		want    time.Duration
	}{
		{"the first retry waits the backoff", 500 * time.Millisecond, 0, 500 * time.Millisecond},
		{"doubled per attempt: 500ms × 2³", 500 * time.Millisecond, 3, 4 * time.Second},
		{"capped: 500ms × 2⁷ = 64s", 500 * time.Millisecond, 7, maxRetryAfter},
		{"a year, the first retry", year, 0, maxRetryAfter},
		{"a year × 2⁹ overflowed to a negative wait", year, 9, maxRetryAfter},
		{"a year × 2¹⁰", year, 10, maxRetryAfter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := backoff(tc.first, tc.attempt); got != tc.want {
				t.Errorf("backoff(%s, %d) = %s, want %s", tc.first, tc.attempt, got, tc.want)
			}
		})
	}
}

// TestLongWaits: waits computed in float64 past time.Duration's range converted to the most
// negative duration, no wait at all: a request of 2×10^8 tokens (the plan's most, input and
// output) against rate_limit tpm: 1, or a server's Retry-After: 1e300 or NaN.
func TestLongWaits(t *testing.T) {
	t.Parallel()
	b := newBucket(1.0/60, 1)
	now := time.Unix(0, 0)
	b.now, b.last = func() time.Time { return now }, now
	if d := b.reserve(2e8); d != math.MaxInt64 {
		t.Errorf("2×10^8 tokens at 1 a minute (380 years): wait %s", d)
	}
	for in, want := range map[string]time.Duration{"1e300": maxRetryAfter, "+Inf": maxRetryAfter, "NaN": 0, "1e18": maxRetryAfter} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("Retry-After: %s: %s, want %s", in, got, want)
		}
	}
}
