package summary

import (
	"testing"
	"time"

	"github.com/loadplan/loadplan/planner"
)

// TestMergeRateLimits: merged workers keep the lowest remaining of all (with its time, counted
// from the merged start), the highest limit, and the sum of their peaks; the headroom follows.
func TestMergeRateLimits(t *testing.T) {
	t.Parallel()
	w1, w2 := readTestdata(t, "worker1.json"), readTestdata(t, "worker2.json")
	n := func(v int64) *int64 { return &v }
	low := w2.StartedAt.Add(30 * time.Second)
	w1.RateLimits = &RateLimits{ResponsesWithHeaders: 10, MaxRetryAfterS: 2,
		Requests:     &RateLimit{Limit: n(50), LowestRemaining: n(20), PeakPerMinute: 20},
		OutputTokens: &RateLimit{Limit: n(8000), PeakPerMinute: 3000}}
	w2.RateLimits = &RateLimits{ResponsesWithHeaders: 12, MaxRetryAfterS: 1,
		Requests: &RateLimit{Limit: n(50), LowestRemaining: n(7), LowestAt: &low, PeakPerMinute: 25}}
	m, err := Merge(planner.MergeEstimates, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	rl := m.RateLimits
	if rl == nil || rl.ResponsesWithHeaders != 22 || rl.MaxRetryAfterS != 2 || rl.InputTokens != nil {
		t.Fatalf("rate_limits %+v", rl)
	}
	r := rl.Requests
	if *r.LowestRemaining != 7 || !r.LowestAt.Equal(low) || *r.LowestElapsedS != low.Sub(m.StartedAt).Seconds() ||
		r.PeakPerMinute != 45 || *r.Headroom != 5 || *r.HeadroomShare != 0.1 {
		t.Errorf("requests %+v", r)
	}
	if o := rl.OutputTokens; o.PeakPerMinute != 3000 || *o.Headroom != 5000 {
		t.Errorf("output tokens %+v", o)
	}
	// Without rate limits in any worker: none in the merge.
	w1.RateLimits, w2.RateLimits = nil, nil
	if m, _ := Merge(planner.MergeEstimates, w1, w2); m.RateLimits != nil {
		t.Errorf("rate_limits from nothing: %+v", m.RateLimits)
	}
}
