package executor

import (
	"strings"
	"testing"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// costPlan drives every kind of token traffic of the mock: the service endpoints (plain and
// streamed) and both providers' APIs (plain and streamed).
const costPlan = `version: 1
name: cost
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: "hello {{seq}}", max_tokens: 512}}
    expect: {input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 300, max_input_tokens: 4000}
  stream:
    request: {method: POST, path: /api/chat/stream, json: {message: "hello", max_tokens: 1024}, stream: true}
    expect: {input_tokens: 1500, cacheable_tokens: 1000, output_tokens: 400, max_input_tokens: 4000}
  messages:
    request: {method: POST, path: /v1/messages, json: {model: claude-sonnet-4-5, max_tokens: 300, messages: [{role: user, content: "hello there"}]}}
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 250, max_input_tokens: 1200}
  messages_stream:
    request: {method: POST, path: /v1/messages, stream: true, json: {model: claude-sonnet-4-5, max_tokens: 300, stream: true, messages: [{role: user, content: "hello there"}]}}
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 250, max_input_tokens: 1200}
  openai:
    request: {method: POST, path: /v1/chat/completions, json: {model: gpt-4o, max_tokens: 300, messages: [{role: user, content: "hello there"}]}}
    usage: openai
    model: gpt-4o
    expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: 250, max_input_tokens: 1300}
  openai_stream:
    request: {method: POST, path: /v1/chat/completions, stream: true, json: {model: gpt-4o, max_tokens: 300, stream: true, stream_options: {include_usage: true}, messages: [{role: user, content: "hello there"}]}}
    usage: openai
    model: gpt-4o
    expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: 250, max_input_tokens: 1300}
scenarios:
  s: {users: 4, duration: 1500ms, wait: {constant: 5ms}}
  budget: {users: 6, duration: 30s, budget: 0.20}
`

func with1hWrites(cfg *mock.Config) {
	for p, e := range cfg.Endpoints {
		e.CacheWrite1hShare = 0.3
		cfg.Endpoints[p] = e
	}
}

// TestMeterEqualsLedger: for traffic whose usage is visible (plain, streamed, cached, 1-hour
// writes, both providers, and 429s, 5xx and resets that bill nothing), the meter's total is
// the mock's ledger exactly.
// Not parallel: see main_test.go.
func TestMeterEqualsLedger(t *testing.T) {
	url, srv := startMock(t, func(cfg *mock.Config) {
		with1hWrites(cfg)
		cfg.Faults = mock.Faults{RateLimited: 0.04, Status500: 0.03, Status503: 0.02, Overloaded: 0.02, Reset: 0.02}
	})
	p := parsePlan(t, costPlan, url, nil)
	s := run(t, config(t, p, "s", url, nil))
	led := srv.Ledger().Snapshot()
	if !s.Actual.Cost.Equal(led.Cost) || !s.Meter.Spent.Equal(led.Cost) {
		t.Errorf("meter %s, summary %s, mock ledger %s", s.Meter.Spent, s.Actual.Cost, led.Cost)
	}
	if !s.Actual.CostEstimated.IsZero() || s.Meter.UnreportedCharged != 0 {
		t.Errorf("estimated %s (%d unreported) with every usage visible", s.Actual.CostEstimated, s.Meter.UnreportedCharged)
	}
	if s.Actual.Tokens != led.Tokens {
		t.Errorf("tokens %+v, ledger %+v", s.Actual.Tokens, led.Tokens)
	}
	if s.Actual.Failures == 0 || s.Actual.RateLimited == 0 {
		t.Errorf("no faults seen: %d failures, %d rate limited", s.Actual.Failures, s.Actual.RateLimited)
	}
	for _, tk := range s.Tasks {
		if tk.Requests == 0 || tk.Cost.IsZero() || tk.CostSource == "" {
			t.Errorf("%s: %d requests, cost %s, source %q", tk.Name, tk.Requests, tk.Cost, tk.CostSource)
		}
		if (tk.Name == "stream" || tk.Name == "messages_stream" || tk.Name == "openai_stream") != (tk.TTFT != nil) {
			t.Errorf("%s: ttft %v", tk.Name, tk.TTFT)
		}
	}
	if s.Actual.CacheHitRate == 0 || s.Actual.Tokens.CacheWrite == 0 {
		t.Errorf("cache hit rate %v, cache writes %d", s.Actual.CacheHitRate, s.Actual.Tokens.CacheWrite)
	}
	if !s.Meter.BoundsHeld || !s.Meter.Reserved.IsZero() {
		t.Errorf("meter %+v", s.Meter)
	}
}

// TestCutStreams: streams cut or ending in an error, and bodies that are not valid JSON, are
// charged at least what the mock billed, the difference no more than the part flagged
// estimated.
// Not parallel: see main_test.go.
func TestCutStreams(t *testing.T) {
	url, srv := startMock(t, func(cfg *mock.Config) {
		cfg.Faults = mock.Faults{StreamCut: 0.25, StreamError: 0.15, InvalidJSON: 0.1}
	})
	p := parsePlan(t, costPlan, url, nil)
	s := run(t, config(t, p, "s", url, nil))
	led := srv.Ledger().Snapshot()
	spent := s.Meter.Spent
	if spent.LessThan(led.Cost) {
		t.Errorf("meter %s undercounts the ledger %s", spent, led.Cost)
	}
	if diff := spent.Sub(led.Cost); diff.GreaterThan(s.Actual.CostEstimated) {
		t.Errorf("meter %s - ledger %s = %s, more than the estimated part %s", spent, led.Cost, diff, s.Actual.CostEstimated)
	}
	if !s.Actual.CostEstimated.IsPositive() {
		t.Errorf("nothing flagged estimated")
	}
	cut := int64(0)
	for _, f := range s.Failures {
		if f.Error == "stream cut" || f.Error == "stream error: overloaded_error" || f.Error == "invalid JSON" {
			cut += f.Occurrences
		}
	}
	if cut == 0 {
		t.Errorf("no cut stream seen: %+v", s.Failures)
	}
}

// TestBudgetExhausted: a capped run stops with budget_exhausted, having spent no more than the
// budget and at least the budget minus the largest single worst case.
func TestBudgetExhausted(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, nil)
	p := parsePlan(t, costPlan, url, nil)
	sc := p.Scenario("budget")
	cfg := config(t, p, "budget", url, sc.Budget)
	var overBudget bool
	cfg.OnProgress = func(pr summary.Progress) {
		if pr.Budget != nil && pr.Spent.Add(pr.Reserved).GreaterThan(*pr.Budget) {
			overBudget = true
		}
	}
	s := run(t, cfg)
	budget := *sc.Budget
	if s.StopReason != summary.StopBudgetExhausted || !s.Partial {
		t.Fatalf("stop %s (%s)", s.StopReason, s.StopDetail)
	}
	spent := s.Meter.Spent
	floor := budget.Sub(s.Meter.LargestWorstCase)
	if spent.GreaterThan(budget) || spent.LessThan(floor) {
		t.Errorf("spent %s: want within [%s, %s]", spent, floor, budget)
	}
	if overBudget {
		t.Errorf("spent + reserved went over the budget during the run")
	}
	if led := srv.Ledger().Snapshot(); !led.Cost.Equal(spent) {
		t.Errorf("meter %s, ledger %s", spent, led.Cost)
	}
	if s.Budget == nil || !s.Budget.Limit.Equal(decimal.RequireFromString("0.2")) {
		t.Errorf("budget %+v", s.Budget)
	}
}

