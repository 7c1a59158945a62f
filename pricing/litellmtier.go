package pricing

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// litellmTierKey matches the price fields of LiteLLM's file that are tiered: a bucket's field,
// then "_above_<N>k_tokens" for a prompt-size tier, then "_priority", "_flex", "_batches" or
// "_scale" for a service tier, either or both ("input_cost_per_token_above_200k_tokens",
// "cache_read_input_token_cost_flex", "output_cost_per_token_above_272k_tokens_priority",
// "cache_creation_input_token_cost_above_1hr_above_200k_tokens"). The bucket's own field
// matches too, with neither.
var litellmTierKey = regexp.MustCompile(`^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|` +
	`cache_creation_input_token_cost_above_1hr|cache_creation_input_token_cost)` +
	`(?:_above_(\d+)([km]?)_tokens)?(?:_(priority|flex|batches|scale))?$`)

// litellmBuckets maps LiteLLM's bucket fields to the price keys of our format.
var litellmBuckets = map[string]string{
	litellmInput:     "input",
	litellmOutput:    "output",
	litellmCacheRead: "cache_read",
	litellmWrite5m:   "cache_write_5m",
	litellmWrite1h:   "cache_write_1h",
}

// litellmTiers adds to p (whose standard Rates are set) the prompt-size and service tiers that
// an entry's field names describe. keys are the entry's field names; get reads a field's
// price per million tokens (false when absent, or wrong: get reports that). Within a tier, a
// price left out is the tier's base scaled as its input price is (scaledRates): the standard
// rates for a service tier or a standard prompt-size tier, the service tier's own for one of
// its prompt-size tiers. A service tier without a price of its own below every threshold
// (only "..._above_272k_tokens_priority", say) is left out: it has no price. Thresholds the
// standard tier has and a service tier lacks are derived (completeTiers).
func litellmTiers(p *Price, keys []string, get func(field string) (decimal.Decimal, bool)) {
	type cell struct {
		tier   string
		tokens int64
	}
	cells := map[cell]map[string]decimal.Decimal{}
	for _, k := range keys {
		if !strings.Contains(k, "_above_") && !strings.HasSuffix(k, "_priority") && !strings.HasSuffix(k, "_flex") &&
			!strings.HasSuffix(k, "_batches") && !strings.HasSuffix(k, "_scale") {
			continue // most fields: no regular expression for them
		}
		m := litellmTierKey.FindStringSubmatch(k)
		if m == nil || (m[2] == "" && m[4] == "") {
			continue // not a field, or the standard price itself
		}
		c := cell{tier: ServiceTierName(m[4])}
		if m[2] != "" {
			n, err := strconv.ParseInt(m[2], 10, 64)
			mult := map[string]int64{"": 1, "k": 1_000, "m": 1_000_000}[m[3]]
			if err != nil || n <= 0 || n > (1<<53)/mult {
				continue
			}
			c.tokens = n * mult
		}
		v, ok := get(k)
		if !ok {
			continue
		}
		if cells[c] == nil {
			cells[c] = map[string]decimal.Decimal{}
		}
		cells[c][litellmBuckets[m[1]]] = v
	}
	rates := func(base Rates, given map[string]decimal.Decimal) Rates {
		var r Rates
		fields := ratesFields(&r)
		set := map[string]bool{}
		for key, v := range given {
			*fields[key] = v
			set[key] = true
		}
		return scaledRates(base, r, set)
	}
	sorted := slices.SortedFunc(maps.Keys(cells), func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.tokens, b.tokens))
	})
	for _, c := range sorted {
		given := cells[c]
		switch {
		case c.tier == "":
			p.Above = append(p.Above, Above{Tokens: c.tokens, Rates: rates(p.Rates, given)})
		case c.tokens == 0:
			if p.ServiceTiers == nil {
				p.ServiceTiers = map[string]Tier{}
			}
			t := p.ServiceTiers[c.tier]
			t.Rates = rates(p.Rates, given)
			p.ServiceTiers[c.tier] = t
		default:
			t, ok := p.ServiceTiers[c.tier] // the tier's own base sorts first (tokens 0)
			if !ok {
				continue
			}
			t.Above = append(t.Above, Above{Tokens: c.tokens, Rates: rates(t.Rates, given)})
			p.ServiceTiers[c.tier] = t
		}
	}
	completeTiers(p)
}
