package plan

import (
	"strings"
	"testing"
)

// usagePlan has one task priced by the usage source USAGE, expecting EXPECT.
const usagePlan = `version: 1
name: t
target: http://127.0.0.1:9
pricing: {model: claude-sonnet-4-5}
tasks:
  dte:
    request: {method: POST, path: /dte, json: {max_tokens: 100}}
    usage: USAGE
    expect: EXPECT
scenarios:
  s: {users: 1, duration: 10s}
`

func usageSrc(usage, expect string) string {
	return strings.NewReplacer("USAGE", usage, "EXPECT", expect).Replace(usagePlan)
}

// TestUsageWithoutOutput: a source that maps no output is refused, located at the source.
func TestUsageWithoutOutput(t *testing.T) {
	t.Parallel()
	const expect = "{input_tokens: 100, output_tokens: 10}"
	for _, tc := range []struct {
		usage, want string
	}{
		{"{json: {input: $.meta.tok_in}}", `plan.yaml:8:19: tasks.dte.usage.json.output: missing: a request priced by usage needs the JSONPath of its output tokens, such as output: $.usage.output_tokens`},
		{"{headers: {input: X-In}}", `plan.yaml:8:22: tasks.dte.usage.headers.output: missing: a request priced by usage needs the header of its output tokens`},
		{"{prometheus: {input: 'tok{type=\"input\"}'}}", `tasks.dte.usage.prometheus.output: missing: a request priced by usage needs the counter of its output tokens`},
		{"{json: {}}", `plan.yaml:8:19: tasks.dte.usage.json: names no field; give at least input and output`},
	} {
		_, err := parse(t, usageSrc(tc.usage, expect))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("usage %s: error %v, want %q", tc.usage, err, tc.want)
		}
	}
	for _, ok := range []string{"{prometheus: {cost_usd: cost_total}}", "{json: {output: $.o}}", "anthropic"} {
		if _, err := parse(t, usageSrc(ok, expect)); err != nil {
			t.Errorf("usage %s: %v", ok, err)
		}
	}
}

// TestUsageShapeWarnings: a source that cannot report a bucket the expect block says the
// requests use loads, with a located warning.
func TestUsageShapeWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, usage, expect string
		want                string // "": no warning
	}{
		{"cacheable prefix, no cache buckets", "{json: {input: $.i, output: $.o}}",
			"{input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, output_tokens: 300}",
			"plan.yaml:9:13: tasks.dte.expect: usage.json maps no cache_read or cache_write, and the requests read or write a cacheable prefix of 1000 tokens (cacheable_tokens)"},
		{"every hit, no cache_read", "{headers: {input: X-In, output: X-Out, cache_write: X-W}}",
			"{input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 100%, output_tokens: 300}",
			"usage.headers maps no cache_read, and 100% of the requests read a cacheable prefix of 1000 tokens from the cache (cache_hit_rate)"},
		{"misses, no cache_write", "{json: {input: $.i, output: $.o, cache_read: $.r}}",
			"{input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, output_tokens: 300}",
			"maps no cache_write, and the requests that miss the cache write a cacheable prefix of 1000 tokens to it"},
		{"no input", "{json: {output: $.o}}", "{input_tokens: 1200, output_tokens: 300}",
			"usage.json maps no input, and the requests use 1200 input tokens outside their cacheable prefix"},
		{"1-hour writes at the 5-minute rate", "{json: {input: $.i, output: $.o, cache_read: $.r, cache_write: $.w}}",
			"{input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, cache_write_1h: 50%, output_tokens: 300}",
			"no cache_write_1h, and 50% of the cache writes are 1-hour writes"},
		{"every bucket mapped", "{json: {input: $.i, output: $.o, cache_read: $.r, cache_write: $.w}}",
			"{input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, output_tokens: 300}", ""},
		{"no cacheable prefix", "{json: {input: $.i, output: $.o}}", "{input_tokens: 1200, output_tokens: 300}", ""},
		{"a provider's shape", "anthropic", "{input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 300}", ""},
		{"a cost counter", "{prometheus: {cost_usd: cost_total}}", "{input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 300}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parse(t, usageSrc(tt.usage, tt.expect))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == "" && len(p.Warnings) != 0:
				t.Errorf("warnings %v, want none", p.Warnings)
			case tt.want != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0].Error(), tt.want)):
				t.Errorf("warnings %v, want one containing %q", p.Warnings, tt.want)
			}
		})
	}
}

// TestUsageShapeWarningsInSequence: a sequence's step is named by its index.
func TestUsageShapeWarningsInSequence(t *testing.T) {
	t.Parallel()
	src := strings.Replace(minimal, `  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}`, `  conv:
    usage: {json: {input: $.i, output: $.o}}
    steps:
      - {request: {method: POST, path: /a}, expect: {input_tokens: 100, output_tokens: 10, max_output_tokens: 20}}
      - {request: {method: POST, path: /b}, expect: {input_tokens: 100, cacheable_tokens: 80, output_tokens: 10, max_output_tokens: 20}}`, 1)
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || p.Warnings[0].Field != "tasks.conv.steps[1].expect" || p.Warnings[0].Line != 10 {
		t.Errorf("warnings %v", p.Warnings)
	}
}
