package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/internal/suggest"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree, so that every value keeps its line and column, and
// collects every problem instead of stopping at the first.
type decoder struct {
	*collector
	// typos maps a mapping node to the known keys its unknown keys look like, so that a
	// misspelt key is reported once, not again as the missing key it was meant to be.
	typos map[*yaml.Node][]string
	// prices are the inline prices decoded so far (Plan.Prices).
	prices []InlinePrice
}

func (d *decoder) typoOf(n *yaml.Node, keys ...string) bool {
	for _, t := range d.typos[resolve(n)] {
		if contains(keys, t) {
			return true
		}
	}
	return false
}

func at(n *yaml.Node) pos { return pos{Line: n.Line, Column: n.Column} }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// fields iterates a mapping's pairs, rejecting unknown and duplicate keys. known lists the
// valid keys; fn is called for each known key with its value.
func (d *decoder) fields(n *yaml.Node, path string, known []string, fn func(key string, v *yaml.Node)) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return true // an empty mapping
		}
		d.add(posOf(n), path, "must be a mapping of %s", strings.Join(known, ", "))
		return false
	}
	seen := map[string]bool{}
	d.eachPair(n, path, func(k, v *yaml.Node) {
		key := k.Value
		if seen[key] {
			d.add(at(k), join(path, key), "given twice")
			return
		}
		seen[key] = true
		if !contains(known, key) {
			best := suggest.Closest(key, known)
			if len(best) > 0 {
				if d.typos == nil {
					d.typos = map[*yaml.Node][]string{}
				}
				d.typos[n] = append(d.typos[n], best...)
			}
			if !d.skip(at(k)) { // a flood of unknown keys costs a count each, not a message
				d.add(at(k), join(path, key), "unknown field; %s", hint(best, known))
			}
			return
		}
		fn(key, v)
	})
	return true
}

// eachPair walks a mapping's pairs, following YAML merge keys (<<).
func (d *decoder) eachPair(n *yaml.Node, path string, fn func(k, v *yaml.Node)) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			if m := resolve(v); m != nil && m.Kind == yaml.MappingNode {
				d.eachPair(m, path, fn)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(at(k), path, "a key must be a plain name")
			continue
		}
		fn(k, v)
	}
}

// entries returns a mapping's pairs in file order (for user-named maps: tasks, scenarios).
func (d *decoder) entries(n *yaml.Node, path, what string) []pair {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.add(posOf(n), path, "must be a mapping of %s", what)
		return nil
	}
	var out []pair
	seen := map[string]bool{}
	d.eachPair(n, path, func(k, v *yaml.Node) {
		if seen[k.Value] {
			d.add(at(k), join(path, k.Value), "given twice")
			return
		}
		seen[k.Value] = true
		out = append(out, pair{k, resolve(v)})
	})
	return out
}

type pair struct{ k, v *yaml.Node }

func posOf(n *yaml.Node) pos {
	if n == nil {
		return pos{}
	}
	return at(n)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (d *decoder) scalar(n *yaml.Node, path, what string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.add(posOf(n), path, "must be %s", what)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, path string) string {
	s, _ := d.scalar(n, path, "a string")
	return s
}

// integer reads a whole number from minimum to maximum (limits.go says why every count has
// a maximum).
func (d *decoder) integer(n *yaml.Node, path string, minimum, maximum int64) (int64, bool) {
	s, ok := d.scalar(n, path, "a whole number")
	if !ok || !d.unquoted(n, path, s) {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-") {
			d.add(at(n), path, "%s is too large; the largest valid value is %d", s, maximum)
		} else {
			d.add(at(n), path, "%q is not a whole number", s)
		}
		return 0, false
	}
	if v < minimum {
		d.add(at(n), path, "%d is too small; give %d or more", v, minimum)
		return 0, false
	}
	if v > maximum {
		d.add(at(n), path, "%d is too large; the largest valid value is %d", v, maximum)
		return 0, false
	}
	return v, true
}

// number reads a finite number from 0 to maximum: NaN, .inf and 1e400 are not numbers here.
func (d *decoder) number(n *yaml.Node, path string, maximum float64) (float64, bool) {
	s, ok := d.scalar(n, path, "a number")
	if !ok || !d.unquoted(n, path, s) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.add(at(n), path, "%q is not a number", s)
		return 0, false
	}
	if v < 0 {
		d.add(at(n), path, "%s is negative; give 0 or more", s)
		return 0, false
	}
	if v > maximum {
		d.add(at(n), path, "%s is too large; the largest valid value is %g", s, maximum)
		return 0, false
	}
	return v, true
}

// unquoted refuses a number written as text ("100", '100', !!str 100): counts and rates are
// numbers in a plan, and a quoted one is more often a mistake (a template that was meant,
// a value pasted from JSON) than a wish.
func (d *decoder) unquoted(n *yaml.Node, path, s string) bool {
	n = resolve(n)
	if n.Tag == "!!str" && n.Style != 0 {
		d.add(at(n), path, "%q is text; a number is expected: write %s without quotes", s, s)
		return false
	}
	return true
}

func (d *decoder) boolean(n *yaml.Node, path string) bool {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	switch s {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.add(at(n), path, "%q is not true or false", s)
	return false
}

func (d *decoder) stringList(n *yaml.Node, path string) []string {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		d.add(posOf(n), path, "must be a list of strings")
		return nil
	}
	var out []string
	for i, e := range n.Content {
		out = append(out, d.str(e, fmt.Sprintf("%s[%d]", path, i)))
	}
	return out
}

