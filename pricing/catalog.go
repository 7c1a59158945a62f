package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// ErrUnknownModel is wrapped by every error for a model that a catalog has no price for.
var ErrUnknownModel = errors.New("unknown model")

// UnknownModelError is the error of Lookup and Catalog.Cost for a model the catalog does not
// price. It wraps ErrUnknownModel.
type UnknownModelError struct {
	Model       string   // the name asked for
	Suggestions []string // catalog ids and aliases close to it, closest first; may be empty
}

func (e *UnknownModelError) Error() string {
	msg := fmt.Sprintf("%s %q", ErrUnknownModel, e.Model)
	switch len(e.Suggestions) {
	case 0:
		msg += " (nothing close in the price catalog)"
	case 1:
		msg += " (did you mean " + e.Suggestions[0] + "?)"
	default:
		last := len(e.Suggestions) - 1
		msg += " (did you mean " + strings.Join(e.Suggestions[:last], ", ") + " or " + e.Suggestions[last] + "?)"
	}
	return msg + "; " + unknownModelHint
}

// unknownModelHint ends the message of an UnknownModelError: the ways to price a model that
// the catalog lacks.
const unknownModelHint = "price it with --prices FILE (loadplan's YAML or LiteLLM's JSON, added to the " +
	"embedded catalog) or inline in the plan (pricing: {input: 3, output: 15}, USD per million tokens)"

// Unwrap returns ErrUnknownModel.
func (e *UnknownModelError) Unwrap() error { return ErrUnknownModel }

// Catalog is a set of model prices with the date they hold for and where they came from.
type Catalog struct {
	AsOf   string  // the date the prices hold for, YYYY-MM-DD
	Source string  // where they came from: a citation, or the path of the file loaded
	Prices []Price // sorted by Model, ids unique, no alias equal to another name
}

//go:embed catalog.yaml
var embeddedCatalog []byte

// defaultCatalog parses the embedded catalog once.
var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Parse("catalog.yaml", embeddedCatalog)
	if err != nil {
		panic("pricing: the embedded catalog.yaml is broken: " + err.Error())
	}
	return c
})

// Default returns the catalog embedded in loadplan (catalog.yaml in this package), parsed once.
// Each call returns a fresh copy that the caller may change. It panics only if the embedded
// file is broken, which a test rules out.
func Default() *Catalog {
	return defaultCatalog().clone()
}

// Clone returns a deep copy of c, which the caller may change.
func (c *Catalog) Clone() *Catalog { return c.clone() }

// clone returns a deep copy of c.
func (c *Catalog) clone() *Catalog {
	out := *c
	out.Prices = make([]Price, len(c.Prices))
	for i, p := range c.Prices {
		out.Prices[i] = p.clone()
	}
	return &out
}

// Load reads a price catalog from a file: loadplan's YAML format or LiteLLM's
// model_prices_and_context_window.json, told apart by content (see Parse). Where the file does
// not give them, AsOf is the file's modification date (UTC) and Source its path. Errors name
// the file, and for YAML the line and column.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load price catalog: %w", err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if c.AsOf == "" {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("load price catalog: %w", err)
		}
		c.AsOf = info.ModTime().UTC().Format(time.DateOnly)
	}
	return c, nil
}

// Parse parses a price catalog named name (a file name, for errors and as the default Source)
// from data. A JSON object whose keys are model ids (no "models" list) is LiteLLM's price
// file; anything else, including our format written as JSON, is read as loadplan's YAML format
// (doc.go). AsOf is left empty when the data does not say it; Load fills it in. Every problem
// found is reported, each with name:line:col for YAML, or the model and field (and the line of
// the model) for LiteLLM's JSON.
func Parse(name string, data []byte) (*Catalog, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a UTF-8 byte order mark
	var c *Catalog
	var err error
	if isLiteLLM(data) {
		c, err = parseLiteLLM(name, data)
	} else {
		c, err = parseYAML(name, data)
	}
	if err != nil {
		return nil, err
	}
	if c.Source == "" {
		c.Source = name
	}
	slices.SortFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) })
	return c, nil
}

