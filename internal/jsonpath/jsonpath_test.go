package jsonpath

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

const doc = `{
	"id": "msg_1",
	"usage": {"input_tokens": 295, "output_tokens": 143, "cache_creation": null},
	"meta": {"tok in": 7, "it's": 8, "x-request-id": "r1", "ñame": "u"},
	"choices": [{"text": "a"}, {"text": "b"}, {"text": "c"}],
	"nested": [[1, 2], [3, [4, 5]]],
	"0": "zero"
}`

func TestGet(t *testing.T) {
	v := decode(t, doc)
	tests := []struct {
		name   string
		expr   string
		want   any
		wantOK bool
	}{
		{"root", "$", v, true},
		{"member", "$.id", "msg_1", true},
		{"nested member", "$.usage.input_tokens", json.Number("295"), true},
		{"bracket single quotes", "$['usage']['output_tokens']", json.Number("143"), true},
		{"bracket double quotes", `$["usage"]["output_tokens"]`, json.Number("143"), true},
		{"bracket with space in name", "$.meta['tok in']", json.Number("7"), true},
		{"escaped quote", `$.meta['it\'s']`, json.Number("8"), true},
		{"dash in dotted name", "$.meta.x-request-id", "r1", true},
		{"non-ASCII dotted name", "$.meta.ñame", "u", true},
		{"digit key", "$.0", "zero", true},
		{"index", "$.choices[1].text", "b", true},
		{"index with spaces", "$.choices[ 2 ].text", "c", true},
		{"negative index", "$.choices[-1].text", "c", true},
		{"negative index first", "$.choices[-3].text", "a", true},
		{"nested arrays", "$.nested[1][1][0]", json.Number("4"), true},
		{"null exists", "$.usage.cache_creation", nil, true},
		{"missing member", "$.usage.nope", nil, false},
		{"index out of range", "$.choices[3]", nil, false},
		{"negative out of range", "$.choices[-4]", nil, false},
		{"index on object", "$.usage[0]", nil, false},
		{"member on array", "$.choices.text", nil, false},
		{"member on scalar", "$.id.x", nil, false},
		{"member on null", "$.usage.cache_creation.x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tt.expr, err)
			}
			got, ok := p.Get(v)
			if ok != tt.wantOK {
				t.Fatalf("Get ok = %v, want %v (value %v)", ok, tt.wantOK, got)
			}
			if tt.expr == "$" {
				return // maps are not comparable; ok is enough
			}
			if got != tt.want {
				t.Errorf("Get = %#v, want %#v", got, tt.want)
			}
			if p.String() != tt.expr {
				t.Errorf("String() = %q, want %q", p.String(), tt.expr)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		expr    string
		column  int
		message string // a substring of the error
	}{
		{"", 1, "expected '$'"},
		{"usage.input", 1, "expected '$' (the root) at the start, as in $.usage.input"},
		{".usage", 1, "as in $.usage"},
		{"$usage", 2, "unexpected 'u': expected .name, ['name'] or [index]"},
		{"$.", 2, "expected a name after '.'"},
		{"$..a", 2, "recursive descent"},
		{"$.*", 3, "wildcard"},
		{"$.a b", 4, "unexpected ' '"},
		{"$.a/b", 4, "unexpected '/'"},
		{"$.a.", 4, "expected a name after '.'"},
		{"$.a[", 4, "unterminated '['"},
		{"$.a[0", 4, "unterminated '['"},
		{"$.a[0x]", 6, "expected ']'"},
		{"$.a[*]", 5, "wildcard"},
		{"$.a[?(@.x)]", 5, "filter"},
		{"$.a[1:2]", 6, "slices"},
		{"$.a[1,2]", 6, "unions"},
		{"$.a[-]", 5, "expected digits"},
		{"$.a[99999999999999999999]", 5, "out of range"},
		{"$.a['x", 5, "unterminated quoted name"},
		{`$.a['x\q']`, 7, `unknown escape \q`},
		{`$.a['\u12']`, 6, `4 hex digits`},
		{`$.a['\ud800']`, 6, "unpaired surrogate"},
		{"$.a[b]", 5, "unexpected 'b' after '['"},
		{"$.a['x'y]", 8, "expected ']'"},
		{"$.é.x y", 6, "unexpected ' '"}, // columns count characters, not bytes
		{"$.a\xff", 4, "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := Compile(tt.expr)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tt.expr, p)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if se.Column() != tt.column {
				t.Errorf("column = %d, want %d (%v)", se.Column(), tt.column, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not contain %q", err, tt.message)
			}
			if !strings.HasPrefix(err.Error(), "jsonpath ") {
				t.Errorf("error %q does not name the package", err)
			}
		})
	}
}

