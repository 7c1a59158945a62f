package pricing

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Provider names with their own cache-price rules (see doc.go). Any other lowercase name is
// allowed and gets the rule for other providers.
const (
	ProviderAnthropic = "anthropic"
	ProviderOpenAI    = "openai"
)

// Rates are prices in USD per million tokens ("per MTok"), one for each canonical usage
// bucket.
type Rates struct {
	InputPerMTok        decimal.Decimal // uncached input tokens
	CacheWrite5mPerMTok decimal.Decimal // input tokens written to the 5-minute cache
	CacheWrite1hPerMTok decimal.Decimal // input tokens written to the 1-hour cache
	CacheReadPerMTok    decimal.Decimal // input tokens read from a prompt cache
	OutputPerMTok       decimal.Decimal // output tokens
}

// Cost is what u costs at r, in USD, exact: every bucket's tokens times its price per
// million, added up, then divided by a million once (a decimal shift, so no rounding ever
// happens). u's service tier is not looked at: r are the rates that apply (Price.RatesFor).
func (r Rates) Cost(u Usage) decimal.Decimal {
	sum := decimal.NewFromInt(u.Input).Mul(r.InputPerMTok).
		Add(decimal.NewFromInt(u.CacheWrite5m).Mul(r.CacheWrite5mPerMTok)).
		Add(decimal.NewFromInt(u.CacheWrite1h).Mul(r.CacheWrite1hPerMTok)).
		Add(decimal.NewFromInt(u.CacheRead).Mul(r.CacheReadPerMTok)).
		Add(decimal.NewFromInt(u.Output).Mul(r.OutputPerMTok))
	return sum.Shift(-6)
}

// Max returns the bucket-wise maximum of r and o.
func (r Rates) Max(o Rates) Rates {
	return Rates{
		InputPerMTok:        decimal.Max(r.InputPerMTok, o.InputPerMTok),
		CacheWrite5mPerMTok: decimal.Max(r.CacheWrite5mPerMTok, o.CacheWrite5mPerMTok),
		CacheWrite1hPerMTok: decimal.Max(r.CacheWrite1hPerMTok, o.CacheWrite1hPerMTok),
		CacheReadPerMTok:    decimal.Max(r.CacheReadPerMTok, o.CacheReadPerMTok),
		OutputPerMTok:       decimal.Max(r.OutputPerMTok, o.OutputPerMTok),
	}
}

// Above is a prompt-size tier: a request whose prompt (uncached input, cache reads and cache
// writes together) is more than Tokens tokens is billed at its Rates for all its tokens,
// output included.
type Above struct {
	Tokens int64 // the threshold; the tier applies to a prompt of more tokens than this
	Rates
}

// Tier is the prices of a service tier other than the standard one (priority, flex, batch):
// its Rates below every threshold and its prompt-size tiers.
type Tier struct {
	Rates
	Above []Above // ascending by Tokens
}

// Price is one model's prices in USD per million tokens. The embedded Rates are the standard
// service tier's for a prompt at or below every threshold; Above and ServiceTiers say what
// else a request may be billed at. The zero Price charges nothing; prices that come from a
// catalog are never negative.
type Price struct {
	Model    string   // catalog id, e.g. "claude-sonnet-4-5"
	Provider string   // "anthropic" | "openai" | other, lowercase
	Aliases  []string // other names that look this model up exactly, e.g. "claude-sonnet-4"
	Checked  string   // when the price was last checked at its source (YYYY-MM-DD), or ""

	Rates // the standard tier, a prompt at or below every threshold
	// Above are the standard tier's prompt-size tiers, ascending by Tokens.
	Above []Above
	// ServiceTiers are the prices of the other service tiers, by canonical name
	// (ServiceTierName: "priority", "flex", "batch", "scale"). A tier that is not here has
	// no price.
	ServiceTiers map[string]Tier
}

// ErrUnpricedTier is wrapped by the error for usage served at a service tier that the model
// has no price for.
var ErrUnpricedTier = errors.New("no price for the service tier")

// UnpricedTierError is Price.Cost's error for usage served at a service tier the model has no
// price for. What such a response costs is unknown: the meter charges its reservation,
// flagged estimated, never the standard rate.
type UnpricedTierError struct {
	Model, Tier string
	Priced      []string // the service tiers the model has prices for, standard first
}

