package pricing

import (
	"errors"
	"strings"
	"testing"
)

func TestParseYAMLDefaults(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		// input, cache write 5m, cache write 1h, cache read, output (USD per million tokens)
		want [5]string
	}{
		{"anthropic rule", "{id: m, provider: anthropic, input: 3, output: 15}",
			[5]string{"3", "3.75", "6", "0.3", "15"}},
		{"anthropic figures win over the rule", "{id: m, provider: anthropic, input: 0.25, cache_write_5m: 0.30, cache_read: 0.03, output: 1.25}",
			[5]string{"0.25", "0.30", "0.50", "0.03", "1.25"}},
		{"provider is case-insensitive", "{id: m, provider: Anthropic, input: 1, output: 5}",
			[5]string{"1", "1.25", "2", "0.1", "5"}},
		{"openai writes cost the input price", "{id: m, provider: openai, input: 2.50, cache_read: 1.25, output: 10}",
			[5]string{"2.50", "2.50", "2.50", "1.25", "10"}},
		{"other providers: no discount known", "{id: m, provider: acme, input: 0.5, output: 1}",
			[5]string{"0.5", "0.5", "0.5", "0.5", "1"}},
		{"other providers: the 1-hour write follows the 5-minute one", "{id: m, provider: acme, input: 1, cache_write_5m: 1.5, output: 2}",
			[5]string{"1", "1.5", "1.5", "1", "2"}},
		{"prices as text, with a dollar sign or an exponent", `{id: m, provider: acme, input: "3.00", cache_read: $0.30, cache_write_5m: 3.75e0, output: 1.5e+1}`,
			[5]string{"3", "3.75", "3.75", "0.3", "15"}},
		{"free", "{id: m, provider: acme, input: 0, output: 0}",
			[5]string{"0", "0", "0", "0", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte("as_of: 2026-11-27\nsource: test\nmodels:\n  - "+tt.entry+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			p := c.Prices[0]
			got := []struct {
				name  string
				value string
			}{
				{"input", p.InputPerMTok.String()},
				{"cache write 5m", p.CacheWrite5mPerMTok.String()},
				{"cache write 1h", p.CacheWrite1hPerMTok.String()},
				{"cache read", p.CacheReadPerMTok.String()},
				{"output", p.OutputPerMTok.String()},
			}
			for i, g := range got {
				assertMoney(t, g.name, d(g.value), tt.want[i])
			}
		})
	}
}

