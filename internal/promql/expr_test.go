package promql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     Expr
	}{
		{"gauge", "process_resident_memory_bytes", Expr{Selector: Selector{Name: "process_resident_memory_bytes"}}},
		{"spaces around", "  up  ", Expr{Selector: Selector{Name: "up"}}},
		{"colon name", "job:requests:rate5m", Expr{Selector: Selector{Name: "job:requests:rate5m"}}},
		{"label selection", `claude_api_tokens_total{type="input"}`,
			Expr{Selector: Selector{Name: "claude_api_tokens_total", Matchers: []Matcher{{Label: "type", Value: "input"}}}}},
		{"two labels, not equal, trailing comma", `x{a="1", b != 'two',}`,
			Expr{Selector: Selector{Name: "x", Matchers: []Matcher{{Label: "a", Value: "1"}, {Label: "b", Value: "two", Not: true}}}}},
		{"escapes", `x{a="q\"\\\n"}`, Expr{Selector: Selector{Name: "x", Matchers: []Matcher{{Label: "a", Value: "q\"\\\n"}}}}},
		{"empty braces", `x{}`, Expr{Selector: Selector{Name: "x"}}},
		{"sum", "sum(claude_api_requests_total)", Expr{Sum: true, Selector: Selector{Name: "claude_api_requests_total"}}},
		{"sum of a selection", `sum ( claude_api_requests_total{status="500"} )`,
			Expr{Sum: true, Selector: Selector{Name: "claude_api_requests_total", Matchers: []Matcher{{Label: "status", Value: "500"}}}}},
		{"rate", "rate(process_cpu_seconds_total[30s])",
			Expr{Func: FuncRate, Selector: Selector{Name: "process_cpu_seconds_total"}, Range: 30 * time.Second}},
		{"increase", "increase(circuit_breaker_open_total[1m])",
			Expr{Func: FuncIncrease, Selector: Selector{Name: "circuit_breaker_open_total"}, Range: time.Minute}},
		{"sum of rate", `sum(rate(claude_api_requests_total{status="200"}[1m30s]))`,
			Expr{Sum: true, Func: FuncRate, Selector: Selector{Name: "claude_api_requests_total", Matchers: []Matcher{{Label: "status", Value: "200"}}}, Range: 90 * time.Second}},
		{"metric named like a function", "rate", Expr{Selector: Selector{Name: "rate"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			c.want.text = c.in
			if !reflect.DeepEqual(*e, c.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", c.in, *e, c.want)
			}
			if e.String() != c.in {
				t.Errorf("String() = %q", e.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		col      int    // 1-based column of the problem
		msg      string // part of the message
	}{
		{"empty", "", 1, "empty"},
		{"blank", "   ", 4, "empty"},
		{"digit first", "1x", 1, "expected a metric name or sum"},
		{"unknown function", "avg(x)", 1, `unknown function "avg"`},
		{"unknown function inside sum", "sum(max(x))", 5, `unknown function "max"`},
		{"rate without range", "rate(x)", 7, "rate needs a range"},
		{"range without function", "x[5m]", 2, "a range needs a function"},
		{"range in sum", "sum(x[5m])", 6, "a range [..] goes inside rate"},
		{"bad duration", "rate(x[5 minutes])", 8, `"5" is not a duration`},
		{"bare number duration", "rate(x[30])", 8, `"30" is not a duration`},
		{"empty duration", "increase(x[])", 12, "empty range"},
		{"zero range", "rate(x[0s])", 8, "more than 0s"},
		{"unclosed range", "rate(x[30s)", 11, "expected ']'"},
		{"unclosed rate", "rate(x[30s]", 12, "expected ')' closing rate("},
		{"unclosed sum", "sum(x", 6, "expected ')' closing sum("},
		{"operator", "x + y", 3, `unexpected "+ y"`},
		{"regex matcher", `x{a=~"b"}`, 4, "operator =~ is not supported"},
		{"unquoted value", `x{a=b}`, 5, "expected a quoted value for label a"},
		{"unterminated value", `x{a="b}`, 5, "unterminated quoted value"},
		{"unterminated braces", `x{a="b"`, 8, "unterminated '{'"},
		{"label twice", `x{a="1",a="2"}`, 9, "label a is matched twice"},
		{"no name", `{a="1"}`, 1, "expected a metric name or sum"},
		{"selector without name in sum", `sum({a="1"})`, 5, "starts with its metric name"},
		{"bad escape", `x{a="\t"}`, 6, `unknown escape \t`},
		{"sum of sum", "sum(sum(x))", 5, "sum(sum(...))"},
		{"missing equals", `x{a "1"}`, 5, "expected '=' or '!='"},
		{"non-ascii column", `x{é="1"}`, 3, "expected a label name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(c.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want an *Error", c.in, err)
			}
			if pe.Column() != c.col || !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("Parse(%q): column %d %q; want column %d and %q", c.in, pe.Column(), pe.Msg, c.col, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "column ") {
				t.Errorf("error %q does not start with its column", err)
			}
		})
	}
}

func TestSelectorMatches(t *testing.T) {
	t.Parallel()
	e, err := Parse(`x{type="input", model!="haiku", absent=""}`)
	if err != nil {
		t.Fatal(err)
	}
	labels := func(m map[string]string) func(string) string { return func(n string) string { return m[n] } }
	cases := []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"type": "input", "model": "sonnet"}, true},
		{map[string]string{"type": "input"}, true}, // model "" != "haiku"; absent is ""
		{map[string]string{"type": "input", "model": "haiku"}, false},
		{map[string]string{"type": "output"}, false},
		{map[string]string{"type": "input", "absent": "x"}, false},
	}
	for _, c := range cases {
		if got := e.Selector.Matches(labels(c.labels)); got != c.want {
			t.Errorf("%v: %v, want %v", c.labels, got, c.want)
		}
	}
	if got := e.Selector.String(); got != `x{type="input", model!="haiku", absent=""}` {
		t.Errorf("String() = %s", got)
	}
}

// parseBudget is what parsing an expression of n bytes may cost.
var parseBudget = fuzzcheck.Budget{AllocBase: 8 << 20, AllocPerByte: 512}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"x", `x{a="b"}`, "sum(x)", "rate(x[30s])", `sum(increase(x{a!='b'}[1m]))`, `x{a="\"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseBudget.Check(t, len(s), func() {
			e, err := Parse(s)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) {
					t.Fatalf("Parse(%q): %v", s, err)
				}
				return
			}
			if e.Selector.Name == "" || (e.Func != FuncNone) != (e.Range > 0) {
				t.Fatalf("Parse(%q) = %+v", s, e)
			}
			// The selector's canonical form parses to the same selector.
			again, err := Parse(e.Selector.String())
			if err != nil || !reflect.DeepEqual(again.Selector, e.Selector) {
				t.Fatalf("selector %q of %q does not parse back: %v", e.Selector.String(), s, err)
			}
		})
	})
}
