package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Origin says where a value came from: where the plan writes it, or, for a value the plan
// does not write, the rule that supplied it.
type Origin struct {
	Pos  Pos    // where the plan writes the value, or the value it is taken from; Line 0: nowhere
	Rule string // how it was arrived at, when not written as is: "default: 2 × input_tokens"
}

// In writes the origin for a message about the plan file: "plan.yaml:14:9",
// "plan.yaml:20:40, the request's max_tokens", "default: 2 × input_tokens".
func (o Origin) In(file string) string {
	if o.Pos.Line == 0 {
		return o.Rule
	}
	at := fmt.Sprintf("%d:%d", o.Pos.Line, o.Pos.Column)
	if file != "" {
		at = file + ":" + at
	} else {
		at = "line " + at
	}
	if o.Rule == "" {
		return at
	}
	return at + ", " + o.Rule
}

// Assumed is a value that decides what a request may cost (its reservation) or what a
// scenario is estimated to cost, which the plan does not write: a default, or a value taken
// from elsewhere in the plan. validate lists them, estimate says them in its assumes: lines,
// and an overrun names the bound it broke with where the bound came from.
type Assumed struct {
	Of    string // the step (its statistics row name) or the scenario it belongs to
	Field string // the field's path: tasks.chat.expect.max_input_tokens
	Key   string // the field's last part: max_input_tokens
	Value string // the value taken, as the plan would write it: 2400
	Rule  string // where it comes from: "default: 2 × input_tokens"
	At    string // where the value it is taken from is written ("plan.yaml:12:40"), or ""
}

func (a Assumed) String() string {
	if a.At != "" {
		return fmt.Sprintf("%s: %s (%s at %s)", a.Field, a.Value, a.Rule, a.At)
	}
	return fmt.Sprintf("%s: %s (%s)", a.Field, a.Value, a.Rule)
}

// Assumed lists every value of p that decides money without being written in it: on_start
// steps, tasks, then scenarios, in file order.
func (p *Plan) Assumed() []Assumed {
	var out []Assumed
	for _, st := range p.OnStart {
		out = append(out, st.Assumed...)
	}
	for _, t := range p.Tasks {
		for _, st := range t.Steps {
			out = append(out, st.Assumed...)
		}
	}
	for _, s := range p.Scenarios {
		out = append(out, s.Assumed...)
	}
	return out
}

// nameAssumed names each step's assumed values after the step, once the steps are named.
func nameAssumed(p *Plan) {
	for _, st := range p.OnStart {
		for i := range st.Assumed {
			st.Assumed[i].Of = st.Name
		}
	}
	for _, t := range p.Tasks {
		for _, st := range t.Steps {
			for i := range st.Assumed {
				st.Assumed[i].Of = st.Name
			}
		}
	}
}

// Rules for values the plan does not write.
const (
	RuleMaxInput  = "default: 2 × input_tokens"
	RuleMaxTokens = "the request's max_tokens"
)

// stepDefaults fills in the bounds a step does not write, saying where each came from, and
// lists in st.Assumed every value deciding its cost that the plan does not write. given holds
// the expect keys written. A bound the step writes (other than 0) keeps the origin expect()
// gave it.
func (d *decoder) stepDefaults(st *Step, path string, given map[string]bool) {
	e := &st.Expect
	at := ""
	assume := func(key, value, rule string) {
		st.Assumed = append(st.Assumed, Assumed{Field: path + ".expect." + key, Key: key, Value: value, Rule: rule, At: at})
		at = ""
	}
	priced := st.Cost.Kind == CostUsage // only usage-priced requests cost by their tokens
	if e.MaxOutputTokens == 0 && st.Request.MaxTokens > 0 {
		e.MaxOutputTokens = st.Request.MaxTokens
		e.MaxOutputFrom = Origin{Pos: st.Request.MaxTokensPos, Rule: RuleMaxTokens}
		if priced {
			at = Origin{Pos: st.Request.MaxTokensPos}.In(d.file)
			assume("max_output_tokens", strconv.FormatInt(e.MaxOutputTokens, 10), RuleMaxTokens)
		}
	}
	if e.MaxInputTokens == 0 {
		e.MaxInputTokens = e.InputBound()
		e.MaxInputFrom = Origin{Rule: RuleMaxInput}
		if priced && e.HasTokens {
			assume("max_input_tokens", strconv.FormatInt(e.MaxInputTokens, 10), RuleMaxInput)
		}
	}
	if priced && e.HasTokens {
		if !given["input_tokens"] {
			assume("input_tokens", "0", "default: not given")
		}
		if !given["output_tokens"] {
			assume("output_tokens", "0", "default: not given")
		}
		if e.CacheableTokens.IsPositive() && !given["cache_hit_rate"] {
			assume("cache_hit_rate", "0%", "default: every cacheable prefix a miss, written to the cache")
		}
		if e.CacheableTokens.IsPositive() && !given["cache_write_1h"] {
			assume("cache_write_1h", "0%", "default: cache writes at the 5-minute rate")
		}
	}
	if !given["latency"] && !strings.HasPrefix(path, "on_start") { // on_start's latency counts no iteration
		assume("latency", "0s", "default: not given; the estimate takes it as 0, the most requests the waits allow")
	}
}

// scenarioDefaults lists in s.Assumed the values deciding its cost that the plan does not
// write; has holds the scenario's keys written, planWait whether the plan gives a wait.
func scenarioDefaults(s *Scenario, path string, has func(string) bool, planWait bool) {
	assume := func(key, value, rule string) {
		s.Assumed = append(s.Assumed, Assumed{Of: s.Name, Field: path + "." + key, Key: key, Value: value, Rule: rule})
	}
	switch {
	case has("arrival_rate"):
		if !has("max_in_flight") {
			assume("max_in_flight", strconv.Itoa(s.MaxInFlight), maxInFlightRule(s.MaxInFlight))
		}
	case has("users"):
		if !has("spawn_rate") {
			s.Assumed = append(s.Assumed, spawnAssumed(s))
		}
		fallthrough
	case has("stages"):
		if !has("wait") && !planWait {
			assume("wait", "none", "default: each user starts its next task as soon as one ends")
		}
	}
}

// DefaultMaxInFlight is an open-model scenario's max_in_flight when the plan does not give one.
const DefaultMaxInFlight = 100

func maxInFlightRule(n int) string {
	return fmt.Sprintf("default: at most %d requests in flight, and as many virtual users run on_start", n)
}

func spawnAssumed(s *Scenario) Assumed {
	rule := fmt.Sprintf("default: all %d users start at once", s.Users)
	if s.Users == 1 {
		rule = "default: its one user starts at once"
	}
	return Assumed{Of: s.Name, Field: "scenarios." + s.Name + ".spawn_rate", Key: "spawn_rate", Value: "none", Rule: rule}
}
