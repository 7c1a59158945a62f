package plan

import (
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// InlinePrice is a model's prices written in the plan instead of a catalog model's name:
// pricing: {input: 3, output: 15, cache_read: 0.30, cache_write_5m: 3.75, cache_write_1h: 6}
// plan-wide, or a task's (a step's, defaults') model: {input: 3, output: 15}. Prices are USD
// per million tokens, keyed as in a price catalog. The requests it prices name it by ID in
// their CostRule.Model; the planner adds it to the catalog (planner.WithPlanPrices).
type InlinePrice struct {
	// ID is "plan:" and the field's path: "plan:pricing", "plan:tasks.chat.model".
	ID string
	// Provider is the provider's name (lowercase) when given: the rule for the cache prices
	// left out, as in a catalog file; "" when not.
	Provider string
	// Prices maps input, output (always there), cache_read, cache_write_5m and
	// cache_write_1h (when given) to USD per million tokens.
	Prices map[string]decimal.Decimal
	Pos    Pos
	Field  string // the field's path: "pricing", "tasks.chat.model"
}

// InlinePrefix begins the ID of every InlinePrice.
const InlinePrefix = "plan:"

// inlinePriceKeys are the keys of an inline price.
var inlinePriceKeys = []string{"input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "provider"}

// inlinePrice decodes the prices of a mapping n at path, records them and returns their ID.
// Wrong ones are reported and not recorded (the ID is returned all the same, so that the
// requests priced with them are not reported as naming no model as well).
func (d *decoder) inlinePrice(n *yaml.Node, path string) string {
	n = resolve(n)
	ip := InlinePrice{ID: InlinePrefix + path, Prices: map[string]decimal.Decimal{}, Pos: posOf(n), Field: path}
	before := len(d.errs)
	d.fields(n, path, inlinePriceKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		if k == "provider" {
			ip.Provider = strings.ToLower(strings.TrimSpace(d.str(v, kp)))
			return
		}
		s, ok := d.scalar(v, kp, "a price in USD per million tokens such as 3 or 0.30")
		if !ok {
			return
		}
		m, err := ParseMoney(s)
		if err != nil {
			d.add(at(resolve(v)), kp, "%q is not a price; give USD per million tokens such as 3, 0.30 or $3.75, 0 or more", s)
			return
		}
		ip.Prices[k] = m
	})
	for _, k := range []string{"input", "output"} {
		if !hasKey(n, k) && !d.typoOf(n, k) {
			d.add(posOf(n), join(path, k), "missing; inline prices need input and output, in USD per million tokens (cache prices are optional)")
		}
	}
	if ip.Provider == "openai" && !hasKey(n, "cache_read") && !d.typoOf(n, "cache_read") {
		d.add(posOf(n), join(path, "cache_read"), "missing; openai prices need their cached-input price")
	}
	if len(d.errs) == before {
		d.prices = append(d.prices, ip)
	}
	return ip.ID
}

// hasKey reports whether the mapping n has the key k.
func hasKey(n *yaml.Node, k string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return true
		}
	}
	return false
}

// modelOrPrices decodes a model: value: a catalog model's name, or a mapping of inline
// prices. It returns the name or the inline price's ID.
func (d *decoder) modelOrPrices(v *yaml.Node, path string) string {
	if r := resolve(v); r != nil && r.Kind == yaml.MappingNode {
		return d.inlinePrice(r, path)
	}
	s, _ := d.scalar(v, path, "a model of the price catalog (claude-sonnet-4-5), or prices such as {input: 3, output: 15}")
	return s
}

// pricingKey decodes the plan's pricing: {model: NAME} or its inline prices.
func (d *decoder) pricingKey(v *yaml.Node, p *Plan) {
	const path = "pricing"
	n := resolve(v)
	if n == nil || n.Kind != yaml.MappingNode {
		d.add(posOf(n), path, "must be a mapping: {model: claude-sonnet-4-5}, or prices such as {input: 3, output: 15} (USD per million tokens)")
		return
	}
	if !hasKey(n, "model") {
		p.Model = d.inlinePrice(n, path)
		return
	}
	if len(n.Content) > 2 {
		d.add(posOf(n), path, "give model: NAME or the prices (input: 3, output: 15, ...), not both")
		p.Model = InlinePrefix + path // so that its requests are not reported as naming no model
		return
	}
	d.fields(n, path, []string{"model"}, func(k string, v *yaml.Node) {
		p.Model, p.ModelPos = d.modelOrPrices(v, join(path, k)), at(v)
	})
}