// isLiteLLM reports whether data looks like LiteLLM's price file: a JSON object (first byte
// '{') that is not our own format written as JSON, i.e. has no top-level "models" list.
// Invalid JSON that starts with '{' counts as LiteLLM's unless it parses as a YAML flow
// mapping with a "models" key, so that a broken JSON file gets JSON's error message.
func isLiteLLM(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	if json.Valid(trimmed) {
		var top map[string]json.RawMessage
		if json.Unmarshal(trimmed, &top) != nil {
			return true
		}
		models := bytes.TrimLeft(top["models"], " \t\r\n")
		return len(models) == 0 || models[0] != '[' // ours has a list of models
	}
	var node yaml.Node
	if yaml.Unmarshal(data, &node) != nil || len(node.Content) == 0 {
		return true
	}
	root := node.Content[0]
	if root.Kind != yaml.MappingNode {
		return true
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "models" {
			return false
		}
	}
	return true
}

// Lookup returns the price of model: the entry whose id equals it, else the one with an alias
// equal to it, else the entry whose id or alias is the longest prefix of it followed only by a
// snapshot suffix: a date ("-20250929", "-2024-08-06", "@20250929"), "-latest", or a version
// ("-v1", "-v1:0"), one or more of them. So "claude-sonnet-4-5-20250929" is claude-sonnet-4-5,
// "claude-3-5-haiku-20241022" is claude-3-5-haiku and "gpt-4o-2024-08-06" is gpt-4o, while
// "gpt-5-pro" and "o3-mini" are unknown rather than priced as gpt-5 and o3, which cost far
// less: a wrong price is worse than none. The error is an *UnknownModelError, which wraps
// ErrUnknownModel and lists close names. A nil catalog has no prices.
func (c *Catalog) Lookup(model string) (Price, error) {
	if c == nil {
		return Price{}, &UnknownModelError{Model: model}
	}
	for _, p := range c.Prices {
		if p.Model == model {
			return p, nil
		}
	}
	for _, p := range c.Prices {
		if slices.Contains(p.Aliases, model) {
			return p, nil
		}
	}
	best, bestLen := -1, 0
	consider := func(i int, name string) {
		if len(name) > bestLen && len(name) < len(model) && strings.HasPrefix(model, name) &&
			snapshotSuffix.MatchString(model[len(name):]) {
			best, bestLen = i, len(name)
		}
	}
	for i, p := range c.Prices {
		consider(i, p.Model)
		for _, a := range p.Aliases {
			consider(i, a)
		}
	}
	if best >= 0 {
		return c.Prices[best], nil
	}
	return Price{}, &UnknownModelError{Model: model, Suggestions: c.closeNames(model)}
}

// snapshotSuffix matches what providers append to a model's id to name a snapshot of it.
var snapshotSuffix = regexp.MustCompile(`^(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|latest|v\d+(?::\d+)?))+$`)

// Cost is what u costs on model, looked up with Lookup; see Price.Cost.
func (c *Catalog) Cost(u Usage, model string) (decimal.Decimal, error) {
	p, err := c.Lookup(model)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return p.Cost(u)
}

// maxSuggestions is how many close names an UnknownModelError lists at most.
const maxSuggestions = 3

// closeNames returns names of the catalog to suggest for model, at most maxSuggestions: first
// the ids and aliases that model extends without a snapshot suffix ("gpt-5" for "gpt-5-pro",
// longest first), which explain why it did not match, then those closest to it by edit
// distance (within a few edits, or a prefix of it or it of them).
func (c *Catalog) closeNames(model string) []string {
	if model == "" {
		return nil
	}
	type scored struct {
		name         string
		dist, common int // edit distance, length of the common prefix
	}
	limit := max(2, len(model)/3)
	var extended []string
	var found []scored
	for _, p := range c.Prices {
		for _, name := range p.names() {
			if strings.HasPrefix(model, name) {
				extended = append(extended, name)
				continue
			}
			d := editDistance(model, name)
			if d <= limit || strings.HasPrefix(name, model) {
				found = append(found, scored{name, d, commonPrefix(model, name)})
			}
		}
	}
	slices.SortFunc(extended, func(a, b string) int { return len(b) - len(a) })
	// Closest first; among equals, the longer common prefix, then the later name, which is
	// usually the newer model (claude-opus-4-8 before claude-opus-4-1).
	slices.SortFunc(found, func(a, b scored) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		if a.common != b.common {
			return b.common - a.common
		}
		return strings.Compare(b.name, a.name)
	})
	names := extended[:min(len(extended), maxSuggestions)]
	for _, s := range found {
		if len(names) == maxSuggestions || s.dist > found[0].dist {
			break // only the closest: one typo away means the others are noise
		}
		names = append(names, s.name)
	}
	return names
}

