package pricing

import (
	"testing"

	"github.com/shopspring/decimal"
)

// d parses a decimal literal in a test; the text is the test's, so a typo panics loudly.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// assertMoney fails unless got equals want as a decimal (1.5 and 1.50 are equal).
func assertMoney(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func TestPriceCost(t *testing.T) {
	sonnet := Price{Model: "claude-sonnet-4-5", Provider: ProviderAnthropic, Rates: Rates{
		InputPerMTok: d("3"), CacheWrite5mPerMTok: d("3.75"), CacheWrite1hPerMTok: d("6"),
		CacheReadPerMTok: d("0.30"), OutputPerMTok: d("15"),
	}}
	gpt4o := Price{Model: "gpt-4o", Provider: ProviderOpenAI, Rates: Rates{
		InputPerMTok: d("2.50"), CacheWrite5mPerMTok: d("2.50"), CacheWrite1hPerMTok: d("2.50"),
		CacheReadPerMTok: d("1.25"), OutputPerMTok: d("10.00"),
	}}
	tests := []struct {
		name  string
		price Price
		usage Usage
		want  string
	}{
		{"no tokens cost nothing", sonnet, Usage{}, "0"},
		{"zero price costs nothing", Price{}, Usage{Input: 1000, Output: 1000}, "0"},
		{"a million input tokens cost the input price", sonnet, Usage{Input: 1_000_000}, "3"},
		{"a million output tokens cost the output price", sonnet, Usage{Output: 1_000_000}, "15"},
		{"a million cache reads", sonnet, Usage{CacheRead: 1_000_000}, "0.30"},
		{"a million 5-minute writes", sonnet, Usage{CacheWrite5m: 1_000_000}, "3.75"},
		{"a million 1-hour writes", sonnet, Usage{CacheWrite1h: 1_000_000}, "6"},
		{"one input token", sonnet, Usage{Input: 1}, "0.000003"},
		{
			// shared/reference/anthropic-message.json on claude-sonnet-4-5:
			// 295*3e-6 + 1800*0.3e-6 + 143*15e-6 = 0.000885 + 0.00054 + 0.002145
			"anthropic message usage", sonnet,
			Usage{Input: 295, CacheRead: 1800, Output: 143}, "0.003570",
		},
		{
			// "cache_creation": {"ephemeral_5m_input_tokens": 1500, "ephemeral_1h_input_tokens": 300}:
			// 1500*3.75e-6 + 300*6e-6 = 0.005625 + 0.0018
			"cache writes split by lifetime", sonnet,
			Usage{CacheWrite5m: 1500, CacheWrite1h: 300}, "0.007425",
		},
		{
			// shared/reference/openai-chat.json on gpt-4o: prompt 2006 of which 1920 cached,
			// completion 300: 86*2.5e-6 + 1920*1.25e-6 + 300*10e-6 = 0.000215 + 0.0024 + 0.003
			"openai cached input", gpt4o,
			Usage{Input: 2006 - 1920, CacheRead: 1920, Output: 300}, "0.005615",
		},
		{
			// int64 token counts far past float64's exact range stay exact.
			"huge counts stay exact", sonnet,
			Usage{Input: 9_007_199_254_740_993}, "27021597764.222979",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.price.Cost(tt.usage)
			if err != nil {
				t.Fatal(err)
			}
			assertMoney(t, "Cost", got, tt.want)
		})
	}
}
