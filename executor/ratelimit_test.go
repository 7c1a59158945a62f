package executor

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// rateLimitedPlan sends Anthropic Messages requests as fast as 3 users can.
const rateLimitedPlan = `version: 1
name: rl
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
RATE_LIMIT
tasks:
  messages:
    request: {method: POST, path: /v1/messages, json: {model: claude-sonnet-4-5, max_tokens: 300, messages: [{role: user, content: "hello there"}]}}
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 250, max_input_tokens: 1200}
scenarios:
  s: {users: 3, duration: 1500ms}
`

// TestRateLimitHeadroom: against the mock with a limit of 20 requests (refilled over an hour:
// not in this run), the summary's rate_limits reports the lowest remaining the headers said
// (0, as the 21st request was refused) and the run's own use, which in a run shorter than a
// minute is everything it sent: the mock's ledger.
// Not parallel: see main_test.go.
func TestRateLimitHeadroom(t *testing.T) {
	url, srv := startMock(t, func(cfg *mock.Config) {
		cfg.RateLimit = &mock.RateLimit{RPM: 20, OTPM: 100_000, Per: time.Hour}
	})
	p := parsePlan(t, planWith(rateLimitedPlan, ""), url, nil)
	s := run(t, config(t, p, "s", url, nil))
	led := srv.Ledger().Snapshot()
	rl := s.RateLimits
	if rl == nil || rl.Requests == nil || rl.OutputTokens == nil || rl.InputTokens == nil {
		t.Fatalf("rate_limits %+v", rl)
	}
	sent := led.Requests[mock.PathMessages]["200"] + led.Requests[mock.PathMessages]["429"]
	if led.Requests[mock.PathMessages]["200"] != 20 || s.Actual.RateLimited == 0 || s.Actual.RateLimited != led.Requests[mock.PathMessages]["429"] {
		t.Fatalf("ledger %v, rate limited %d", led.Requests, s.Actual.RateLimited)
	}
	req := rl.Requests
	if req.Limit == nil || *req.Limit != 20 || req.LowestRemaining == nil || *req.LowestRemaining != 0 ||
		req.LowestElapsedS == nil || *req.LowestElapsedS < 0 || *req.LowestElapsedS > s.DurationS || req.LowestAt == nil {
		t.Errorf("requests %+v", req)
	}
	if req.PeakPerMinute != sent || req.PeakPerMinute != s.Actual.Requests {
		t.Errorf("peak requests/min %d, sent %d, summary %d", req.PeakPerMinute, sent, s.Actual.Requests)
	}
	if req.Headroom == nil || *req.Headroom != 20-sent || req.HeadroomShare == nil || *req.HeadroomShare >= 0 {
		t.Errorf("requests headroom %v share %v", req.Headroom, req.HeadroomShare)
	}
	out := rl.OutputTokens
	if out.PeakPerMinute != led.Tokens.Output || out.PeakPerMinute == 0 || out.Limit == nil || *out.Limit != 100_000 ||
		*out.Headroom != 100_000-led.Tokens.Output {
		t.Errorf("output tokens %+v (ledger output %d)", out, led.Tokens.Output)
	}
	// What was used, less the refill of 100000 an hour over the run (28 a second).
	if low := *out.LowestRemaining; low < 100_000-led.Tokens.Output || low > 100_000-led.Tokens.Output+100 {
		t.Errorf("output tokens: lowest remaining %d (ledger output %d)", low, led.Tokens.Output)
	}
	// Cache reads do not count toward the input limit.
	if in := rl.InputTokens; in.PeakPerMinute != led.Tokens.Input+led.Tokens.CacheWrite || in.Limit != nil {
		t.Errorf("input tokens %+v (ledger %+v)", in, led.Tokens)
	}
	if rl.Tokens.PeakPerMinute != led.Tokens.Input+led.Tokens.CacheWrite+led.Tokens.CacheRead+led.Tokens.Output {
		t.Errorf("tokens %+v (ledger %+v)", rl.Tokens, led.Tokens)
	}
	if rl.ResponsesWithHeaders != sent || rl.MaxRetryAfterS <= 0 {
		t.Errorf("responses with headers %d of %d, max retry-after %v", rl.ResponsesWithHeaders, sent, rl.MaxRetryAfterS)
	}
}

func planWith(p, rateLimit string) string {
	if rateLimit == "" {
		return strings.Replace(p, "RATE_LIMIT\n", "", 1)
	}
	return strings.Replace(p, "RATE_LIMIT", "rate_limit: "+rateLimit, 1)
}