// closestKey returns the entry of known nearest to key by edit distance if it is close enough
// to be a likely typo, else "".
func closestKey(key string, known []string) string {
	best, bestDist := "", max(2, len(key)/3)+1
	for _, k := range known {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// editDistance is the Levenshtein distance between a and b, in bytes: internal/suggest's
// Distance, copied because pricing is a leaf (DESIGN.md: it imports no package of ours).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// posError is one problem in a catalog file, at a position when one is known.
type posError struct {
	file      string
	line, col int    // 0 when unknown
	where     string // the model or field concerned, or ""
	msg       string
	err       error // the cause, or nil
}

func (e *posError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		b.WriteString(":" + strconv.Itoa(e.line))
		if e.col > 0 {
			b.WriteString(":" + strconv.Itoa(e.col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.where != "" {
		b.WriteString(e.where + ": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

func (e *posError) Unwrap() error { return e.err }

// maxErrors is how many problems a parse reports before it gives up.
const maxErrors = 20

// errorList collects the problems of one parse.
type errorList struct {
	file string
	errs []error
}

func (l *errorList) add(line, col int, where string, cause error, format string, args ...any) {
	if len(l.errs) > maxErrors {
		return
	}
	if len(l.errs) == maxErrors {
		l.errs = append(l.errs, &posError{file: l.file, msg: "too many errors"})
		return
	}
	l.errs = append(l.errs, &posError{file: l.file, line: line, col: col, where: where,
		msg: fmt.Sprintf(format, args...), err: cause})
}

func (l *errorList) err() error { return errors.Join(l.errs...) }

// Add adds p to c: it replaces c's entry with the same id, if any, and takes from c's other
// entries any alias that is one of p's names, so that every name of p looks p up.
func (c *Catalog) Add(p Price) {
	p = p.clone()
	names := p.names()
	replaced := false
	for i := range c.Prices {
		q := &c.Prices[i]
		if q.Model == p.Model {
			*q, replaced = p, true
			continue
		}
		q.Aliases = slices.DeleteFunc(q.Aliases, func(a string) bool { return slices.Contains(names, a) })
	}
	if !replaced {
		c.Prices = append(c.Prices, p)
	}
	slices.SortFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) })
}

// Merge returns a catalog of c's prices and over's, over's winning: each entry of over is
// added as by Add. AsOf is the earlier of the two dates (some prices hold only for that one)
// and Source names both, over's first. Neither c nor over changes.
func (c *Catalog) Merge(over *Catalog) *Catalog {
	out := c.clone()
	for _, p := range over.Prices {
		out.Add(p)
	}
	if over.AsOf != "" && (out.AsOf == "" || over.AsOf < out.AsOf) {
		out.AsOf = over.AsOf
	}
	out.Source = over.Source + "; then " + c.Source
	return out
}

// StaleAfter is how old a catalog's prices may be before loadplan warns that they may have
// changed since.
const StaleAfter = 90 * 24 * time.Hour

// Age is how long before now the date c's prices hold for was (AsOf, taken as the start of
// that day, UTC); ok is false when c has no date.
func (c *Catalog) Age(now time.Time) (age time.Duration, ok bool) {
	asOf, err := time.Parse(time.DateOnly, c.AsOf)
	if err != nil {
		return 0, false
	}
	return now.Sub(asOf), true
}
