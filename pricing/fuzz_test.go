package pricing

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds both catalog formats to Parse: it must never panic, and a catalog it
// returns must hold its promises.
func FuzzParse(f *testing.F) {
	f.Add(embeddedCatalog)
	for _, name := range []string{"litellm.json", "custom.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"models: [{id: a, provider: openai, input: 1, cache_read: 0.5, output: 2}]",
		"models: [&m {id: a, provider: x, input: 1e-40, output: 2}, *m]",
		"as_of: 2026-11-27\nmodels:\n  - {id: a, aliases: [b, c], provider: anthropic, input: $3, output: 15}\n",
		`{"models": [{"id": "a", "provider": "x", "input": 1, "output": 2}]}`,
		`{"a": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "cache_read_input_token_cost": null}}`,
		`{"a": {"input_cost_per_token": "x"}, "b": [], "": {}}`,
		`{"a": {"input_cost_per_token": 1e-40, "output_cost_per_token": 9e40}} trailing`,
		"models: [{id: a, provider: anthropic, input: 3, output: 15, above: [{tokens: 200k, input: 6, output: 22.5}], service_tiers: {priority: {input: 6, output: 30, above: [{tokens: 1m, input: 7, output: 31}]}, flex: {input: 0, output: 1}}}]",
		`{"a": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_priority": 3e-05, "input_cost_per_token_priority": 0, "cache_read_input_token_cost_above_128k_tokens_flex": 1e-07}}`,
	} {
		f.Add([]byte(s))
	}
	u := Usage{Input: 1_000_003, CacheRead: 7, CacheWrite5m: 11, CacheWrite1h: 13, Output: 999_999}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz", data)
		if err != nil {
			if c != nil {
				t.Fatal("a catalog returned with an error")
			}
			if err.Error() == "" || !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		if len(c.Prices) == 0 {
			t.Fatal("a catalog without prices")
		}
		if !slices.IsSortedFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) }) {
			t.Fatal("prices not sorted by model")
		}
		for i, p := range c.Prices {
			if i > 0 && c.Prices[i-1].Model == p.Model {
				t.Fatalf("model %q twice", p.Model)
			}
			for _, v := range []struct {
				name  string
				value interface{ IsNegative() bool }
			}{
				{"input", p.InputPerMTok}, {"cache write 5m", p.CacheWrite5mPerMTok},
				{"cache write 1h", p.CacheWrite1hPerMTok}, {"cache read", p.CacheReadPerMTok},
				{"output", p.OutputPerMTok},
			} {
				if v.value.IsNegative() {
					t.Fatalf("%s: negative %s price", p.Model, v.name)
				}
			}
			got, err := c.Lookup(p.Model)
			if err != nil || got.Model != p.Model {
				t.Fatalf("Lookup(%q) = %q, %v", p.Model, got.Model, err)
			}
			for _, a := range p.Aliases {
				if got, err := c.Lookup(a); err != nil || got.Model != p.Model {
					t.Fatalf("Lookup(alias %q) = %q, %v; want %q", a, got.Model, err, p.Model)
				}
			}
			cost, err := p.Cost(u)
			if err != nil {
				t.Fatalf("%s: %v", p.Model, err)
			}
			// Every priced tier prices, never below zero, never above the worst case.
			for _, tier := range p.TierNames() {
				for _, prompt := range []int64{0, 128_001, 200_001, 1 << 40} {
					tu := Usage{Input: prompt, Output: 1000, ServiceTier: tier}
					c, err := p.Cost(tu)
					if err != nil || c.IsNegative() || c.GreaterThan(p.WorstCost(tu, AnyTier)) || c.GreaterThan(p.WorstCost(tu, tier)) {
						t.Fatalf("%s at %s, prompt %d: cost %s (%v), worst %s / %s", p.Model, tier, prompt, c, err,
							p.WorstCost(tu, AnyTier), p.WorstCost(tu, tier))
					}
				}
			}
			if cost.IsNegative() {
				t.Fatalf("%s: negative cost %s", p.Model, cost)
			}
			if FormatUSD(cost) == "" {
				t.Fatal("FormatUSD gave nothing")
			}
		}
		_, _ = c.Lookup(string(data[:min(len(data), 40)]))
	})
}

// FuzzMoney checks that ParseMoney never panics, never accepts a negative amount and
// that what it accepts prints.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{"5", "$5", "5.00", "0.003", "3e-06", "-5", "NaN", "1e-999999", "\u22125", "$.5E+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseMoney(s)
		if err != nil {
			if !strings.Contains(err.Error(), moneyHint) {
				t.Fatalf("error %q does not say what is valid", err)
			}
			return
		}
		if d.IsNegative() {
			t.Fatalf("ParseMoney(%q) = %s, negative", s, d)
		}
		if FormatUSD(d) == "" {
			t.Fatal("FormatUSD gave nothing")
		}
	})
}
