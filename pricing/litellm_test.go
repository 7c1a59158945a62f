package pricing

import (
	"github.com/shopspring/decimal"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLiteLLM(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "litellm.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("testdata/litellm.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "testdata/litellm.json" || c.AsOf != "" {
		t.Errorf("Source, AsOf = %q, %q; want the name and no date (Load sets it)", c.Source, c.AsOf)
	}
	var ids []string
	for _, p := range c.Prices {
		ids = append(ids, p.Model)
	}
	// sample_spec is not a model; the embedding has no output price, the image model prices
	// pixels: all three are skipped.
	if got, want := strings.Join(ids, " "), "claude-sonnet-4-5 gpt-4o mistral/mistral-small-latest"; got != want {
		t.Fatalf("models %q, want %q", got, want)
	}
	tests := []struct {
		model    string
		provider string
		// input, cache write 5m, cache write 1h, cache read, output (USD per million tokens)
		want [5]string
	}{
		// The Sonnet row of prices.md, from "3e-06" and friends.
		{"claude-sonnet-4-5", "anthropic", [5]string{"3", "3.75", "6", "0.30", "15"}},
		// No cache write fields: writes cost the input price.
		{"gpt-4o", "openai", [5]string{"2.50", "2.50", "2.50", "1.25", "10"}},
		// No cache fields at all: no discount known.
		{"mistral/mistral-small-latest", "mistral", [5]string{"0.1", "0.1", "0.1", "0.1", "0.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			p, err := c.Lookup(tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if p.Provider != tt.provider {
				t.Errorf("Provider = %q, want %q", p.Provider, tt.provider)
			}
			got := [5]struct {
				name  string
				value string
			}{
				{"input", p.InputPerMTok.String()},
				{"cache write 5m", p.CacheWrite5mPerMTok.String()},
				{"cache write 1h", p.CacheWrite1hPerMTok.String()},
				{"cache read", p.CacheReadPerMTok.String()},
				{"output", p.OutputPerMTok.String()},
			}
			for i, g := range got {
				assertMoney(t, g.name, d(g.value), tt.want[i])
			}
		})
	}
	t.Run("anthropic message costs the same as with the embedded catalog", func(t *testing.T) {
		u := Usage{Input: 295, CacheRead: 1800, Output: 143}
		got, err := c.Cost(u, "claude-sonnet-4-5-20250929")
		if err != nil {
			t.Fatal(err)
		}
		assertMoney(t, "Cost", got, "0.003570")
	})
}

func TestParseLiteLLMExact(t *testing.T) {
	// Per-token prices with more digits than a float64 holds must survive the conversion.
	c, err := Parse("x.json", []byte(`{"m": {"input_cost_per_token": 1.2345678901234567890123e-06, "output_cost_per_token": 0.0000150000000000000001}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Prices[0]
	assertMoney(t, "input", p.InputPerMTok, "1.2345678901234567890123")
	assertMoney(t, "output", p.OutputPerMTok, "15.0000000000000001")
}

func TestParseLiteLLMErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // each a line of the error, in order
	}{
		{"price as a string", `{"a": {"input_cost_per_token": "3e-06", "output_cost_per_token": 1e-5}}`,
			[]string{`x.json:1:5: model "a": input_cost_per_token: want a number of USD per token, not the string "3e-06"`}},
		{"negative price", `{"a": {"input_cost_per_token": 3e-06, "output_cost_per_token": -1e-5}}`,
			[]string{`x.json:1:5: model "a": output_cost_per_token: -1e-5 is not a price (negative)`}},
		{"bad cache field even when skipped", `{"a": {"cache_read_input_token_cost": true}}`,
			[]string{`x.json:1:5: model "a": cache_read_input_token_cost: want a number of USD per token, not true`}},
		{"provider not text", `{"a": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-5, "litellm_provider": 5}}`,
			[]string{`x.json:1:5: model "a": litellm_provider: want text, not a number`}},
		{"entry not an object", "{\n  \"a\": [1]\n}", []string{`x.json:2:6: model "a": want an object of fields, not an array`}},
		{"empty id", `{"": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-5}}`, []string{`x.json:1:4: a model with an empty id`}},
		{"syntax error", "{\n  \"a\": {\"input_cost_per_token\": 3e-06 \"x\": 1}\n}",
			[]string{`x.json:2:35: LiteLLM price file: invalid character '"' after object key:value pair`}},
		{"cut short", `{"a": {"input_cost_per_token": 3e-06,`, []string{`x.json:1:38: LiteLLM price file: unexpected end of JSON input`}},
		{"data after the object", `{"a": {}} x`, []string{`x.json:1:`, "invalid character 'x'"}},
		{"no priced model", `{"sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0}, "e": {"input_cost_per_token": 1e-8}}`,
			[]string{`x.json: LiteLLM price file: no model with both input_cost_per_token and output_cost_per_token`}},
		{"exponent out of range", `{"a": {"input_cost_per_token": 1e-999999, "output_cost_per_token": 1e-5}}`,
			[]string{`x.json:1:5: model "a": input_cost_per_token: 1e-999999 is not a price (exponent out of range`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.json", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			lines := strings.Split(err.Error(), "\n")
			if tt.name == "data after the object" {
				if !strings.HasPrefix(err.Error(), tt.want[0]) || !strings.Contains(err.Error(), tt.want[1]) {
					t.Errorf("error %q, want %q ... %q", err, tt.want[0], tt.want[1])
				}
				return
			}
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

// An Anthropic row without a 1-hour write price gets Anthropic's rule (2 × input), not the
// 5-minute price: a worst case priced lower would let a budget cap be exceeded.
func TestLiteLLMAnthropicOneHourDefault(t *testing.T) {
	c, err := Parse("p.json", []byte(`{"a-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06,
		"cache_creation_input_token_cost": 1.25e-06, "litellm_provider": "anthropic"},
		"o-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06, "litellm_provider": "openai"}}`))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Lookup("a-model")
	o, _ := c.Lookup("o-model")
	if !a.CacheWrite1hPerMTok.Equal(decimal.RequireFromString("2")) || !o.CacheWrite1hPerMTok.Equal(decimal.RequireFromString("1")) {
		t.Errorf("anthropic 1h %s, openai 1h %s", a.CacheWrite1hPerMTok, o.CacheWrite1hPerMTok)
	}
}
