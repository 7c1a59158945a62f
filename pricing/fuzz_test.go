package pricing

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
	"github.com/shopspring/decimal"
)

// parseBudget is what parsing n bytes may cost: the YAML parser's nodes, or JSON's maps, at
// a few dozen bytes per byte of input.
var parseBudget = fuzzcheck.Budget{AllocBase: 16 << 20, AllocPerByte: 256}

// FuzzParse feeds both catalog formats to Parse: it must never panic, it must stay within
// parseBudget, and a catalog it returns must hold its promises. The seeds are small (the
// embedded catalog is 4 KB): the fuzzer's minimiser spends its time on large ones.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "custom.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
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
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *Catalog
		var err error
		parseBudget.Check(t, len(data), func() { c, err = Parse("fuzz", data) })
		checkCatalog(t, data, c, err)
	})
}

// FuzzParseLiteLLM feeds LiteLLM's JSON format to its parser directly, past Parse's sniffing
// of the format, with the same promises as FuzzParse.
func FuzzParseLiteLLM(f *testing.F) {
	for _, s := range []string{
		`{"a": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05}}`,
		`{"sample_spec": {"input_cost_per_token": 0}, "m": {"input_cost_per_token": 1E-7, "output_cost_per_token": 2e-7, "cache_read_input_token_cost": 1e-8, "cache_creation_input_token_cost": 2e-8, "litellm_provider": "anthropic"}}`,
		"{\n  \"a\": {\"input_cost_per_token\": 1, \"output_cost_per_token\": 2},\n  \"a\": {\"input_cost_per_token\": 3, \"output_cost_per_token\": 4}\n}",
		`{"a": {"input_cost_per_token": -1, "output_cost_per_token": "2"}, "b": null, "": {}}`,
		`{"a": {"input_cost_per_token": 1e400, "output_cost_per_token": 1e-400, "litellm_provider": 5}}`,
		`{"a": [1, {"b": [[[]]]}]`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *Catalog
		var err error
		parseBudget.Check(t, len(data), func() { c, err = parseLiteLLM("fuzz", data) })
		if c != nil { // Parse sorts what parseLiteLLM returns
			slices.SortFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) })
		}
		checkCatalog(t, data, c, err)
	})
}

// checkCatalog holds a parse's result to its promises: an error that names the input and
// no catalog, or a catalog of sorted, distinct models at prices that are not negative and
// that Lookup finds.
func checkCatalog(t *testing.T, data []byte, c *Catalog, err error) {
	t.Helper()
	u := Usage{Input: 1_000_003, CacheRead: 7, CacheWrite5m: 11, CacheWrite1h: 13, Output: 999_999}
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
	slices.SortStableFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) })
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
}

// FuzzMoney checks that ParseMoney never panics, never accepts a negative amount and
// that what it accepts prints.
func FuzzMoney(f *testing.F) {
	for _, s := range []string{"5", "$5", "5.00", "0.003", "3e-06", "-5", "NaN", "1e-999999", "\u22125", "$.5E+3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d decimal.Decimal
		var err error
		parseBudget.Check(t, len(s), func() { d, err = ParseMoney(s); _ = FormatUSD(d) })
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
