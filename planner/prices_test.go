package planner

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// tiered is a catalog whose model has a prompt-size tier above 200k tokens (Sonnet 4.5's
// former one, prices.md) and a priority service tier.
func tiered(t *testing.T) *pricing.Catalog {
	t.Helper()
	cat, err := pricing.Parse("tiers.yaml", []byte(`
as_of: 2026-11-27
source: test
models:
  - id: tiered
    provider: anthropic
    input: 3
    output: 15
    above: [{tokens: 200000, input: 6, cache_write_5m: 7.50, cache_write_1h: 12, cache_read: 0.60, output: 22.50}]
    service_tiers:
      priority: {input: 6, output: 30}
`))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestStepCostTiers(t *testing.T) {
	cat := tiered(t)
	pin := func(st *plan.Step, tier string) *plan.Step {
		st.Request.JSON = map[string]any{"service_tier": tier}
		return st
	}
	cases := []struct {
		name                 string
		step                 *plan.Step
		low, expected, worst string
	}{
		{
			// The expected prompt is above 200k: every token at the tier.
			// Expected = low: 250000*6 + 1000*22.5 = 1500000 + 22500 micro-dollars.
			// Worst (priority above 200k, derived: input 6*6/3 = 12, output 30*22.5/15 = 45):
			// 300000*12 + 2000*45 = 3600000 + 90000.
			"a long prompt", usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("250000"), OutputTokens: dec("1000"), MaxInputTokens: 300000, MaxOutputTokens: 2000}),
			"1.5225", "1.5225", "3.69",
		},
		{
			// Expected below the threshold: 150000*3 + 1000*15 = 450000 + 15000. A
			// max_input_tokens that can cross it reserves at the tier; pinned to the standard
			// tier: 250000*6 + 2000*22.5 = 1500000 + 45000.
			"a bound that crosses the threshold", pin(usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("150000"), OutputTokens: dec("1000"), MaxInputTokens: 250000, MaxOutputTokens: 2000}), "default"),
			"0.465", "0.465", "1.545",
		},
		{
			// Not pinned: the worst case is the dearest tier, priority:
			// 2000*6 + 200*30 = 12000 + 6000; expected at standard: 1000*3 + 100*15.
			"any tier: the worst is priority", usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("1000"), OutputTokens: dec("100"), MaxOutputTokens: 200}),
			"0.0045", "0.0045", "0.018",
		},
		{
			// Pinned to priority: expected 1000*6 + 100*30 = 6000 + 3000, worst 2000*6 + 2000*30.
			"pinned to priority", pin(usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("1000"), OutputTokens: dec("100"), MaxOutputTokens: 2000}), "priority"),
			"0.009", "0.009", "0.072",
		},
		{
			// Pinned to standard: worst 2000*3 + 2000*15 = 6000 + 30000.
			"pinned to standard", pin(usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("1000"), OutputTokens: dec("100"), MaxOutputTokens: 2000}), "standard_only"),
			"0.0045", "0.0045", "0.036",
		},
		{
			// Fractional means, exactly: 1399.5*3 + 300.5*15 = 4198.5 + 4507.5 = 8706; the
			// input bound is 2 * 1399.5 = 2799: worst (priority) 2799*6 + 600*30 = 16794 + 18000.
			"fractional means", usageStep("x", "tiered",
				plan.Expect{InputTokens: dec("1399.5"), OutputTokens: dec("300.5"), MaxOutputTokens: 600}),
			"0.008706", "0.008706", "0.034794",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			low, exp, worst, err := StepCost(tc.step, cat)
			if err != nil {
				t.Fatal(err)
			}
			if !low.Equal(dec(tc.low)) || !exp.Equal(dec(tc.expected)) || worst == nil || !worst.Equal(dec(tc.worst)) {
				t.Errorf("low %s expected %s worst %v; want %s %s %s", low, exp, worst, tc.low, tc.expected, tc.worst)
			}
		})
	}
}

// A plan's inline prices price its requests once the planner adds them to the catalog.
func TestWithPlanPrices(t *testing.T) {
	p, err := plan.Parse(filepath.Join(t.TempDir(), "plan.yaml"), []byte(`version: 1
name: inline
target: http://127.0.0.1:9
pricing: {input: 3, output: 15}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 200}}
    usage: anthropic
    expect: {input_tokens: 1000, cacheable_tokens: 500, cache_hit_rate: 0%, output_tokens: 100}
scenarios:
  s: {users: 1, duration: 10s}
`), plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	st := p.Tasks[0].Steps[0]
	if _, _, _, err := StepCost(st, pricing.Default()); !errors.Is(err, pricing.ErrUnknownModel) {
		t.Fatalf("without the plan's prices: %v, want an unknown model", err)
	}
	base := pricing.Default()
	cat, err := WithPlanPrices(base, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.Lookup("plan:pricing"); err == nil {
		t.Error("WithPlanPrices changed the catalog it was given")
	}
	_, exp, worst, err := StepCost(st, cat)
	if err != nil {
		t.Fatal(err)
	}
	// No provider: a cache write left out costs 1.25 x input (the dearest rule), 3.75:
	// expected 500*3 + 500*3.75 + 100*15 = 1500 + 1875 + 1500 = 4875 micro-dollars;
	// worst: 2000 in, the 500 prefix written at 1h (2 x 3 = 6): 1500*3 + 500*6 + 200*15 =
	// 4500 + 3000 + 3000 = 10500.
	if !exp.Equal(dec("0.004875")) || worst == nil || !worst.Equal(dec("0.0105")) {
		t.Errorf("expected %s worst %v, want 0.004875 0.0105", exp, worst)
	}
}