func TestEscapes(t *testing.T) {
	v := map[string]any{"a\"b\\c/\n\t😀é": "ok"}
	for _, expr := range []string{
		`$['a"b\\c/\n\t😀é']`,
		`$["a\"b\\c\/\n\t\ud83d\ude00\u00e9"]`,
	} {
		p, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		if got, ok := p.Get(v); !ok || got != "ok" {
			t.Errorf("%s: Get = %v, %v", expr, got, ok)
		}
	}
}

func TestInt64(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want int64
		ok   bool
	}{
		{"json.Number", json.Number("295"), 295, true},
		{"json.Number zero", json.Number("0"), 0, true},
		{"json.Number negative", json.Number("-3"), -3, true},
		{"json.Number max int64", json.Number("9223372036854775807"), math.MaxInt64, true},
		{"json.Number overflow", json.Number("9223372036854775808"), 0, false},
		{"json.Number integral fraction", json.Number("12.0"), 12, true},
		{"json.Number exponent", json.Number("1.5e3"), 1500, true},
		{"json.Number fraction", json.Number("1.5"), 0, false},
		{"json.Number huge exponent", json.Number("1e999999999"), 0, false},
		{"string", "42", 42, true},
		{"string with spaces", " 42 ", 42, true},
		{"string exponent", "2E2", 200, true},
		{"string not a number", "42 tokens", 0, false},
		{"string empty", "", 0, false},
		{"string hex", "0x10", 0, false},
		{"string inf", "inf", 0, false},
		{"string NaN", "NaN", 0, false},
		{"float64 integral", float64(1800), 1800, true},
		{"float64 2^53", float64(1 << 53), 1 << 53, true},
		{"float64 beyond 2^53", float64(1 << 54), 0, false},
		{"float64 fraction", 0.5, 0, false},
		{"float64 NaN", math.NaN(), 0, false},
		{"float64 Inf", math.Inf(1), 0, false},
		{"int", 7, 7, true},
		{"int64", int64(7), 7, true},
		{"uint64 too big", uint64(math.MaxUint64), 0, false},
		{"bool", true, 0, false},
		{"nil", nil, 0, false},
		{"object", map[string]any{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Int64(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Int64(%#v) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGetInt64(t *testing.T) {
	v := decode(t, doc)
	p := MustCompile("$.usage.input_tokens")
	if n, ok := p.GetInt64(v); !ok || n != 295 {
		t.Errorf("GetInt64 = %d, %v; want 295, true", n, ok)
	}
	if n, ok := MustCompile("$.id").GetInt64(v); ok {
		t.Errorf("GetInt64 on a string id = %d, true; want false", n)
	}
	if _, ok := MustCompile("$.nope").GetInt64(v); ok {
		t.Error("GetInt64 on a missing member = true")
	}
}

func TestNilAndZeroPath(t *testing.T) {
	var p *Path
	if _, ok := p.Get(map[string]any{}); ok {
		t.Error("nil Path found a value")
	}
	if p.String() != "" {
		t.Errorf("nil Path String() = %q", p.String())
	}
	if _, ok := new(Path).Get(map[string]any{}); ok {
		t.Error("zero Path found a value")
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustCompile of an invalid expression did not panic")
		}
	}()
	MustCompile("nope")
}

func TestText(t *testing.T) {
	var s struct {
		P *Path `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"p": "$.a[0]"}`), &s); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.P.Get(map[string]any{"a": []any{"x"}}); !ok || got != "x" {
		t.Errorf("Get = %v, %v", got, ok)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p":"$.a[0]"}` {
		t.Errorf("Marshal = %s", b)
	}
	if err := json.Unmarshal([]byte(`{"p": "a"}`), &s); err == nil {
		t.Error("Unmarshal of an invalid path succeeded")
	}
}

// compileBudget is what compiling an expression of n bytes may cost.
var compileBudget = fuzzcheck.Budget{AllocBase: 1 << 20, AllocPerByte: 64}

// FuzzCompile: any expression compiles or is a located *SyntaxError, within compileBudget,
// and a compiled one prints as written.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"$", "$.a", "$.a.b[0]", "$['a b'][-1]", `$["x\"y"]`, `$['\ud83d\ude00']`, "$..a", "$.a[",
		"$[ 1 ]", "a.b", "", "$.é",
	} {
		f.Add(s)
	}
	v := map[string]any{"a": []any{map[string]any{"b": json.Number("1")}}, "a b": []any{"x"}}
	f.Fuzz(func(t *testing.T, expr string) {
		var p *Path
		var err error
		compileBudget.Check(t, len(expr), func() { p, err = Compile(expr) })
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > len(expr) {
				t.Fatalf("offset %d outside [0, %d]", se.Offset, len(expr))
			}
			return
		}
		if p.String() != expr {
			t.Fatalf("String() = %q, want %q", p.String(), expr)
		}
		p.Get(v)
		p.GetInt64(v)
	})
}