func (d *decoder) intList(n *yaml.Node, path string, lo, hi int64) []int {
	n = resolve(n)
	var items []*yaml.Node
	switch {
	case n != nil && n.Kind == yaml.ScalarNode:
		items = []*yaml.Node{n}
	case n != nil && n.Kind == yaml.SequenceNode:
		items = n.Content
	default:
		d.add(posOf(n), path, "must be a list of whole numbers")
		return nil
	}
	var out []int
	for i, e := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		if v, ok := d.integer(e, p, lo, hi); ok {
			out = append(out, int(v))
		}
	}
	return out
}

// headerList decodes a mapping of names to string values, in file order. For HTTP headers
// (http), a name must be an HTTP token and a value must hold no control character: either
// would fail every request at run time.
func (d *decoder) headerList(n *yaml.Node, path string, http bool) []Header {
	var out []Header
	for _, p := range d.entries(n, path, "names to values") {
		v := p.v
		name := p.k.Value
		if http && !validToken(name) {
			d.add(at(p.k), join(path, fmt.Sprintf("%q", name)), "not a valid header name; a name is letters, digits and !#$%%&'*+-.^_`|~, without spaces or colons")
			continue
		}
		if v == nil || v.Kind != yaml.ScalarNode {
			d.add(posOf(v), join(path, name), "must be a string")
			continue
		}
		if http && !validValue(v.Value) {
			// The value is never shown: it often holds a key.
			d.add(at(v), join(path, name), "the value holds a line break (CR or LF) or another control character, which a header cannot carry; the value is not shown")
			continue
		}
		out = append(out, Header{Name: name, Value: v.Value})
	}
	return out
}

// validToken reports whether s is an HTTP token (RFC 9110), as a header name must be.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// validValue reports whether s may be a header's value: no control character but the
// horizontal tab (RFC 9110; net/http and internal/http1 hold the same line).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// jsonValue turns a YAML value into what encoding/json will send: maps, slices, strings,
// json.Number (never a float), bools and nil.
func (d *decoder) jsonValue(n *yaml.Node, path string, depth int) any {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if depth > 64 {
		d.add(at(n), path, "nested too deeply (64 levels at most)")
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		d.eachPair(n, path, func(k, v *yaml.Node) {
			m[k.Value] = d.jsonValue(v, join(path, k.Value), depth+1)
		})
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			s = append(s, d.jsonValue(e, fmt.Sprintf("%s[%d]", path, i), depth+1))
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			return d.boolean(n, path)
		case "!!int", "!!float":
			num := strings.ReplaceAll(n.Value, "_", "")
			if json.Valid([]byte(num)) {
				return json.Number(num)
			}
			if n.Tag == "!!int" {
				if v, err := strconv.ParseInt(num, 0, 64); err == nil {
					return json.Number(strconv.FormatInt(v, 10))
				}
			}
			d.add(at(n), path, "%q cannot be sent as a JSON number; quote it to send a string", n.Value)
			return nil
		}
		return n.Value
	}
	d.add(at(n), path, "cannot be sent as JSON")
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MaxAliasValues bounds what YAML aliases add to a plan: the values that the aliases stand
// for, counted as copies (an alias of a value that holds aliases stands for all of them).
// The decoder builds every copy: without a bound, 515 bytes of seven nested aliases in a
// request's json: are 4.8 million JSON values, seconds and gigabytes to "validate".
const MaxAliasValues = 100_000

// checkAliases counts what the document's aliases stand for, in file order, and reports the
// alias that takes the count past MaxAliasValues, or one that stands for a value holding
// itself. It returns false when it reported one: the plan is then not decoded.
func (d *decoder) checkAliases(root *yaml.Node) bool {
	const endless = math.MaxInt64 / 4 // a count that saturates here never overflows
	sizes := map[*yaml.Node]int64{}   // anchored values, aliases expanded; -1 while counted
	loop := false
	var size func(n *yaml.Node) int64
	size = func(n *yaml.Node) int64 {
		if n == nil {
			return 0
		}
		if n.Kind == yaml.AliasNode {
			return size(n.Alias)
		}
		if n.Anchor != "" {
			if s, ok := sizes[n]; ok {
				if s < 0 {
					loop = true // a value that holds an alias of itself
					return endless
				}
				return s
			}
			sizes[n] = -1
		}
		s := int64(1)
		for _, c := range n.Content {
			s = min(s+size(c), endless)
		}
		if n.Anchor != "" {
			sizes[n] = s
		}
		return s
	}
	var total int64
	var walk func(n *yaml.Node, path string) bool
	walk = func(n *yaml.Node, path string) bool {
		switch n.Kind {
		case yaml.AliasNode:
			if total += size(n.Alias); loop {
				d.add(at(n), path, "the alias *%s stands for a value that holds it: it never ends", n.Value)
				return false
			}
			if total > MaxAliasValues {
				d.add(at(n), path, "YAML aliases add more than %d values to the plan here (*%s is a copy of all &%s holds, the aliases in it included); write the value out, or repeat it less", MaxAliasValues, n.Value, n.Value)
				return false
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if !walk(k, path) || !walk(v, join(path, k.Value)) {
					return false
				}
			}
		default:
			for i, c := range n.Content {
				p := path
				if n.Kind == yaml.SequenceNode {
					p = fmt.Sprintf("%s[%d]", path, i)
				}
				if !walk(c, p) {
					return false
				}
			}
		}
		return true
	}
	return walk(root, "")
}
