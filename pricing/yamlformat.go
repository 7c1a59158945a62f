package pricing

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// The keys of loadplan's catalog format (doc.go).
var (
	catalogKeys = []string{"as_of", "source", "models"}
	modelKeys   = []string{"id", "provider", "aliases", "checked",
		"input", "cache_write_5m", "cache_write_1h", "cache_read", "output", "above", "service_tiers"}
	priceKeys = []string{"input", "cache_write_5m", "cache_write_1h", "cache_read", "output"}
	aboveKeys = append([]string{"tokens"}, priceKeys...)
	tierKeys  = append(append([]string(nil), priceKeys...), "above")
)

// keyHints names the key meant by some likely mistakes that edit distance would not find.
var keyHints = map[string]string{
	"model":         "id",
	"name":          "id",
	"cached_input":  "cache_read",
	"cache_write":   "cache_write_5m",
	"cache_write5m": "cache_write_5m",
	"cache_write1h": "cache_write_1h",
	"date":          "as_of",
	"threshold":     "tokens",
	"tiers":         "service_tiers",
	"service_tier":  "service_tiers",
	"above_200k":    "above",
}

// The default multipliers of the input price for Anthropic's cache prices (doc.go).
var (
	anthropicWrite5m = decimal.RequireFromString("1.25")
	anthropicWrite1h = decimal.RequireFromString("2")
	anthropicRead    = decimal.RequireFromString("0.1")
)

// priceHint ends the error for a price that does not parse.
const priceHint = "want a non-negative number of USD per million tokens such as 3, 0.30 or 3e-06"

// yamlDecoder decodes loadplan's catalog format from a yaml.Node tree, collecting problems.
type yamlDecoder struct {
	errorList
	seen map[string]*yaml.Node // every model id and alias, to the node that named it first
}