const promPlan = `version: 1
name: prom
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  dte:
    request: {method: POST, path: /api/dte/validate, json: {message: "validate {{seq}}", max_tokens: 400}}
    usage: {prometheus: {path: /metrics, SOURCE}}
    expect: {input_tokens: 2500, cacheable_tokens: 2000, output_tokens: 200, max_input_tokens: 6000}
scenarios:
  s: {users: 3, duration: 2500ms, wait: {constant: 20ms}, budget: 5}
`

// TestPrometheusUsage: requests priced by the service's Prometheus counters are settled from
// the scrapes, and the meter ends equal to what the counters (the ledger) say.
// Not parallel: see main_test.go.
func TestPrometheusUsage(t *testing.T) {
	sources := map[string]string{
		"tokens": `input: 'claude_api_tokens_total{type="input"}', output: 'claude_api_tokens_total{type="output"}', cache_read: 'claude_api_tokens_total{type="cache_read"}', cache_write: 'claude_api_tokens_total{type="cache_write"}'`,
		"cost":   `cost_usd: claude_api_cost_usd_total`,
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, srv := startMock(t, nil)
			p := parsePlan(t, strings.Replace(promPlan, "SOURCE", src, 1), url, nil)
			budget := decimal.NewFromInt(5)
			s := run(t, config(t, p, "s", url, &budget))
			led := srv.Ledger().Snapshot()
			if s.Actual.Requests == 0 || !led.Cost.IsPositive() {
				t.Fatalf("requests %d, ledger %s", s.Actual.Requests, led.Cost)
			}
			// Token counters are exact; the mock sums its cost counter in floating point, so
			// that one agrees with the ledger to within float noise only.
			tol := decimal.Zero
			if name == "cost" {
				tol = decimal.New(1, -9)
			}
			if s.Meter.Spent.Sub(led.Cost).Abs().GreaterThan(tol) || !s.Actual.Cost.Equal(s.Meter.Spent) || !s.Meter.Reserved.IsZero() {
				t.Errorf("meter %s (reserved %s), summary %s, ledger %s", s.Meter.Spent, s.Meter.Reserved, s.Actual.Cost, led.Cost)
			}
			if tk := row(s, "dte"); tk.CostSource != "prometheus" {
				t.Errorf("cost source %q", tk.CostSource)
			}
			// Costs were settled during the run, not only at the end.
			settled := false
			for _, pt := range s.Timeline {
				settled = settled || pt.Spent.IsPositive()
			}
			if !settled {
				t.Errorf("nothing settled before the end: %+v", s.Timeline)
			}
		})
	}
}

