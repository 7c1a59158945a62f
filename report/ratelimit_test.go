package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
)

// TestRateLimitRendering: the run's rate_limits are a table in the text report and a
// section of the HTML page; a run without them has neither.
func TestRateLimitRendering(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	var b bytes.Buffer
	rateLimitTable(&b, s)
	if b.Len() != 0 {
		t.Errorf("no rate_limits, yet:\n%s", b.String())
	}
	at := s.StartedAt.Add(12 * time.Second)
	n := func(v int64) *int64 { return &v }
	s.RateLimits = &summary.RateLimits{ResponsesWithHeaders: 1234,
		Requests:     &summary.RateLimit{Limit: n(50), LowestRemaining: n(0), LowestAt: &at, LowestElapsedS: new(12.0), PeakPerMinute: 61},
		OutputTokens: &summary.RateLimit{Limit: n(8000), PlanLimit: n(8000), LowestRemaining: n(5200), PeakPerMinute: 2400},
		InputTokens:  &summary.RateLimit{PeakPerMinute: 1500}, Tokens: &summary.RateLimit{}}
	for _, k := range s.RateLimits.Kinds() {
		k.Limit.SetHeadroom()
	}
	rateLimitTable(&b, s)
	text := b.String()
	for _, want := range []string{"Rate limits (1,234 responses with rate-limit headers)", "requests", "50/min", "0 at 12 s", "61/min", "-11 (-22%)",
		"output_tokens", "8,000/min", "5,200", "5,600 (70%)", "input_tokens", "1,500/min"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "│ tokens") {
		t.Errorf("a kind with nothing known is shown:\n%s", text)
	}
	b.Reset()
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); !strings.Contains(page, `id="rate-limits"`) || !strings.Contains(page, "5,600 (70%)") {
		t.Errorf("the page lacks the rate limits")
	}
}
