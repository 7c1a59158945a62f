package pricing

import (
	"cmp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Service tiers: how a provider says it served a request (Anthropic's usage.service_tier,
// OpenAI's service_tier). The standard tier is the one a Price's own Rates are for.
const (
	TierStandard = "standard"
	TierPriority = "priority"
	TierFlex     = "flex"
	TierBatch    = "batch"
	TierScale    = "scale"
)

// serviceTiers are the tier names a catalog may price besides the standard one.
var serviceTiers = []string{TierPriority, TierFlex, TierBatch, TierScale}

// ServiceTierName returns the canonical name of a service tier as a provider or a price file
// spells it: "" for the standard tier ("", "standard", "default", and Anthropic's request
// value "standard_only"), "batch" for "batches" (LiteLLM's suffix), and any other name in
// lower case ("priority", "flex", "scale"; "auto" stays "auto": a tier that says nothing of
// its price).
func ServiceTierName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", TierStandard, "default", "standard_only":
		return ""
	case "batches":
		return TierBatch
	}
	return s
}

// scaledRates completes the rates r of a tier, of which given names the prices written
// (input, output, cache_read, cache_write_5m, cache_write_1h), from base, the rates the tier
// departs from: a price left out is the base's times the tier's input price over the base's,
// so that a tier whose input costs twice as much has cache prices and an output price twice
// as dear (Anthropic's rule makes every cache price a multiple of the input price). An input
// price left out is the base's; with a zero base input price a price left out is the base's.
func scaledRates(base, r Rates, given map[string]bool) Rates {
	num, den := decimal.NewFromInt(1), decimal.NewFromInt(1)
	if !given["input"] {
		r.InputPerMTok = base.InputPerMTok
	} else if base.InputPerMTok.IsPositive() {
		num, den = r.InputPerMTok, base.InputPerMTok
	}
	scale := func(key string, dst *decimal.Decimal, b decimal.Decimal) {
		if !given[key] {
			*dst = mulDiv(b, num, den)
		}
	}
	scale("cache_write_5m", &r.CacheWrite5mPerMTok, base.CacheWrite5mPerMTok)
	scale("cache_write_1h", &r.CacheWrite1hPerMTok, base.CacheWrite1hPerMTok)
	scale("cache_read", &r.CacheReadPerMTok, base.CacheReadPerMTok)
	scale("output", &r.OutputPerMTok, base.OutputPerMTok)
	return r
}

// mulDiv is b × num ÷ den, multiplied first and divided once, so that a ratio such as 2 or
// 1.5 gives an exact price; a division that does not end (a ratio of 1/3) is rounded up at
// 16 decimal places, so that a derived price is never below the exact one.
func mulDiv(b, num, den decimal.Decimal) decimal.Decimal {
	q, rem := b.Mul(num).QuoRem(den, 16)
	if !rem.IsZero() {
		q = q.Add(decimal.New(1, -16))
	}
	return q.Normalize()
}

// tierOver returns the rates of a service tier above a threshold that only the standard
// tier prices: the tier's rates scaled bucket by bucket as the standard ones are above it
// (priority above 200k = priority × above-200k ÷ standard). A bucket whose standard price is
// zero takes the higher of the two.
func tierOver(std, stdAbove, tier Rates) Rates {
	f := func(s, sa, t decimal.Decimal) decimal.Decimal {
		if !s.IsPositive() {
			return decimal.Max(sa, t)
		}
		return mulDiv(t, sa, s)
	}
	return Rates{
		InputPerMTok:        f(std.InputPerMTok, stdAbove.InputPerMTok, tier.InputPerMTok),
		CacheWrite5mPerMTok: f(std.CacheWrite5mPerMTok, stdAbove.CacheWrite5mPerMTok, tier.CacheWrite5mPerMTok),
		CacheWrite1hPerMTok: f(std.CacheWrite1hPerMTok, stdAbove.CacheWrite1hPerMTok, tier.CacheWrite1hPerMTok),
		CacheReadPerMTok:    f(std.CacheReadPerMTok, stdAbove.CacheReadPerMTok, tier.CacheReadPerMTok),
		OutputPerMTok:       f(std.OutputPerMTok, stdAbove.OutputPerMTok, tier.OutputPerMTok),
	}
}

// completeTiers sorts p's prompt-size tiers and gives every service tier of p a prompt-size
// tier for each threshold of the standard tier that it lacks (tierOver), so that a request
// above a threshold at any tier has a price, never the tier's prices below the threshold.
func completeTiers(p *Price) {
	sortAbove(p.Above)
	for name, t := range p.ServiceTiers {
		sortAbove(t.Above)
		for _, sa := range p.Above {
			if hasThreshold(t.Above, sa.Tokens) {
				continue
			}
			// Scale what each is billed at just below this threshold.
			std, _ := (&Price{Rates: p.Rates, Above: p.Above}).RatesFor("", sa.Tokens)
			own, _ := (&Price{Rates: t.Rates, Above: t.Above}).RatesFor("", sa.Tokens)
			t.Above = append(t.Above, Above{Tokens: sa.Tokens, Rates: tierOver(std, sa.Rates, own)})
			sortAbove(t.Above)
		}
		p.ServiceTiers[name] = t
	}
}

func hasThreshold(list []Above, tokens int64) bool {
	return slices.ContainsFunc(list, func(a Above) bool { return a.Tokens == tokens })
}

func sortAbove(list []Above) {
	slices.SortStableFunc(list, func(a, b Above) int { return cmp.Compare(a.Tokens, b.Tokens) })
}
