package planner

import (
	"strings"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

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
