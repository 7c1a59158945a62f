package pricing_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loadplan/loadplan/pricing"
)

// The usage of shared/reference/anthropic-message.json, priced exactly.
func ExampleCatalog_Cost() {
	cat := pricing.Default()
	u := pricing.Usage{Input: 295, CacheRead: 1800, Output: 143}
	cost, err := cat.Cost(u, "claude-sonnet-4-5-20250929")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cost.StringFixed(6), pricing.FormatUSD(cost))
	// Output: 0.003570 $0.0036
}

func ExampleCatalog_Lookup() {
	cat := pricing.Default()
	for _, model := range []string{"claude-sonnet-4-5-20250929", "claude-opus-4", "gpt-4o-2024-08-06"} {
		p, _ := cat.Lookup(model)
		fmt.Printf("%s -> %s: input $%s, output $%s per MTok\n", model, p.Model, p.InputPerMTok, p.OutputPerMTok)
	}
	_, err := cat.Lookup("claude-sonet-4-5")
	fmt.Println(errors.Is(err, pricing.ErrUnknownModel), strings.Split(err.Error(), ";")[0])
	// Output:
	// claude-sonnet-4-5-20250929 -> claude-sonnet-4-5: input $3, output $15 per MTok
	// claude-opus-4 -> claude-opus-4-0: input $15, output $75 per MTok
	// gpt-4o-2024-08-06 -> gpt-4o: input $2.5, output $10 per MTok
	// true unknown model "claude-sonet-4-5" (did you mean claude-sonnet-4-5?)
}

// OpenAI reports cached tokens inside prompt_tokens; the canonical usage splits them.
func ExamplePrice_Cost() {
	p, _ := pricing.Default().Lookup("gpt-4o")
	promptTokens, cachedTokens, completionTokens := int64(2006), int64(1920), int64(300)
	u := pricing.Usage{Input: promptTokens - cachedTokens, CacheRead: cachedTokens, Output: completionTokens}
	cost, err := p.Cost(u)
	fmt.Println(cost, err)
	// Output: 0.005615 <nil>
}

// A catalog in loadplan's own format; left-out Anthropic cache prices follow Anthropic's rule.
func ExampleParse() {
	cat, err := pricing.Parse("prices.yaml", []byte(`
as_of: 2026-11-27
source: our contract
models:
  - {id: claude-sonnet-4-5, provider: anthropic, input: 2.70, output: 13.50}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := cat.Prices[0]
	fmt.Println(p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok)
	// Output: 3.375 5.4 0.27
}

// LiteLLM's price file, per token, becomes prices per million tokens, exactly.
func ExampleParse_liteLLM() {
	cat, err := pricing.Parse("model_prices_and_context_window.json", []byte(`{
  "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0},
  "claude-sonnet-4-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06, "litellm_provider": "anthropic"}
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range cat.Prices {
		fmt.Println(p.Model, p.InputPerMTok, p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok, p.OutputPerMTok)
	}
	// Output: claude-sonnet-4-5 3 3.75 6 0.3 15
}

func ExampleParseMoney() {
	for _, s := range []string{"5", "$0.50", "3e-06", "-5"} {
		d, err := pricing.ParseMoney(s)
		fmt.Println(d, err)
	}
	// Output:
	// 5 <nil>
	// 0.5 <nil>
	// 0.000003 <nil>
	// 0 invalid amount "-5": negative; want a non-negative USD amount such as 5, 5.00, $5, 0.003 or 3e-06
}

func ExampleFormatUSD() {
	for _, s := range []string{"4.5", "0.0042", "0.0125", "1234.567"} {
		d, _ := pricing.ParseMoney(s)
		fmt.Println(pricing.FormatUSD(d))
	}
	// Output:
	// $4.50
	// $0.0042
	// $0.013
	// $1234.57
}