func (e *UnpricedTierError) Error() string {
	return fmt.Sprintf("%s %q of %s (priced: %s)", ErrUnpricedTier, e.Tier, e.Model, strings.Join(e.Priced, ", "))
}

// Unwrap returns ErrUnpricedTier.
func (e *UnpricedTierError) Unwrap() error { return ErrUnpricedTier }

// Cost is what u costs at p, in USD, exact: its tokens at the rates of the service tier it
// was served at and of its prompt's size (RatesFor). Usage served at a service tier p has no
// price for is an *UnpricedTierError. Rounding is for display only; see FormatUSD.
func (p Price) Cost(u Usage) (decimal.Decimal, error) {
	r, ok := p.RatesFor(u.ServiceTier, u.TotalInput())
	if !ok {
		return decimal.Decimal{}, &UnpricedTierError{Model: p.Model, Tier: ServiceTierName(u.ServiceTier), Priced: p.TierNames()}
	}
	return r.Cost(u), nil
}

// RatesFor returns the rates a request is billed at: those of its service tier (any
// spelling ServiceTierName knows; "" is standard) for a prompt of prompt tokens, i.e. of the
// highest prompt-size tier whose threshold the prompt exceeds. ok is false when p has no
// price for the tier.
func (p Price) RatesFor(tier string, prompt int64) (r Rates, ok bool) {
	rates, above := p.Rates, p.Above
	if name := ServiceTierName(tier); name != "" {
		t, found := p.ServiceTiers[name]
		if !found {
			return Rates{}, false
		}
		rates, above = t.Rates, t.Above
	}
	for _, a := range above {
		if prompt > a.Tokens {
			rates = a.Rates
		}
	}
	return rates, true
}

// AnyTier, given to MaxRates or WorstCost, means that the service tier a request will be
// served at is not known.
const AnyTier = "*"

// MaxRates is the most a request whose prompt has at most prompt tokens may be billed per
// token, bucket by bucket: at its service tier (any spelling ServiceTierName knows) when the
// tier is known and priced, else (AnyTier, or a tier with no price) at the dearest of the
// standard tier and every priced service tier; and at the dearest of the prompt-size tiers a
// prompt of that size may reach. It is what a reservation prices a request's worst usage at.
func (p Price) MaxRates(tier string, prompt int64) Rates {
	tiers := []Tier{{Rates: p.Rates, Above: p.Above}}
	if name := ServiceTierName(tier); name != "" {
		if t, ok := p.ServiceTiers[name]; ok {
			tiers = []Tier{t}
		} else {
			for _, t := range p.ServiceTiers {
				tiers = append(tiers, t)
			}
		}
	}
	r := tiers[0].Rates
	for _, t := range tiers {
		r = r.Max(t.Rates)
		for _, a := range t.Above {
			if prompt > a.Tokens {
				r = r.Max(a.Rates)
			}
		}
	}
	return r
}

// WorstCost is the most u may cost at p: u's tokens at MaxRates(tier, its prompt). With tier
// AnyTier it is at least what u costs at any tier p prices; with a tier p prices, what it
// costs there (or more, if a smaller prompt were dearer). The reservation of a request is the
// WorstCost of its worst usage.
func (p Price) WorstCost(u Usage, tier string) decimal.Decimal {
	return p.MaxRates(tier, u.TotalInput()).Cost(u)
}

// Tiered reports whether p has prices beyond its standard rates: prompt-size or service
// tiers.
func (p Price) Tiered() bool { return len(p.Above) > 0 || len(p.ServiceTiers) > 0 }

// TierNames returns the service tiers p has prices for: TierStandard, then the others in
// alphabetical order.
func (p Price) TierNames() []string {
	return append([]string{TierStandard}, slices.Sorted(maps.Keys(p.ServiceTiers))...)
}

// clone returns a copy of p that shares no slice or map with it.
func (p Price) clone() Price {
	if p.Aliases != nil {
		p.Aliases = append([]string(nil), p.Aliases...)
	}
	if p.Above != nil {
		p.Above = append([]Above(nil), p.Above...)
	}
	if p.ServiceTiers != nil {
		tiers := maps.Clone(p.ServiceTiers)
		for name, t := range tiers {
			if t.Above != nil {
				t.Above = append([]Above(nil), t.Above...)
				tiers[name] = t
			}
		}
		p.ServiceTiers = tiers
	}
	return p
}

// names returns the model id followed by its aliases.
func (p Price) names() []string {
	return append([]string{p.Model}, p.Aliases...)
}
