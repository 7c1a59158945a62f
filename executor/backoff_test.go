package executor

import (
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
