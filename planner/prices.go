package planner

import (
	"strings"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// WithPlanPrices returns cat with the prices written in p (plan.InlinePrice: pricing:
// {input: 3, output: 15} or a task's model: {...}) added under their IDs, which the plan's
// requests name; cat itself when p has none. Every command that prices a plan calls it once,
// so that the estimate, the meter and the mock see the same prices. Errors are located in
// the plan file.
func WithPlanPrices(cat *pricing.Catalog, p *plan.Plan) (*pricing.Catalog, error) {
	if len(p.Prices) == 0 {
		return cat, nil
	}
	out := cat.Clone()
	var errs plan.Errors
	for _, ip := range p.Prices {
		price, err := pricing.NewPrice(ip.ID, ip.Provider, ip.Prices)
		if err != nil {
			errs = append(errs, &plan.Error{File: p.File, Line: ip.Pos.Line, Column: ip.Pos.Column, Field: ip.Field, Msg: err.Error()})
			continue
		}
		out.Add(price)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// serviceTier is the service tier a request asks for in its JSON body ("service_tier":
// OpenAI's "default", "flex", "priority"; Anthropic's "standard_only"), canonical
// (pricing.ServiceTierName: "" for the standard tier); pinned is false when the body leaves
// the tier to the provider ("auto", a template, none), which may then serve it at any tier.
func serviceTier(st *plan.Step) (tier string, pinned bool) {
	m, ok := st.Request.JSON.(map[string]any)
	if !ok {
		return "", false
	}
	s, ok := m["service_tier"].(string)
	if !ok || strings.Contains(s, "{{") || strings.EqualFold(strings.TrimSpace(s), "auto") {
		return "", false
	}
	return pricing.ServiceTierName(s), true
}