func parseYAML(name string, data []byte) (*Catalog, error) {
	d := &yamlDecoder{errorList: errorList{file: name}, seen: map[string]*yaml.Node{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := splitYAMLError(err)
		d.add(line, 0, "", err, "%s", msg)
		return nil, d.err()
	}
	if len(doc.Content) == 0 {
		d.add(0, 0, "", nil, "empty price catalog: want as_of, source and models (see the pricing package's doc)")
		return nil, d.err()
	}
	c := d.catalog(resolve(doc.Content[0]))
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// yamlErrorLine matches the start of yaml.v3's syntax errors: "yaml: line 3: ...".
var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): `)

// splitYAMLError returns the line of a yaml.v3 syntax error (0 if it has none) and its message
// without the "yaml: line N: " prefix.
func splitYAMLError(err error) (int, string) {
	msg := err.Error()
	if m := yamlErrorLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, msg[len(m[0]):]
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// kindName names a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "an empty value"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}

// fields walks a mapping node's pairs, reporting unknown and repeated keys, and calls fn for
// each known key with its resolved value. It returns the known keys it suggested for unknown
// ones, so that a misspelt key is not reported missing as well.
func (d *yamlDecoder) fields(m *yaml.Node, where string, known []string, fn func(key string, k, v *yaml.Node)) map[string]bool {
	seen := map[string]*yaml.Node{}
	suggested := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolve(m.Content[i]), resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, k.Column, where, nil, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.add(k.Line, k.Column, where, nil, "%s given twice (first at %d:%d)", k.Value, first.Line, first.Column)
			continue
		}
		seen[k.Value] = k
		if !containsString(known, k.Value) {
			msg := fmt.Sprintf("unknown field %q", k.Value)
			hint := keyHints[k.Value]
			if hint == "" {
				hint = closestKey(k.Value, known)
			}
			if hint != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", hint)
				suggested[hint] = true
			} else {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			d.add(k.Line, k.Column, where, nil, "%s", msg)
			continue
		}
		fn(k.Value, k, v)
	}
	return suggested
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// catalog decodes the top-level mapping.
func (d *yamlDecoder) catalog(root *yaml.Node) *Catalog {
	if root.Kind != yaml.MappingNode {
		d.add(root.Line, root.Column, "", nil, "want a mapping with as_of, source and models, not %s", kindName(root))
		return nil
	}
	c := &Catalog{}
	var models *yaml.Node
	suggested := d.fields(root, "", catalogKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "as_of":
			c.AsOf = d.date(v, "as_of")
		case "source":
			c.Source = strings.TrimSpace(d.text(v, "source"))
		case "models":
			models = v
			if v.Kind != yaml.SequenceNode {
				d.add(v.Line, v.Column, "models", nil, "want a list of models, not %s", kindName(v))
				models = nil
			}
		}
	})
	if models == nil {
		if !hasKey(root, "models") && !suggested["models"] {
			d.add(root.Line, root.Column, "", nil, "models: missing: list the models and their prices")
		}
		return c
	}
	if len(models.Content) == 0 {
		d.add(models.Line, models.Column, "models", nil, "the list is empty")
	}
	for i, m := range models.Content {
		if p, ok := d.model(resolve(m), fmt.Sprintf("models[%d]", i)); ok {
			c.Prices = append(c.Prices, p)
		}
	}
	return c
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// text returns a scalar's text, reporting anything else.
func (d *yamlDecoder) text(v *yaml.Node, where string) string {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		d.add(v.Line, v.Column, where, nil, "want text, not %s", kindName(v))
		return ""
	}
	return v.Value
}

// date returns a YYYY-MM-DD scalar's text, reporting anything else.
func (d *yamlDecoder) date(v *yaml.Node, where string) string {
	s := d.text(v, where)
	if s == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		d.add(v.Line, v.Column, where, err, "%q is not a date: want YYYY-MM-DD, e.g. 2026-11-27", s)
		return ""
	}
	return s
}

// name returns a model id or alias, reporting empty ones, ones with spaces and repeats.
func (d *yamlDecoder) name(v *yaml.Node, where string) string {
	s := d.text(v, where)
	if s == "" {
		if v.Kind == yaml.ScalarNode && v.ShortTag() != "!!null" {
			d.add(v.Line, v.Column, where, nil, "empty name")
		}
		return ""
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		d.add(v.Line, v.Column, where, nil, "%q: a model name has no spaces", s)
		return ""
	}
	if first, dup := d.seen[s]; dup {
		d.add(v.Line, v.Column, where, nil, "%q is already a model id or alias (at %d:%d)", s, first.Line, first.Column)
		return ""
	}
	d.seen[s] = v
	return s
}

// price returns a price scalar's value, reporting anything that is not a non-negative number.
// The bool is false when there was a problem.
func (d *yamlDecoder) price(v *yaml.Node, where string) (decimal.Decimal, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.ShortTag() == "!!bool" {
		d.add(v.Line, v.Column, where, nil, "want a price, not %s; %s", kindName(v), priceHint)
		return decimal.Decimal{}, false
	}
	p, err := parseDecimal(strings.TrimSpace(v.Value), true)
	if err != nil {
		d.add(v.Line, v.Column, where, err, "%q is not a price (%v); %s", v.Value, err, priceHint)
		return decimal.Decimal{}, false
	}
	return p, true
}

// model decodes one entry of models. The bool is false when it had a problem.
func (d *yamlDecoder) model(m *yaml.Node, where string) (Price, bool) {
	if m.Kind != yaml.MappingNode {
		d.add(m.Line, m.Column, where, nil, "want a mapping such as {id: claude-sonnet-4-5, provider: anthropic, input: 3, output: 15}, not %s", kindName(m))
		return Price{}, false
	}
	// Name the entry by its id in errors, wherever the id is in the mapping.
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, v := m.Content[i], resolve(m.Content[i+1]); k.Value == "id" && v.Kind == yaml.ScalarNode && v.Value != "" {
			where = fmt.Sprintf("%s (%s)", where, v.Value)
			break
		}
	}
	before := len(d.errs)
	var p Price
	prices := ratesFields(&p.Rates)
	given := map[string]bool{}
	var above, tiers *yaml.Node
	suggested := d.fields(m, where, modelKeys, func(key string, k, v *yaml.Node) {
		field := where + ": " + key
		switch key {
		case "id":
			p.Model = d.name(v, field)
		case "provider":
			p.Provider = strings.ToLower(strings.TrimSpace(d.text(v, field)))
		case "checked":
			p.Checked = d.date(v, field)
		case "aliases":
			if v.Kind != yaml.SequenceNode {
				d.add(v.Line, v.Column, field, nil, "want a list such as [claude-sonnet-4], not %s", kindName(v))
				return
			}
			for i, a := range v.Content {
				if s := d.name(resolve(a), fmt.Sprintf("%s[%d]", field, i)); s != "" {
					p.Aliases = append(p.Aliases, s)
				}
			}
		case "above":
			above = v
		case "service_tiers":
			tiers = v
		default:
			if value, ok := d.price(v, field); ok {
				*prices[key] = value
				given[key] = true
			}
		}
	})
	missing := func(key, why string) {
		if !hasKey(m, key) && !suggested[key] {
			d.add(m.Line, m.Column, where, nil, "%s: missing: %s", key, why)
		}
	}
	missing("id", "the model's name, e.g. claude-sonnet-4-5")
	missing("provider", "anthropic, openai or another name")
	missing("input", "the price of a million uncached input tokens")
	missing("output", "the price of a million output tokens")
	if len(d.errs) > before {
		return Price{}, false
	}
	if err := applyDefaults(&p, given); err != nil {
		d.add(m.Line, m.Column, where, nil, "%v", err)
		return Price{}, false
	}
	if above != nil {
		p.Above = d.aboveList(above, where+": above", p.Rates)
	}
	if tiers != nil {
		p.ServiceTiers = d.serviceTiers(tiers, where+": service_tiers", p.Rates)
	}
	if len(d.errs) > before {
		return Price{}, false
	}
	completeTiers(&p)
	return p, true
}

// ratesFields maps the price keys of the format to the fields of r.
func ratesFields(r *Rates) map[string]*decimal.Decimal {
	return map[string]*decimal.Decimal{
		"input":          &r.InputPerMTok,
		"cache_write_5m": &r.CacheWrite5mPerMTok,
		"cache_write_1h": &r.CacheWrite1hPerMTok,
		"cache_read":     &r.CacheReadPerMTok,
		"output":         &r.OutputPerMTok,
	}
}

// tierRates decodes the prices of a tier (an entry of above, or a service tier) from the
// mapping m, whose other keys (tokens, above) fn handles. input and output are required; the
// cache prices left out are base's scaled as the input price is (scaledRates).
func (d *yamlDecoder) tierRates(m *yaml.Node, where string, keys []string, base Rates, fn func(key string, k, v *yaml.Node)) Rates {
	var r Rates
	prices := ratesFields(&r)
	given := map[string]bool{}
	suggested := d.fields(m, where, keys, func(key string, k, v *yaml.Node) {
		if dst, ok := prices[key]; ok {
			if value, ok := d.price(v, where+": "+key); ok {
				*dst = value
				given[key] = true
			}
			return
		}
		fn(key, k, v)
	})
	for _, key := range []string{"input", "output"} {
		if !hasKey(m, key) && !suggested[key] {
			d.add(m.Line, m.Column, where, nil, "%s: missing: a tier's %s price is required (its cache prices follow the input price's ratio to the standard one)", key, key)
		}
	}
	return scaledRates(base, r, given)
}

// aboveList decodes a list of prompt-size tiers: [{tokens: 200000, input: 6, output: 22.50}].
func (d *yamlDecoder) aboveList(v *yaml.Node, where string, base Rates) []Above {
	if v.Kind != yaml.SequenceNode {
		d.add(v.Line, v.Column, where, nil, "want a list such as [{tokens: 200000, input: 6, output: 22.50}], not %s", kindName(v))
		return nil
	}
	var out []Above
	seen := map[int64]*yaml.Node{}
	for i, e := range v.Content {
		e = resolve(e)
		at := fmt.Sprintf("%s[%d]", where, i)
		if e.Kind != yaml.MappingNode {
			d.add(e.Line, e.Column, at, nil, "want a mapping such as {tokens: 200000, input: 6, output: 22.50}, not %s", kindName(e))
			continue
		}
		a := Above{Tokens: -1}
		var tokensNode *yaml.Node
		a.Rates = d.tierRates(e, at, aboveKeys, base, func(key string, k, v *yaml.Node) {
			if key == "tokens" {
				tokensNode = v
				a.Tokens = d.tokens(v, at+": tokens")
			}
		})
		if tokensNode == nil && !hasKey(e, "tokens") {
			d.add(e.Line, e.Column, at, nil, "tokens: missing: the prompt size above which these prices apply, e.g. 200000")
		}
		if a.Tokens < 0 {
			continue
		}
		if first, dup := seen[a.Tokens]; dup {
			d.add(tokensNode.Line, tokensNode.Column, at+": tokens", nil, "%d is already a threshold (at %d:%d)", a.Tokens, first.Line, first.Column)
			continue
		}
		seen[a.Tokens] = tokensNode
		out = append(out, a)
	}
	return out
}

// tokens returns a threshold: a positive whole number of tokens, written 200000, 200_000,
// 200k or 1m.
func (d *yamlDecoder) tokens(v *yaml.Node, where string) int64 {
	const hint = "want a positive whole number of prompt tokens such as 200000, 200k or 1m"
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		d.add(v.Line, v.Column, where, nil, "%s, not %s", hint, kindName(v))
		return -1
	}
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(v.Value), "_", ""))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		s, mult = strings.TrimSuffix(s, "k"), 1_000
	case strings.HasSuffix(s, "m"):
		s, mult = strings.TrimSuffix(s, "m"), 1_000_000
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<53)/mult {
		d.add(v.Line, v.Column, where, err, "%q: %s", v.Value, hint)
		return -1
	}
	return n * mult
}

// serviceTiers decodes the service_tiers mapping: {priority: {input: 6, output: 30}}.
func (d *yamlDecoder) serviceTiers(v *yaml.Node, where string, std Rates) map[string]Tier {
	if v.Kind != yaml.MappingNode {
		d.add(v.Line, v.Column, where, nil, "want a mapping such as {priority: {input: 6, output: 30}}, not %s", kindName(v))
		return nil
	}
	out := map[string]Tier{}
	d.fields(v, where, serviceTiers, func(name string, k, v *yaml.Node) {
		at := where + "." + name
		if v.Kind != yaml.MappingNode {
			d.add(v.Line, v.Column, at, nil, "want a mapping such as {input: 6, output: 30}, not %s", kindName(v))
			return
		}
		var above *yaml.Node
		t := Tier{Rates: d.tierRates(v, at, tierKeys, std, func(key string, k, v *yaml.Node) {
			if key == "above" {
				above = v
			}
		})}
		if above != nil {
			t.Above = d.aboveList(above, at+": above", t.Rates)
		}
		out[name] = t
	})
	return out
}

// applyDefaults fills in the cache prices a catalog entry left out, by its provider's rule
// (doc.go). given says which were written.
func applyDefaults(p *Price, given map[string]bool) error {
	in := p.InputPerMTok
	switch p.Provider {
	case ProviderAnthropic:
		if !given["cache_write_5m"] {
			p.CacheWrite5mPerMTok = in.Mul(anthropicWrite5m).Normalize()
		}
		if !given["cache_write_1h"] {
			p.CacheWrite1hPerMTok = in.Mul(anthropicWrite1h).Normalize()
		}
		if !given["cache_read"] {
			p.CacheReadPerMTok = in.Mul(anthropicRead).Normalize()
		}
	case ProviderOpenAI:
		if !given["cache_read"] {
			return errors.New("cache_read: missing: openai models need their cached-input price")
		}
		fallthrough
	default:
		if !given["cache_write_5m"] {
			p.CacheWrite5mPerMTok = in
		}
		if !given["cache_write_1h"] {
			p.CacheWrite1hPerMTok = p.CacheWrite5mPerMTok
		}
		if !given["cache_read"] {
			p.CacheReadPerMTok = in
		}
	}
	return nil
}

// NewPrice returns the price of a model given by its prices rather than found in a catalog
// (a plan's inline pricing: {input: 3, output: 15}). prices maps the price keys of the
// catalog format (input, output, cache_read, cache_write_5m, cache_write_1h) to USD per
// million tokens; input and output are required, and none may be negative. The cache prices
// left out follow the provider's rule, as in a catalog file (doc.go); with no provider, the
// dearest rule, so that a price left out never charges less than a provider would:
// cache_read = input (no discount), cache_write_5m = 1.25 × input and cache_write_1h =
// 2 × input (Anthropic's surcharges).
func NewPrice(id, provider string, prices map[string]decimal.Decimal) (Price, error) {
	p := Price{Model: id, Provider: strings.ToLower(strings.TrimSpace(provider))}
	fields := ratesFields(&p.Rates)
	given := map[string]bool{}
	for _, key := range slices.Sorted(maps.Keys(prices)) {
		dst, ok := fields[key]
		if !ok {
			return Price{}, fmt.Errorf("price of %s: unknown field %q (known: %s)", id, key, strings.Join(priceKeys, ", "))
		}
		v := prices[key]
		if v.IsNegative() {
			return Price{}, fmt.Errorf("price of %s: %s: %s is negative; %s", id, key, v, priceHint)
		}
		*dst, given[key] = v, true
	}
	for _, key := range []string{"input", "output"} {
		if !given[key] {
			return Price{}, fmt.Errorf("price of %s: %s: missing", id, key)
		}
	}
	if p.Provider != "" {
		if err := applyDefaults(&p, given); err != nil {
			return Price{}, fmt.Errorf("price of %s: %w", id, err)
		}
		return p, nil
	}
	in := p.InputPerMTok
	if !given["cache_read"] {
		p.CacheReadPerMTok = in
	}
	if !given["cache_write_5m"] {
		p.CacheWrite5mPerMTok = in.Mul(anthropicWrite5m).Normalize()
	}
	if !given["cache_write_1h"] {
		p.CacheWrite1hPerMTok = decimal.Max(p.CacheWrite5mPerMTok, in.Mul(anthropicWrite1h).Normalize())
	}
	return p, nil
}
