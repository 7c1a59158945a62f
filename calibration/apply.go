package calibration

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// RulePrefix begins the rule of every value a calibration supplies (plan.Assumed.Rule).
const RulePrefix = "calibration "

// Apply overrides the expect of each of p's steps that c measured: the token means, the
// cache hit rate (when the prompt has a cacheable part), latency and TTFT. Each value
// overridden is listed in the step's Assumed (so estimate says it in its assumes: lines)
// in place of the plan's default for it. The bounds stay the plan's, but a max_input_tokens
// below the largest prompt measured is raised to it. It returns warnings: a calibration of
// another plan (names that do not match) and the plan's priced steps it has no data for.
func (c *Calibration) Apply(p *plan.Plan) []string {
	var ws []string
	if c.Plan != "" && p.Name != "" && c.Plan != p.Name {
		ws = append(ws, fmt.Sprintf("calibration %s is of plan %q, not %q", c.File, c.Plan, p.Name))
	}
	rule := RulePrefix + c.File
	if c.File == "" {
		rule = strings.TrimSpace(RulePrefix)
	}
	var names, noData []string
	matched := 0
	for _, st := range planSteps(p) {
		names = append(names, st.Name)
		m := c.Lookup(st.Name)
		if m == nil {
			if st.Cost.Kind != plan.CostFree {
				noData = append(noData, st.Name)
			}
			continue
		}
		matched++
		applyStep(st, m, rule)
	}
	var unknown []string
	for _, s := range c.Steps {
		if !slices.Contains(names, s.Name) {
			unknown = append(unknown, s.Name)
		}
	}
	if len(unknown) > 0 {
		what := "is it a calibration of another plan?"
		if matched > 0 {
			what = "ignored"
		}
		ws = append(ws, fmt.Sprintf("calibration %s measured %s, which the plan does not have: %s", c.File, strings.Join(unknown, ", "), what))
	}
	if len(noData) > 0 {
		ws = append(ws, fmt.Sprintf("calibration %s has no data for %s: left as the plan says", c.File, strings.Join(noData, ", ")))
	}
	return ws
}

func applyStep(st *plan.Step, m *Step, rule string) {
	e := &st.Expect
	var set []plan.Assumed
	assume := func(key, value string) {
		set = append(set, plan.Assumed{Of: st.Name, Key: key, Field: "expect." + key, Value: value, Rule: rule})
	}
	n := " (n=" + strconv.FormatInt(m.Samples, 10) + ")"
	priced := st.Cost.Kind == plan.CostUsage
	if m.Prompt != nil {
		e.InputTokens, e.HasTokens = m.Prompt.Mean, true
		if priced {
			assume("input_tokens", m.Prompt.Mean.String()+n)
		}
		if mx := m.Prompt.Max(); mx > e.MaxInputTokens {
			e.MaxInputTokens = mx
			e.MaxInputFrom = plan.Origin{Rule: rule + ": the largest prompt measured"}
			if priced {
				assume("max_input_tokens", strconv.FormatInt(mx, 10))
			}
		}
	}
	if m.Cacheable != nil {
		e.CacheableTokens = decimal.Min(m.Cacheable.Mean, e.InputTokens)
		if priced && e.CacheableTokens.IsPositive() {
			assume("cacheable_tokens", e.CacheableTokens.String()+n)
		}
	}
	if m.Output != nil {
		e.OutputTokens, e.HasTokens = m.Output.Mean, true
		if priced {
			assume("output_tokens", m.Output.Mean.String()+n)
		}
	}
	if m.CacheHitRate != nil && e.CacheableTokens.IsPositive() {
		e.CacheHitRate = *m.CacheHitRate
		if priced {
			assume("cache_hit_rate", m.CacheHitRate.Shift(2).String()+"%"+n)
		}
	}
	if m.Latency != nil && m.Latency.Median > 0 {
		e.Latency = *m.Latency
		assume("latency", fmt.Sprintf("median %s p95 %s (n=%d)", plan.FormatDuration(m.Latency.Median), plan.FormatDuration(m.Latency.P95), m.Requests))
	}
	if m.TTFT != nil && m.TTFT.Median > 0 {
		e.TTFT = *m.TTFT
	}
	// The plan's own assumption for a key the calibration now supplies gives way to it.
	keep := st.Assumed[:0:0]
	for _, a := range st.Assumed {
		if !slices.ContainsFunc(set, func(b plan.Assumed) bool { return b.Key == a.Key }) {
			keep = append(keep, a)
		}
	}
	st.Assumed = append(keep, set...)
}
