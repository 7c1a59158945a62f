package pricing

import "github.com/shopspring/decimal"

// Provider names with their own cache-price rules (see doc.go). Any other lowercase name is
// allowed and gets the rule for other providers.
const (
	ProviderAnthropic = "anthropic"
	ProviderOpenAI    = "openai"
)

// Price is one model's prices in USD per million tokens ("per MTok"), one for each canonical
// usage bucket. The zero Price charges nothing; prices that come from a catalog are never
// negative.
type Price struct {
	Model    string   // catalog id, e.g. "claude-sonnet-4-5"
	Provider string   // "anthropic" | "openai" | other, lowercase
	Aliases  []string // other names that look this model up exactly, e.g. "claude-sonnet-4"
	Checked  string   // when the price was last checked at its source (YYYY-MM-DD), or ""

	InputPerMTok        decimal.Decimal // uncached input tokens
	CacheWrite5mPerMTok decimal.Decimal // input tokens written to the 5-minute cache
	CacheWrite1hPerMTok decimal.Decimal // input tokens written to the 1-hour cache
	CacheReadPerMTok    decimal.Decimal // input tokens read from a prompt cache
	OutputPerMTok       decimal.Decimal // output tokens
}

// Cost is what u costs at p, in USD, exact: every bucket's tokens times its price per million,
// added up, then divided by a million once (a decimal shift, so no rounding ever happens).
// Rounding is for display only; see FormatUSD.
func (p Price) Cost(u Usage) decimal.Decimal {
	sum := decimal.NewFromInt(u.Input).Mul(p.InputPerMTok).
		Add(decimal.NewFromInt(u.CacheWrite5m).Mul(p.CacheWrite5mPerMTok)).
		Add(decimal.NewFromInt(u.CacheWrite1h).Mul(p.CacheWrite1hPerMTok)).
		Add(decimal.NewFromInt(u.CacheRead).Mul(p.CacheReadPerMTok)).
		Add(decimal.NewFromInt(u.Output).Mul(p.OutputPerMTok))
	return sum.Shift(-6)
}

// clone returns a copy of p that shares no slice with it.
func (p Price) clone() Price {
	if p.Aliases != nil {
		p.Aliases = append([]string(nil), p.Aliases...)
	}
	return p
}

// names returns the model id followed by its aliases.
func (p Price) names() []string {
	return append([]string{p.Model}, p.Aliases...)
}
