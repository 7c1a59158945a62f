package mock

import (
	"slices"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/pricing"
)

// InputTokensHeader is a request header that sets how many input tokens the request's own
// prompt has, instead of its text at one token per 4 characters (the provider endpoints) or
// a draw (the service endpoints); the cacheable prefix comes on top, as usual. It makes a
// long-context request cheap to send: "X-Mock-Input-Tokens: 250000" reports a prompt over
// 200k tokens from a one-line body. The provider endpoints still refuse a prompt over their
// MaxInputTokens (400).
const InputTokensHeader = "X-Mock-Input-Tokens"

// serviceTierNames are the values Config.ServiceTier takes besides "".
var serviceTierNames = []string{"standard", "default", "priority", "flex", "batch", "scale"}

// pickTier sets the service tier the request is served at: the body's service_tier when it
// names one (not "auto"; OpenAI's "default" and Anthropic's "standard_only" are the
// standard tier), else Config.ServiceTier. It is what the response reports (Anthropic's
// usage.service_tier, OpenAI's service_tier) and what the ledger bills at.
func (c *call) pickTier(asked string) {
	t := strings.TrimSpace(asked)
	if t == "" || strings.EqualFold(t, "auto") {
		t = c.s.cfg.ServiceTier
	}
	c.tier = pricing.ServiceTierName(t)
}

// inputOverride reads InputTokensHeader: the prompt's own tokens, or -1 without the header.
// A value that is not a non-negative whole number has been answered 400: ok is false.
func (c *call) inputOverride(fallback int64) (prompt int64, ok bool) {
	v := c.r.Header.Get(InputTokensHeader)
	if v == "" {
		return fallback, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		c.badRequest(InputTokensHeader + ": want a whole number of tokens, 0 or more")
		return 0, false
	}
	return n, true
}

// anthropicTier is how Anthropic names a tier in usage.service_tier.
func anthropicTier(tier string) string {
	if tier == "" {
		return "standard"
	}
	return tier
}

// openaiTier is how OpenAI names a tier in service_tier.
func openaiTier(tier string) string {
	if tier == "" {
		return "default"
	}
	return tier
}

// validTier reports whether s is a Config.ServiceTier value.
func validTier(s string) bool {
	return s == "" || slices.Contains(serviceTierNames, strings.ToLower(s))
}
