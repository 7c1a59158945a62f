package plan

import (
	"encoding/json"
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
			if d.typos == nil {
				d.typos = map[*yaml.Node][]string{}
			}
			d.typos[n] = append(d.typos[n], suggest.Closest(key, known)...)
			d.add(at(k), join(path, key), "unknown field; %s", didYouMean(key, known))
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

func (d *decoder) integer(n *yaml.Node, path string, minimum int64) (int64, bool) {
	s, ok := d.scalar(n, path, "a whole number")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		d.add(at(n), path, "%q is not a whole number", s)
		return 0, false
	}
	if v < minimum {
		d.add(at(n), path, "%d is too small; give %d or more", v, minimum)
		return 0, false
	}
	return v, true
}

func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path, "a number")
	if !ok {
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
	return v, true
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
		if v, ok := d.integer(e, p, lo); ok {
			if v > hi {
				d.add(at(e), p, "%d is too large; the largest valid value is %d", v, hi)
				continue
			}
			out = append(out, int(v))
		}
	}
	return out
}

// headerList decodes a mapping of names to string values, in file order.
func (d *decoder) headerList(n *yaml.Node, path string) []Header {
	var out []Header
	for _, p := range d.entries(n, path, "names to values") {
		v := p.v
		if v == nil || v.Kind != yaml.ScalarNode {
			d.add(posOf(v), join(path, p.k.Value), "must be a string")
			continue
		}
		out = append(out, Header{Name: p.k.Value, Value: v.Value})
	}
	return out
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
