package pricing

import "github.com/shopspring/decimal"

// Bound is the most one request may cost while its declared bounds hold: what the meter
// reserves before sending it. The planner computes it from the plan; the executor receives it
// (the two never import each other, so it is a type of this leaf package).
type Bound struct {
	Cost decimal.Decimal // USD
	// Usage is the usage that costs Cost, for a request priced by the usage it reports; nil
	// for a flat or free price.
	Usage *Usage
	// Limits are the declared token bounds that Usage follows from, each with where it came
	// from, so that a response that broke one can be told which.
	Limits []Limit
}

// LimitOf says which tokens of a usage a Limit bounds.
type LimitOf string

const (
	LimitInput      LimitOf = "input"       // every input token, cached or not
	LimitOutput     LimitOf = "output"      // output tokens
	LimitCacheWrite LimitOf = "cache_write" // input tokens written to a prompt cache
)

// Limit is one declared token bound of a request.
type Limit struct {
	Name   string  // as the plan names it: max_input_tokens, max_output_tokens, cacheable_tokens
	Of     LimitOf // the tokens it bounds
	Tokens int64
	From   string // where it came from: "plan.yaml:14:9", "default: 2 × input_tokens"
}

// Used is how many of the tokens the limit bounds u holds.
func (l Limit) Used(u Usage) int64 {
	switch l.Of {
	case LimitInput:
		return u.TotalInput()
	case LimitOutput:
		return u.Output
	case LimitCacheWrite:
		return u.CacheWrite()
	}
	return 0
}

// Broken returns the limits that u exceeds.
func (b Bound) Broken(u Usage) []Limit {
	var out []Limit
	for _, l := range b.Limits {
		if l.Used(u) > l.Tokens {
			out = append(out, l)
		}
	}
	return out
}