func TestParseYAMLFields(t *testing.T) {
	c, err := Parse("test.yaml", []byte(`
as_of: 2026-11-27
source: >-
  two
  lines
models:
  - id: z-model
    provider: acme
    aliases: [z, zz]
    checked: 2026-11-01
    input: 1
    output: 2
  - {id: a-model, provider: acme, input: 1, output: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.AsOf != "2026-11-27" || c.Source != "two lines" {
		t.Errorf("AsOf, Source = %q, %q", c.AsOf, c.Source)
	}
	if len(c.Prices) != 2 || c.Prices[0].Model != "a-model" || c.Prices[1].Model != "z-model" {
		t.Fatalf("Prices not sorted by Model: %+v", c.Prices)
	}
	z := c.Prices[1]
	if z.Provider != "acme" || z.Checked != "2026-11-01" || strings.Join(z.Aliases, ",") != "z,zz" {
		t.Errorf("z-model = %+v", z)
	}
	if p, err := c.Lookup("zz"); err != nil || p.Model != "z-model" {
		t.Errorf("Lookup(zz) = %s, %v", p.Model, err)
	}
}

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // each a line of the error, in order
	}{
		{"empty", "", []string{"t.yaml: empty price catalog"}},
		{"not a mapping", "- a\n", []string{"t.yaml:1:1: want a mapping with as_of, source and models, not a list"}},
		{"syntax error", "models: [\n", []string{"t.yaml:1: did not find expected node content"}},
		{"no models", "as_of: 2026-11-27\n", []string{"t.yaml:1:1: models: missing"}},
		{"empty models", "models: []\n", []string{"t.yaml:1:9: models: the list is empty"}},
		{"models not a list", "models: {a: 1}\n", []string{"t.yaml:1:9: models: want a list of models, not a mapping"}},
		{"unknown top-level key", "as_of: 2026-11-27\nmodles: []\n", []string{`t.yaml:2:1: unknown field "modles" (did you mean "models"?)`}},
		{"unknown key without a close one", "models: [{id: a, provider: x, input: 1, output: 1, colour: red}]\n",
			[]string{`t.yaml:1:52: models[0] (a): unknown field "colour" (known: id, provider, aliases, checked, input, cache_write_5m, cache_write_1h, cache_read, output, above, service_tiers)`}},
		{"misspelt price", "models:\n  - {id: a, provider: anthropic, inptu: 3, output: 15}\n",
			[]string{`t.yaml:2:34: models[0] (a): unknown field "inptu" (did you mean "input"?)`}},
		{"openai's own name for the cache read", "models:\n  - {id: a, provider: openai, input: 3, cached_input: 1, output: 15}\n",
			[]string{`t.yaml:2:41: models[0] (a): unknown field "cached_input" (did you mean "cache_read"?)`}},
		{"bad date", "as_of: 27/11/2026\nmodels: [{id: a, provider: x, input: 1, output: 1}]\n",
			[]string{`t.yaml:1:8: as_of: "27/11/2026" is not a date: want YYYY-MM-DD`}},
		{"price that is not a number", "models:\n  - {id: a, provider: x, input: abc, output: 1}\n",
			[]string{`t.yaml:2:33: models[0] (a): input: "abc" is not a price (not a number); want a non-negative number of USD per million tokens`}},
		{"negative price", "models:\n  - {id: a, provider: x, input: 1, output: -15}\n",
			[]string{`t.yaml:2:44: models[0] (a): output: "-15" is not a price (negative)`}},
		{"NaN", "models:\n  - {id: a, provider: x, input: .nan, output: 1}\n",
			[]string{`t.yaml:2:33: models[0] (a): input: ".nan" is not a price (not a number)`}},
		{"empty price", "models:\n  - {id: a, provider: x, input: 1, output: }\n",
			[]string{`t.yaml:2:44: models[0] (a): output: want a price, not an empty value`}},
		{"boolean price", "models:\n  - {id: a, provider: x, input: 1, output: true}\n",
			[]string{`t.yaml:2:44: models[0] (a): output: want a price, not "true"`}},
		{"list as a price", "models:\n  - {id: a, provider: x, input: [1], output: 1}\n",
			[]string{`t.yaml:2:33: models[0] (a): input: want a price, not a list`}},
		{"missing fields", "models:\n  - {id: a}\n", []string{
			"t.yaml:2:5: models[0] (a): provider: missing",
			"t.yaml:2:5: models[0] (a): input: missing",
			"t.yaml:2:5: models[0] (a): output: missing",
		}},
		{"missing id", "models:\n  - {provider: x, input: 1, output: 1}\n", []string{"t.yaml:2:5: models[0]: id: missing"}},
		{"openai without a cached-input price", "models:\n  - {id: a, provider: openai, input: 3, output: 15}\n",
			[]string{"t.yaml:2:5: models[0] (a): cache_read: missing: openai models need their cached-input price"}},
		{"repeated key", "models:\n  - {id: a, provider: x, input: 1, input: 2, output: 1}\n",
			[]string{"t.yaml:2:36: models[0] (a): input given twice (first at 2:26)"}},
		{"repeated id", "models:\n  - {id: a, provider: x, input: 1, output: 1}\n  - {id: a, provider: x, input: 1, output: 1}\n",
			[]string{`t.yaml:3:10: models[1] (a): id: "a" is already a model id or alias (at 2:10)`}},
		{"alias naming another model", "models:\n  - {id: a, provider: x, input: 1, output: 1}\n  - {id: b, aliases: [a], provider: x, input: 1, output: 1}\n",
			[]string{`t.yaml:3:23: models[1] (b): aliases[0]: "a" is already a model id or alias (at 2:10)`}},
		{"aliases not a list", "models:\n  - {id: b, aliases: a, provider: x, input: 1, output: 1}\n",
			[]string{`t.yaml:2:22: models[0] (b): aliases: want a list such as [claude-sonnet-4], not "a"`}},
		{"id with a space", "models:\n  - {id: 'a b', provider: x, input: 1, output: 1}\n",
			[]string{`t.yaml:2:10: models[0] (a b): id: "a b": a model name has no spaces`}},
		{"model not a mapping", "models:\n  - claude-sonnet-4-5\n",
			[]string{`t.yaml:2:5: models[0]: want a mapping such as`}},
		{"every problem at once", "as_of: x\nmodels:\n  - {id: a, provider: x, input: y, output: 1}\n  - {id: b, provider: x, input: 1, output: z}\n", []string{
			"t.yaml:1:8: as_of:",
			"t.yaml:3:33: models[0] (a): input:",
			"t.yaml:4:44: models[1] (b): output:",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			if c != nil {
				t.Error("Parse returned a catalog with its error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("error:\n%v\nwant %d lines", err, len(tt.want))
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("error line %d:\n%s\nwant it to start with\n%s", i+1, lines[i], want)
				}
			}
		})
	}
}

func TestParseYAMLTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("models:\n")
	for range 50 {
		b.WriteString("  - {id: a, provider: x, input: bad, output: 1}\n")
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "t.yaml: too many errors" {
		t.Errorf("%d lines, the last %q; want %d and a last line saying there were too many", len(lines), lines[len(lines)-1], maxErrors+1)
	}
}

func TestParsePriceErrorWrapsCause(t *testing.T) {
	_, err := Parse("t.yaml", []byte("models:\n  - {id: a, provider: x, input: -1, output: 1}\n"))
	if !errors.Is(err, errNegative) {
		t.Errorf("error %v does not wrap its cause", err)
	}
}