// TestRateLimitITPMOTPM: the plan's itpm and otpm hold the run within the mock's limits of
// the same size (a window of 400 ms for a minute, so that the run spans several): the mock
// refuses nothing, while the same run without the plan's limits gets 429s.
// Not parallel: see main_test.go.
func TestRateLimitITPMOTPM(t *testing.T) {
	const span = 400 * time.Millisecond
	limits := func(cfg *mock.Config) {
		cfg.RateLimit = &mock.RateLimit{ITPM: 6000, OTPM: 1500, Per: span}
	}
	url, srv := startMock(t, limits)
	p := parsePlan(t, planWith(rateLimitedPlan, "{itpm: 6000, otpm: 1500}"), url, nil)
	cfg := config(t, p, "s", url, nil)
	cfg.rateWindow = span
	s := run(t, cfg)
	led := srv.Ledger().Snapshot()
	ok, refused := led.Requests[mock.PathMessages]["200"], led.Requests[mock.PathMessages]["429"]
	// 1.5 s is 3.75 windows of at most 5 requests (bounds 1200 in, 300 out; 250 out used):
	// between 5 and 5 + 4×6 requests.
	t.Logf("with the plan's limits: %d sent", ok)
	if refused != 0 || ok < 5 || ok > 30 || s.Actual.Requests != ok {
		t.Errorf("with the plan's limits: %d sent, %d refused by the mock (summary %d requests)", ok, refused, s.Actual.Requests)
	}
	url, srv = startMock(t, limits)
	p = parsePlan(t, planWith(rateLimitedPlan, ""), url, nil)
	run(t, config(t, p, "s", url, nil))
	if refused := srv.Ledger().Snapshot().Requests[mock.PathMessages]["429"]; refused == 0 {
		t.Errorf("without the plan's limits the mock refused nothing: the test cannot fail")
	}
}

// TestWindow: whatever is taken and given back, no span holds more than the limit, and a
// taking that does not fit waits for the slot that makes room.
func TestWindow(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const limit, span = 1000, time.Minute
	w := newWindow(limit, span, start)
	type taken struct {
		at time.Time
		n  int64
	}
	var log []taken
	rnd := rand.New(rand.NewPCG(1, 2))
	now := start
	for range 5000 {
		now = now.Add(time.Duration(rnd.IntN(2000)) * time.Millisecond)
		n := int64(1 + rnd.IntN(120))
		slot, wait := w.take(now, n)
		if wait > 0 {
			if wait > span+span/windowSlots {
				t.Fatalf("wait %s longer than the window", wait)
			}
			continue
		}
		// Half the time the request used less than it took: the rest is given back.
		used := n
		if rnd.IntN(2) == 0 {
			used = int64(rnd.IntN(int(n) + 1))
			w.give(slot, used-n)
		}
		log = append(log, taken{now, used})
	}
	for i := range log {
		var sum int64
		for j := i; j < len(log) && log[j].at.Sub(log[i].at) < span; j++ {
			sum += log[j].n
		}
		if sum > limit {
			t.Fatalf("%d in the minute from %s", sum, log[i].at.Sub(start))
		}
	}
	if len(log) < 1000 {
		t.Errorf("only %d takings fit", len(log))
	}
	// A request larger than the limit goes alone once the window is empty.
	w = newWindow(10, span, start)
	if _, wait := w.take(start, 11); wait != 0 {
		t.Errorf("an oversized request waits %s in an empty window", wait)
	}
	if _, wait := w.take(start.Add(time.Second), 1); wait != span {
		t.Errorf("after it, the next waits %s, want %s", wait, span)
	}
}

// TestRatePeak: the peak per minute is the busiest 60 consecutive seconds of what was sent,
// wherever they fall; a sending time before the start or far past it is clamped: the counts
// never grow past a week of seconds (a runner whose start was never set counted from year 1
// and ran out of memory).
func TestRatePeak(t *testing.T) {
	t.Parallel()
	rs := newRateStats(plan.RateLimit{OTPM: 1000})
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rs.begin(start)
	// 1 request a second for 200 s, and 10 more in seconds 100 to 109, each 7 output tokens.
	for i := range 200 {
		rs.used(start.Add(time.Duration(i)*time.Second+time.Millisecond), &pricing.Usage{Output: 7})
	}
	for i := range 10 {
		rs.used(start.Add(time.Duration(100+i)*time.Second), &pricing.Usage{Output: 7})
	}
	rs.used(start.Add(-time.Hour), nil)
	rs.used(start.Add(100*365*24*time.Hour), nil)
	sum := rs.summary()
	if r := sum.Requests; r.PeakPerMinute != 70 || r.Limit != nil {
		t.Errorf("requests %+v", r)
	}
	if o := sum.OutputTokens; o.PeakPerMinute != 490 || *o.Limit != 1000 || *o.Headroom != 510 || o.PeakEndS < 110 || o.PeakEndS > 159 {
		t.Errorf("output %+v", o)
	}
	if len(rs.secs) != maxRateSeconds {
		t.Errorf("%d seconds kept", len(rs.secs))
	}
}
