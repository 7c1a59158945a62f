package plan

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// A usage source that maps buckets (json paths, headers, Prometheus selectors) reports only
// the buckets it maps: one it does not map is charged as 0. The meter charges a mapped
// bucket that a response leaves out at its bound (DESIGN.md, "Metering"), but it cannot know
// of a bucket the plan never mapped. So:
//   - no output path, header or counter is an error (a Prometheus source may give cost_usd
//     instead): the output is what a request is bounded by, and never free;
//   - a bucket the expect block says the requests use, but the source does not map, is a
//     warning (usageWarnings): the uncached input (input_tokens above cacheable_tokens), the
//     cache reads (a cacheable prefix with a cache_hit_rate above 0), the cache writes (a
//     cacheable prefix with a cache_hit_rate below 100%), the 1-hour writes (cache_write_1h
//     above 0, with only cache_write mapped: they would be priced at the 5-minute rate).
//     A service may count its cached tokens in its input count, which then charges them at
//     the input rate (more, for reads; less, for writes): the warning says so.

// requireOutput adds the error of a json, headers or prometheus usage source (src, written
// at p, field path) that maps no output.
func (d *decoder) requireOutput(src *UsageSource, p pos, path string) {
	if src.Fields["output"] != "" || src.Kind == UsagePrometheus && src.Fields["cost_usd"] != "" {
		return
	}
	var what string
	switch src.Kind {
	case UsageJSON:
		what = "the JSONPath of its output tokens, such as output: $.usage.output_tokens"
	case UsageHeaders:
		what = "the header of its output tokens, such as output: X-Usage-Output-Tokens"
	default:
		what = `the counter of its output tokens, such as output: 'tokens_total{type="output"}' (or cost_usd: a counter of its cost)`
	}
	d.add(p, join(path, "output"), "missing: a request priced by usage needs %s; an output the source cannot report is never free", what)
}

// usageWarnings are the warnings of the steps whose usage source cannot report a bucket
// their expect block says they use (see above).
func usageWarnings(file string, p *Plan) Errors {
	var ws Errors
	check := func(st *Step, path string) {
		if w := usageShape(st); w != "" {
			ws = append(ws, &Error{File: file, Line: st.Expect.Pos.Line, Column: st.Expect.Pos.Column,
				Field: path + ".expect", Msg: w})
		}
	}
	for i, st := range p.OnStart {
		check(st, fmt.Sprintf("on_start[%d]", i))
	}
	for _, t := range p.Tasks {
		for i, st := range t.Steps {
			path := "tasks." + t.Name
			if t.Sequence {
				path = fmt.Sprintf("%s.steps[%d]", path, i)
			}
			check(st, path)
		}
	}
	return ws
}

// usageShape is what st's usage source cannot report of what its expect block says it uses,
// as a sentence; "" when nothing.
func usageShape(st *Step) string {
	src := st.Cost.Usage
	if st.Cost.Kind != CostUsage || len(src.Fields) == 0 || src.Kind == UsagePrometheus && src.Fields["cost_usd"] != "" {
		return "" // anthropic and openai report every bucket; a cost counter counts them all
	}
	e := st.Expect
	has := func(b string) bool { return src.Fields[b] != "" }
	var miss []string
	cacheable := e.CacheableTokens.IsPositive()
	if e.InputTokens.GreaterThan(e.CacheableTokens) && !has("input") {
		miss = append(miss, fmt.Sprintf("no input, and the requests use %s input tokens outside their cacheable prefix (input_tokens - cacheable_tokens)", e.InputTokens.Sub(e.CacheableTokens)))
	}
	reads := cacheable && e.CacheHitRate.IsPositive() && !has("cache_read")
	writes := cacheable && e.CacheHitRate.LessThan(decimal.NewFromInt(1)) && !has("cache_write") && !has("cache_write_1h")
	switch {
	case reads && writes:
		miss = append(miss, fmt.Sprintf("no cache_read or cache_write, and the requests read or write a cacheable prefix of %s tokens (cacheable_tokens)", e.CacheableTokens))
	case reads:
		miss = append(miss, fmt.Sprintf("no cache_read, and %s of the requests read a cacheable prefix of %s tokens from the cache (cache_hit_rate)", FormatRatio(e.CacheHitRate.InexactFloat64()), e.CacheableTokens))
	case writes:
		miss = append(miss, fmt.Sprintf("no cache_write, and the requests that miss the cache write a cacheable prefix of %s tokens to it (cacheable_tokens)", e.CacheableTokens))
	}
	if e.CacheWrite1h.IsPositive() && has("cache_write") && !has("cache_write_1h") && cacheable {
		miss = append(miss, fmt.Sprintf("no cache_write_1h, and %s of the cache writes are 1-hour writes (cache_write_1h): cache_write prices them at the 5-minute rate", FormatRatio(e.CacheWrite1h.InexactFloat64())))
	}
	if len(miss) == 0 {
		return ""
	}
	return fmt.Sprintf("usage.%s maps %s; a bucket the source does not map is charged as 0 (unless the service counts those tokens in one it maps): map it, or check that the expect values are what the service does",
		src.Kind, strings.Join(miss, "; "))
}