// TestOverrun: a response that costs more than its reservation (the plan's max_input_tokens
// is below what the service sends) stops the run at once with overrun, recorded in full.
func TestOverrun(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, nil)
	plan := strings.Replace(costPlan, "{input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 300, max_input_tokens: 4000}",
		"{input_tokens: 100, output_tokens: 300, max_input_tokens: 100}", 1)
	p := parsePlan(t, plan, url, nil)
	budget := decimal.NewFromInt(5)
	s := run(t, config(t, p, "s", url, &budget))
	if s.StopReason != summary.StopOverrun || s.Meter.BoundsHeld || s.Meter.Overruns == 0 {
		t.Fatalf("stop %s (%s), meter %+v", s.StopReason, s.StopDetail, s.Meter)
	}
	if !strings.Contains(s.StopDetail, "chat cost") {
		t.Errorf("detail %q", s.StopDetail)
	}
	if led := srv.Ledger().Snapshot(); s.Meter.Spent.LessThan(led.Cost) {
		t.Errorf("meter %s, ledger %s: an overrun is charged in full", s.Meter.Spent, led.Cost)
	}
}

// TestStreamWithoutUsage: an OpenAI stream without stream_options.include_usage reports no
// usage; it is not a failure, and it is charged its reservation, flagged estimated.
func TestStreamWithoutUsage(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, nil)
	plan := strings.Replace(costPlan, "stream: true, stream_options: {include_usage: true}, ", "stream: true, ", 1)
	p := parsePlan(t, plan, url, nil)
	s := run(t, config(t, p, "s", url, nil))
	tk := row(s, "openai_stream")
	if tk.Requests == 0 || tk.Failures != 0 || !tk.CostEstimated.Equal(tk.Cost) || !tk.Cost.IsPositive() {
		t.Errorf("openai_stream: %d requests, %d failures, cost %s, estimated %s", tk.Requests, tk.Failures, tk.Cost, tk.CostEstimated)
	}
	if s.Meter.UnreportedCharged != tk.Requests {
		t.Errorf("%d unreported, want %d", s.Meter.UnreportedCharged, tk.Requests)
	}
	led := srv.Ledger().Snapshot()
	if spent := s.Meter.Spent; spent.LessThan(led.Cost) || spent.Sub(led.Cost).GreaterThan(s.Actual.CostEstimated) {
		t.Errorf("meter %s, ledger %s, estimated %s", spent, led.Cost, s.Actual.CostEstimated)
	}
}
