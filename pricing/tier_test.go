package pricing

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// sonnetTiered is Claude Sonnet 4.5 with its former long-context tier (prices.md: input over
// 200K tokens 6 / 7.50 / 12 / 0.60 / 22.50) and a priority tier at twice the input and output.
func sonnetTiered(t *testing.T) Price {
	t.Helper()
	c, err := Parse("t.yaml", []byte(`
models:
  - id: claude-sonnet-4-5
    provider: anthropic
    input: 3
    output: 15
    above: [{tokens: 200k, input: 6, cache_write_5m: 7.50, cache_write_1h: 12, cache_read: 0.60, output: 22.50}]
    service_tiers:
      priority: {input: 6, output: 30}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c.Prices[0]
}

func TestPriceCostTiers(t *testing.T) {
	p := sonnetTiered(t)
	tests := []struct {
		name  string
		usage Usage
		want  string
	}{
		{
			// A prompt of exactly 200,000 tokens does not exceed the threshold:
			// 200000*3e-6 + 1000*15e-6 = 0.6 + 0.015
			"at the threshold: standard", Usage{Input: 200_000, Output: 1000}, "0.615",
		},
		{
			// One token more and every token is billed at the tier:
			// 200001*6e-6 + 1000*22.5e-6 = 1.200006 + 0.0225
			"one token above: all tokens at the tier", Usage{Input: 200_001, Output: 1000}, "1.222506",
		},
		{
			// The prompt counts cache reads and writes: 1000 + 150000 + 50000 = 201000 > 200k:
			// 1000*6e-6 + 150000*0.6e-6 + 50000*7.5e-6 + 100*22.5e-6 = 0.006 + 0.09 + 0.375 + 0.00225
			"cached tokens count toward the prompt", Usage{Input: 1000, CacheRead: 150_000, CacheWrite5m: 50_000, Output: 100}, "0.47325",
		},
		{
			// Priority: 1000*6e-6 + 1000*30e-6 = 0.006 + 0.03
			"priority tier", Usage{Input: 1000, Output: 1000, ServiceTier: "priority"}, "0.036",
		},
		{"tier names are case-insensitive", Usage{Input: 1000, Output: 1000, ServiceTier: " Priority"}, "0.036"},
		{
			// OpenAI's "default" and Anthropic's "standard" are the standard rates:
			// 1000*3e-6 + 1000*15e-6 = 0.003 + 0.015
			"default is standard", Usage{Input: 1000, Output: 1000, ServiceTier: "default"}, "0.018",
		},
		{"standard is standard", Usage{Input: 1000, Output: 1000, ServiceTier: "standard"}, "0.018"},
		{
			// Priority above 200k is derived: priority × above ÷ standard, bucket by bucket:
			// input 6*6/3 = 12, cache read 0.6*0.6/0.3 = 1.2, output 30*22.5/15 = 45;
			// 100000*12e-6 + 150000*1.2e-6 + 1000*45e-6 = 1.2 + 0.18 + 0.045
			"priority above the threshold", Usage{Input: 100_000, CacheRead: 150_000, Output: 1000, ServiceTier: "priority"}, "1.425",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Cost(tt.usage)
			if err != nil {
				t.Fatal(err)
			}
			assertMoney(t, "Cost", got, tt.want)
		})
	}
}

// A tier the model has no price for is an error, never the standard rate.
func TestPriceCostUnpricedTier(t *testing.T) {
	p := sonnetTiered(t)
	for _, tier := range []string{"flex", "batch", "auto", "scale"} {
		_, err := p.Cost(Usage{Input: 10, Output: 10, ServiceTier: tier})
		var ute *UnpricedTierError
		if !errors.Is(err, ErrUnpricedTier) || !errors.As(err, &ute) || ute.Tier != tier {
			t.Errorf("tier %s: error %v, want an UnpricedTierError for it", tier, err)
			continue
		}
		if want := `no price for the service tier "` + tier + `" of claude-sonnet-4-5 (priced: standard, priority)`; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
}

func TestWorstCost(t *testing.T) {
	p := sonnetTiered(t)
	worst := Usage{Input: 3000, CacheWrite1h: 1000, Output: 1000}   // prompt 4000
	long := Usage{Input: 249_000, CacheWrite1h: 1000, Output: 1000} // prompt 250000
	tests := []struct {
		name  string
		usage Usage
		tier  string
		want  string
	}{
		{
			// Any tier: the dearest, priority: input 6, cache write 1h 2*6 = 12 (its cache
			// prices scale with its input), output 30:
			// 3000*6e-6 + 1000*12e-6 + 1000*30e-6 = 0.018 + 0.012 + 0.03
			"any tier: the dearest", worst, AnyTier, "0.06",
		},
		{
			// Pinned to standard: 3000*3e-6 + 1000*6e-6 + 1000*15e-6 = 0.009 + 0.006 + 0.015
			"pinned to standard", worst, "default", "0.03",
		},
		{"pinned to a tier with no price: any", worst, "flex", "0.06"},
		{
			// A prompt that may cross the threshold reserves at the tier's rates:
			// standard above 200k: 249000*6e-6 + 1000*12e-6 + 1000*22.5e-6 = 1.494 + 0.012 + 0.0225
			"standard above the threshold", long, "standard", "1.5285",
		},
		{
			// Priority above 200k (derived: input 12, 1h write 24, output 45):
			// 249000*12e-6 + 1000*24e-6 + 1000*45e-6 = 2.988 + 0.024 + 0.045
			"any tier above the threshold", long, AnyTier, "3.057",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMoney(t, "WorstCost", p.WorstCost(tt.usage, tt.tier), tt.want)
			// The worst case is never below what the usage costs at any priced tier.
			for _, tier := range p.TierNames() {
				u := tt.usage
				u.ServiceTier = tier
				c, err := p.Cost(u)
				if err != nil {
					t.Fatal(err)
				}
				if pinned := ServiceTierName(tt.tier); (pinned == ServiceTierName(tier) || tt.tier == AnyTier) && c.GreaterThan(p.WorstCost(tt.usage, tt.tier)) {
					t.Errorf("tier %s costs %s, more than the worst case %s", tier, c, p.WorstCost(tt.usage, tt.tier))
				}
			}
		})
	}
}

func TestParseYAMLTiers(t *testing.T) {
	c, err := Parse("t.yaml", []byte(`
models:
  - id: m
    provider: openai
    input: 1.25
    cache_read: 0.125
    output: 10
    above:
      - {tokens: 272_000, input: 2.50, cache_read: 0.25, output: 15}
      - {tokens: 128000, input: 2, output: 12}
    service_tiers:
      priority: {input: 2.50, cache_read: 0.25, output: 20}
      flex: {input: 0.625, output: 5, above: [{tokens: 272k, input: 1.25, output: 7.5}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Prices[0]
	if len(p.Above) != 2 || p.Above[0].Tokens != 128_000 || p.Above[1].Tokens != 272_000 {
		t.Fatalf("Above = %+v, want thresholds 128000 then 272000", p.Above)
	}
	// Left out: the 128k tier's cache read scales with its input, 0.125 * 2/1.25 = 0.2.
	assertMoney(t, "above 128k cache read", p.Above[0].CacheReadPerMTok, "0.2")
	flex := p.ServiceTiers["flex"]
	// Left out: flex's cache read 0.125 * 0.625/1.25 = 0.0625.
	assertMoney(t, "flex cache read", flex.CacheReadPerMTok, "0.0625")
	// flex has its own 272k tier and gets a derived 128k one: 0.625 * 2/1.25 = 1.
	if len(flex.Above) != 2 {
		t.Fatalf("flex Above = %+v, want two thresholds", flex.Above)
	}
	assertMoney(t, "flex above 128k input", flex.Above[0].InputPerMTok, "1")
	assertMoney(t, "flex above 272k input", flex.Above[1].InputPerMTok, "1.25")
	// priority gets both thresholds derived; above 272k: 2.5 * 2.5/2 = 3.125 (its rate just
	// below 272k is the derived 128k one, 2.5 * 2/1.25 = 4; 4 * 2.5/2 = 5).
	pri := p.ServiceTiers["priority"]
	assertMoney(t, "priority above 128k input", pri.Above[0].InputPerMTok, "4")
	assertMoney(t, "priority above 272k input", pri.Above[1].InputPerMTok, "5")
}

func TestParseYAMLTierErrors(t *testing.T) {
	tests := []struct {
		name, models string
		want         []string
	}{
		{"above not a list", "[{id: a, provider: x, input: 1, output: 1, above: {tokens: 5}}]",
			[]string{`t.yaml:1:59: models[0] (a): above: want a list such as [{tokens: 200000, input: 6, output: 22.50}], not a mapping`}},
		{"threshold missing and a price left out", "[{id: a, provider: x, input: 1, output: 1, above: [{input: 2}]}]",
			[]string{`t.yaml:1:60: models[0] (a): above[0]: output: missing`, `t.yaml:1:60: models[0] (a): above[0]: tokens: missing`}},
		{"bad threshold", "[{id: a, provider: x, input: 1, output: 1, above: [{tokens: -5, input: 2, output: 2}]}]",
			[]string{`t.yaml:1:69: models[0] (a): above[0]: tokens: "-5": want a positive whole number of prompt tokens`}},
		{"repeated threshold", "[{id: a, provider: x, input: 1, output: 1, above: [{tokens: 200k, input: 2, output: 2}, {tokens: 200000, input: 3, output: 3}]}]",
			[]string{`t.yaml:1:106: models[0] (a): above[1]: tokens: 200000 is already a threshold (at 1:69)`}},
		{"bad tier price", "[{id: a, provider: x, input: 1, output: 1, above: [{tokens: 5, input: -2, output: 2}]}]",
			[]string{`t.yaml:1:79: models[0] (a): above[0]: input: "-2" is not a price (negative)`}},
		{"unknown tier", "[{id: a, provider: x, input: 1, output: 1, service_tiers: {priorty: {input: 2, output: 2}}}]",
			[]string{`t.yaml:1:68: models[0] (a): service_tiers: unknown field "priorty" (did you mean "priority"?)`}},
		{"tier not a mapping", "[{id: a, provider: x, input: 1, output: 1, service_tiers: {flex: 5}}]",
			[]string{`t.yaml:1:74: models[0] (a): service_tiers.flex: want a mapping such as {input: 6, output: 30}, not "5"`}},
		{"unknown key in a tier", "[{id: a, provider: x, input: 1, output: 1, service_tiers: {flex: {input: 1, output: 1, cache_write: 1}}}]",
			[]string{`t.yaml:1:96: models[0] (a): service_tiers.flex: unknown field "cache_write" (did you mean "cache_write_5m"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte("models: "+tt.models+"\n"))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("error:\n%v\nwant %d lines", err, len(tt.want))
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("error line %d:\n%s\nwant it to start with\n%s", i+1, lines[i], want)
				}
			}
		})
	}
}

func TestParseLiteLLMTiers(t *testing.T) {
	c, err := Parse("p.json", []byte(`{
  "claude-sonnet-4-5": {"litellm_provider": "anthropic",
    "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06,
    "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05,
    "cache_read_input_token_cost_above_200k_tokens": 6e-07,
    "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.2e-05},
  "gemini-like": {"litellm_provider": "vertex_ai",
    "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
    "input_cost_per_token_above_128k_tokens": 2.5e-06, "output_cost_per_token_above_128k_tokens": 1.5e-05},
  "gpt-5": {"litellm_provider": "openai",
    "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-07,
    "input_cost_per_token_priority": 2.5e-06, "output_cost_per_token_priority": 2e-05,
    "cache_read_input_token_cost_priority": 2.5e-07,
    "input_cost_per_token_flex": 6.25e-07, "output_cost_per_token_flex": 5e-06,
    "input_cost_per_token_batches": 6.25e-07, "output_cost_per_token_batches": 5e-06,
    "input_cost_per_token_above_272k_tokens_priority": 5e-06}
}`))
	if err != nil {
		t.Fatal(err)
	}
	sonnet, _ := c.Lookup("claude-sonnet-4-5")
	if len(sonnet.Above) != 1 || sonnet.Above[0].Tokens != 200_000 {
		t.Fatalf("sonnet Above = %+v", sonnet.Above)
	}
	a := sonnet.Above[0]
	for _, f := range []struct{ name, got, want string }{
		{"input", a.InputPerMTok.String(), "6"}, {"output", a.OutputPerMTok.String(), "22.5"},
		{"cache read", a.CacheReadPerMTok.String(), "0.6"}, {"cache write 5m", a.CacheWrite5mPerMTok.String(), "7.5"},
		{"cache write 1h", a.CacheWrite1hPerMTok.String(), "12"},
	} {
		assertMoney(t, "sonnet above 200k "+f.name, d(f.got), f.want)
	}
	if len(sonnet.ServiceTiers) != 0 {
		t.Errorf("sonnet ServiceTiers = %v, want none (no _priority keys)", sonnet.ServiceTiers)
	}
	gem, _ := c.Lookup("gemini-like")
	if len(gem.Above) != 1 || gem.Above[0].Tokens != 128_000 {
		t.Fatalf("gemini Above = %+v", gem.Above)
	}
	// No cache fields: cache prices are the input price (no discount known), and above 128k
	// they scale with it: 2.5.
	assertMoney(t, "gemini above 128k cache read", gem.Above[0].CacheReadPerMTok, "2.5")
	gpt, _ := c.Lookup("gpt-5")
	if got := strings.Join(gpt.TierNames(), ","); got != "standard,batch,flex,priority" {
		t.Fatalf("gpt-5 tiers %s", got)
	}
	pri := gpt.ServiceTiers["priority"]
	assertMoney(t, "priority input", pri.InputPerMTok, "2.5")
	assertMoney(t, "priority cache read", pri.CacheReadPerMTok, "0.25")
	assertMoney(t, "priority output", pri.OutputPerMTok, "20")
	if len(pri.Above) != 1 || pri.Above[0].Tokens != 272_000 {
		t.Fatalf("priority Above = %+v", pri.Above)
	}
	// Above 272k priority gives only input, 5: output scales with it, 20 * 5/2.5 = 40.
	assertMoney(t, "priority above 272k output", pri.Above[0].OutputPerMTok, "40")
	// flex's cache read scales with its input: 0.125 * 0.625/1.25 = 0.0625.
	assertMoney(t, "flex cache read", gpt.ServiceTiers["flex"].CacheReadPerMTok, "0.0625")
	// A priority response of gpt-5: 1000*2.5e-6 + 1000*20e-6 = 0.0025 + 0.02.
	cost, err := gpt.Cost(Usage{Input: 1000, Output: 1000, ServiceTier: "priority"})
	if err != nil {
		t.Fatal(err)
	}
	assertMoney(t, "priority cost", cost, "0.0225")
}

func TestParseLiteLLMTierErrors(t *testing.T) {
	_, err := Parse("p.json", []byte(`{"m": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05,
		"input_cost_per_token_above_200k_tokens": "2e-06"}}`))
	want := `p.json:1:5: model "m": input_cost_per_token_above_200k_tokens: want a number of USD per token, not the string "2e-06"`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestMerge(t *testing.T) {
	base, err := Parse("base.yaml", []byte(`
as_of: 2026-11-27
source: embedded
models:
  - {id: claude-sonnet-4-0, provider: anthropic, aliases: [claude-sonnet-4], input: 3, output: 15}
  - {id: gpt-4o, provider: openai, input: 2.50, cache_read: 1.25, output: 10}
`))
	if err != nil {
		t.Fatal(err)
	}
	over, err := Parse("over.json", []byte(`{
  "gpt-4o": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, "litellm_provider": "openai"},
  "claude-sonnet-4": {"input_cost_per_token": 2.7e-06, "output_cost_per_token": 1.35e-05, "litellm_provider": "anthropic"},
  "new-model": {"input_cost_per_token": 1e-07, "output_cost_per_token": 2e-07}
}`))
	if err != nil {
		t.Fatal(err)
	}
	over.AsOf = "2026-12-01"
	m := base.Merge(over)
	for _, tt := range []struct{ name, model, input string }{
		{"the file's row wins", "gpt-4o", "2"},
		{"the file's id takes the alias", "claude-sonnet-4", "2.7"},
		{"the base's own id stays", "claude-sonnet-4-0", "3"},
		{"the file's new model", "new-model", "0.1"},
	} {
		p, err := m.Lookup(tt.model)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		assertMoney(t, tt.name, p.InputPerMTok, tt.input)
	}
	if m.AsOf != "2026-11-27" || m.Source != "over.json; then embedded" {
		t.Errorf("AsOf, Source = %q, %q", m.AsOf, m.Source)
	}
	if p, _ := base.Lookup("claude-sonnet-4"); p.Model != "claude-sonnet-4-0" {
		t.Errorf("Merge changed its receiver: claude-sonnet-4 is now %s", p.Model)
	}
}

func TestNewPrice(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		prices   map[string]string
		want     [5]string // input, cache write 5m, cache write 1h, cache read, output
		err      string
	}{
		{"all five", "", map[string]string{"input": "3", "output": "15", "cache_read": "0.30", "cache_write_5m": "3.75", "cache_write_1h": "6"},
			[5]string{"3", "3.75", "6", "0.3", "15"}, ""},
		{"no provider: the dearest rule", "", map[string]string{"input": "2", "output": "8"},
			[5]string{"2", "2.5", "4", "2", "8"}, ""},
		{"openai rule", "openai", map[string]string{"input": "2", "output": "8", "cache_read": "0.5"},
			[5]string{"2", "2", "2", "0.5", "8"}, ""},
		{"missing output", "", map[string]string{"input": "2"}, [5]string{}, "price of x: output: missing"},
		{"negative", "", map[string]string{"input": "-2", "output": "1"}, [5]string{}, "price of x: input: -2 is negative"},
		{"openai needs cache_read", "openai", map[string]string{"input": "2", "output": "8"}, [5]string{}, "price of x: cache_read: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prices := map[string]decimalValue{}
			for k, v := range tt.prices {
				prices[k] = d(v)
			}
			p, err := NewPrice("x", tt.provider, prices)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range []decimalValue{p.InputPerMTok, p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok, p.OutputPerMTok} {
				assertMoney(t, "price", got, tt.want[i])
			}
		})
	}
}

type decimalValue = decimal.Decimal
