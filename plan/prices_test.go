package plan

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// Prices may be written in the plan instead of a catalog model's name, plan-wide and per
// task; the requests name them by ID.
func TestInlinePrices(t *testing.T) {
	p, err := parse(t, `version: 1
name: t
target: http://127.0.0.1:9
pricing: {input: 3, output: 15, cache_read: 0.30, cache_write_5m: 3.75, cache_write_1h: 6}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}
  cheap:
    request: {method: POST, path: /cheap, json: {max_tokens: 100}}
    usage: openai
    model: {provider: openai, input: "0.15", cache_read: $0.075, output: 0.60}
    expect: {input_tokens: 100, output_tokens: 10}
  named:
    request: {method: POST, path: /named, json: {max_tokens: 100}}
    usage: anthropic
    model: claude-haiku-4-5
    expect: {input_tokens: 100, output_tokens: 10}
scenarios:
  s: {users: 1, duration: 10s}
`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != "plan:pricing" {
		t.Errorf("plan model %q, want plan:pricing", p.Model)
	}
	models := []string{}
	for _, task := range p.Tasks {
		models = append(models, task.Steps[0].Cost.Model)
	}
	if got := strings.Join(models, " "); got != "plan:pricing plan:tasks.cheap.model claude-haiku-4-5" {
		t.Errorf("models %s", got)
	}
	if len(p.Prices) != 2 {
		t.Fatalf("Prices %+v, want the plan's and cheap's", p.Prices)
	}
	plan, cheap := p.Prices[0], p.Prices[1]
	if plan.ID != "plan:pricing" || plan.Provider != "" || plan.Pos.Line != 4 || len(plan.Prices) != 5 ||
		!plan.Prices["cache_write_1h"].Equal(decimal.RequireFromString("6")) {
		t.Errorf("plan-wide price %+v", plan)
	}
	if cheap.ID != "plan:tasks.cheap.model" || cheap.Provider != "openai" || cheap.Field != "tasks.cheap.model" ||
		!cheap.Prices["cache_read"].Equal(decimal.RequireFromString("0.075")) || !cheap.Prices["input"].Equal(decimal.RequireFromString("0.15")) {
		t.Errorf("task price %+v", cheap)
	}
}

func TestInlinePriceErrors(t *testing.T) {
	tests := []struct {
		name, pricing, task string
		want                []string
	}{
		{"model and prices", "pricing: {model: claude-sonnet-4-5, input: 3}", "",
			[]string{"plan.yaml:4:10: pricing: give model: NAME or the prices (input: 3, output: 15, ...), not both"}},
		{"missing output", "pricing: {input: 3}", "",
			[]string{"plan.yaml:4:10: pricing.output: missing; inline prices need input and output"}},
		{"negative price", "pricing: {input: -3, output: 15}", "",
			[]string{`plan.yaml:4:18: pricing.input: "-3" is not a price; give USD per million tokens`}},
		{"typo", "pricing: {input: 3, output: 15, cache_reed: 0.3}", "",
			[]string{`plan.yaml:4:33: pricing.cache_reed: unknown field; did you mean "cache_read"?`}},
		{"openai needs cache_read", "pricing: {model: claude-sonnet-4-5}", "    model: {provider: openai, input: 2, output: 8}\n",
			[]string{"plan.yaml:9:12: tasks.chat.model.cache_read: missing; openai prices need their cached-input price"}},
		{"a task's price not a number", "pricing: {model: claude-sonnet-4-5}", "    model: {input: three, output: 8}\n",
			[]string{`plan.yaml:9:20: tasks.chat.model.input: "three" is not a price`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(minimal, "pricing: {model: claude-sonnet-4-5}", tt.pricing, 1)
			src = strings.Replace(src, "    usage: anthropic\n", "    usage: anthropic\n"+tt.task, 1)
			_, err := parse(t, src)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("error:\n%v\nwant %d lines", err, len(tt.want))
			}
			for i, want := range tt.want {
				if !strings.Contains(lines[i], want) {
					t.Errorf("error line %d:\n%s\nwant it to contain\n%s", i+1, lines[i], want)
				}
			}
		})
	}
}

// Expected token counts are means: they may be fractional, exactly.
func TestFractionalExpect(t *testing.T) {
	src := strings.Replace(minimal, "expect: {input_tokens: 100, output_tokens: 10}",
		"expect: {input_tokens: 1399.5, cacheable_tokens: 1000.25, output_tokens: 300.75}", 1)
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	e := p.Tasks[0].Steps[0].Expect
	for _, f := range []struct {
		name string
		got  decimal.Decimal
		want string
	}{{"input", e.InputTokens, "1399.5"}, {"cacheable", e.CacheableTokens, "1000.25"}, {"output", e.OutputTokens, "300.75"}} {
		if !f.got.Equal(decimal.RequireFromString(f.want)) {
			t.Errorf("%s %s, want %s", f.name, f.got, f.want)
		}
	}
	// The input bound defaults to 2 × input_tokens, rounded up: 2 × 1399.5 = 2799.
	if e.MaxInputTokens != 2799 {
		t.Errorf("max input %d, want 2799", e.MaxInputTokens)
	}
	for _, bad := range []struct{ value, want string }{
		{"-5", `"-5" is negative`},
		{"1e3", `"1e3" is not a number of tokens`},
		{"12.", `"12." is not a number of tokens`},
		{"lots", `"lots" is not a number of tokens`},
	} {
		_, err := parse(t, strings.Replace(minimal, "input_tokens: 100", "input_tokens: "+bad.value, 1))
		if err == nil || !strings.Contains(err.Error(), "plan.yaml:9:28: tasks.chat.expect.input_tokens: "+bad.want) {
			t.Errorf("input_tokens %s: error %v, want %s", bad.value, err, bad.want)
		}
	}
	// A bound stays a whole number.
	if _, err := parse(t, strings.Replace(minimal, "output_tokens: 10}", "output_tokens: 10, max_output_tokens: 20.5}", 1)); err == nil ||
		!strings.Contains(err.Error(), `tasks.chat.expect.max_output_tokens: "20.5" is not a whole number`) {
		t.Errorf("fractional bound: %v", err)
	}
}
