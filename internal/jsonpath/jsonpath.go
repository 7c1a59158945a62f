package jsonpath

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Path is a compiled JSONPath expression. The zero value and nil are not valid paths: their
// Get finds nothing.
type Path struct {
	expr  string
	steps []step
}

// step is one member or element access.
type step struct {
	key     string // member name, when !isIndex
	index   int    // element index when isIndex; negative counts from the end
	isIndex bool
}

// SyntaxError is the error Compile returns: where the expression went wrong and why.
type SyntaxError struct {
	Expr   string // the expression as given
	Offset int    // byte offset of the problem in Expr
	Msg    string // what was wrong and what is valid there
}

// Column is the 1-based column (in characters) of the problem.
func (e *SyntaxError) Column() int {
	off := min(max(e.Offset, 0), len(e.Expr))
	return utf8.RuneCountInString(e.Expr[:off]) + 1
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("jsonpath %q: column %d: %s", e.Expr, e.Column(), e.Msg)
}

// validSteps is the tail of most syntax messages: what may follow `$` or a step.
const validSteps = "expected .name, ['name'] or [index]"

// Compile parses expr. It must start with `$`, followed by any number of `.name`,
// `['name']`, `["name"]` and `[N]` steps. A dotted name may hold letters, digits, '_' and
// '-'; any other name needs the bracket form. Spaces are allowed inside brackets only.
func Compile(expr string) (*Path, error) {
	c := compiler{expr: expr}
	steps, err := c.parse()
	if err != nil {
		return nil, err
	}
	return &Path{expr: expr, steps: steps}, nil
}

// MustCompile is Compile for expressions known to be valid, such as constants; it panics on
// an error.
func MustCompile(expr string) *Path {
	p, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the expression the path was compiled from.
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	return p.expr
}

// MarshalText returns the expression, so that a Path encodes as a JSON or YAML string.
func (p *Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText compiles text into p.
func (p *Path) UnmarshalText(text []byte) error {
	q, err := Compile(string(text))
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// Get returns the value at the path in v and whether it exists. v is what encoding/json
// decodes into an `any`: map[string]any, []any, string, json.Number or float64, bool, nil.
// A member whose value is JSON null exists: Get returns (nil, true) for it.
func (p *Path) Get(v any) (any, bool) {
	if p == nil || p.expr == "" {
		return nil, false
	}
	for _, s := range p.steps {
		if s.isIndex {
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			v = a[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Step is one access of a path: a member by name (Key), or an element by Index (negative
// from the end: -1 is the last) when IsIndex.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Steps returns the path's accesses in order, after the root; none for `$` or an invalid
// path.
func (p *Path) Steps() []Step {
	if p == nil {
		return nil
	}
	out := make([]Step, len(p.steps))
	for i, s := range p.steps {
		out[i] = Step{Key: s.key, Index: s.index, IsIndex: s.isIndex}
	}
	return out
}

// GetInt64 returns the value at the path as an integer, as Int64 converts it. It is false
// when the path does not exist or its value is not an integer.
func (p *Path) GetInt64(v any) (int64, bool) {
	x, ok := p.Get(v)
	if !ok {
		return 0, false
	}
	return Int64(x)
}

// maxExactFloat is the largest integer magnitude that float64 holds exactly (2^53).
const maxExactFloat = 1 << 53

// Int64 converts a decoded JSON value to an integer: a json.Number or a string holding an
// integer (also in exponent form, such as "1.5e3"), an integral float64 up to 2^53, or a Go
// integer. Anything else (fractions, booleans, null, objects, out-of-range numbers) is false.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseInt(string(x))
	case string:
		return parseInt(strings.TrimSpace(x))
	case float64:
		return floatInt(x)
	case float32:
		return floatInt(float64(x))
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

// parseInt reads a JSON-style number: an exact integer, or else a number in decimal or
// exponent form whose value is integral and within float64's exact range.
func parseInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if s == "" || strings.TrimLeft(s, "0123456789+-.eE") != "" {
		return 0, false // not a number; also keeps ParseFloat's "inf", "nan" and hex out
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return floatInt(f)
}

func floatInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || math.Abs(f) > maxExactFloat { // NaN fails the first test
		return 0, false
	}
	return int64(f), true
}

// compiler is the state of one Compile.
type compiler struct {
	expr string
	pos  int
}

func (c *compiler) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Expr: c.expr, Offset: pos, Msg: fmt.Sprintf(format, args...)}
}

func (c *compiler) parse() ([]step, error) {
	if c.expr == "" {
		return nil, c.errorf(0, "empty expression: expected '$' (the root), as in $.usage.input_tokens")
	}
	if !utf8.ValidString(c.expr) {
		return nil, c.errorf(invalidUTF8(c.expr), "invalid UTF-8")
	}
	if c.expr[0] != '$' {
		return nil, c.errorf(0, "expected '$' (the root) at the start, as in $.%s", strings.TrimLeft(c.expr, "."))
	}
	c.pos = 1
	var steps []step
	for c.pos < len(c.expr) {
		switch ch := c.expr[c.pos]; ch {
		case '.':
			s, err := c.dotName()
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		case '[':
			s, err := c.bracket()
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		default:
			return nil, c.errorf(c.pos, "unexpected %s: %s", quoteChar(c.expr[c.pos:]), validSteps)
		}
	}
	return steps, nil
}

// dotName parses `.name`; c.pos is at the dot.
func (c *compiler) dotName() (step, error) {
	dot := c.pos
	c.pos++
	start := c.pos
	for c.pos < len(c.expr) {
		r, size := utf8.DecodeRuneInString(c.expr[c.pos:])
		if !isNameRune(r) {
			break
		}
		c.pos += size
	}
	if c.pos == start {
		switch {
		case c.pos >= len(c.expr):
			return step{}, c.errorf(dot, "expected a name after '.'")
		case c.expr[c.pos] == '.':
			return step{}, c.errorf(dot, "recursive descent '..' is not supported: %s", validSteps)
		case c.expr[c.pos] == '*':
			return step{}, c.errorf(c.pos, "wildcard '*' is not supported: %s", validSteps)
		default:
			return step{}, c.errorf(c.pos, "unexpected %s after '.': a dotted name holds letters, digits, '_' and '-'; use ['name'] for others",
				quoteChar(c.expr[c.pos:]))
		}
	}
	return step{key: c.expr[start:c.pos]}, nil
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' ||
		r >= utf8.RuneSelf && r != utf8.RuneError
}

// bracket parses `['name']`, `["name"]` or `[N]`; c.pos is at the '['.
func (c *compiler) bracket() (step, error) {
	open := c.pos
	c.pos++
	c.skipSpaces()
	if c.pos >= len(c.expr) {
		return step{}, c.errorf(open, "unterminated '[': expected 'name' or an index, then ']'")
	}
	var s step
	switch ch := c.expr[c.pos]; {
	case ch == '\'' || ch == '"':
		key, err := c.quoted()
		if err != nil {
			return step{}, err
		}
		s = step{key: key}
	case ch == '-' || ch >= '0' && ch <= '9':
		start := c.pos
		c.pos++
		for c.pos < len(c.expr) && c.expr[c.pos] >= '0' && c.expr[c.pos] <= '9' {
			c.pos++
		}
		n, err := strconv.Atoi(c.expr[start:c.pos])
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return step{}, c.errorf(start, "index %s out of range", c.expr[start:c.pos])
			}
			return step{}, c.errorf(start, "expected digits after '-' in an index")
		}
		s = step{index: n, isIndex: true}
	case ch == '*':
		return step{}, c.errorf(c.pos, "wildcard '*' is not supported: %s", validSteps)
	case ch == '?':
		return step{}, c.errorf(c.pos, "filter expressions are not supported: %s", validSteps)
	case ch == ':':
		return step{}, c.errorf(c.pos, "slices are not supported: %s", validSteps)
	default:
		return step{}, c.errorf(c.pos, "unexpected %s after '[': expected 'name', \"name\" or an index", quoteChar(c.expr[c.pos:]))
	}
	c.skipSpaces()
	if c.pos >= len(c.expr) {
		return step{}, c.errorf(open, "unterminated '[': expected ']'")
	}
	switch c.expr[c.pos] {
	case ']':
		c.pos++
		return s, nil
	case ',':
		return step{}, c.errorf(c.pos, "unions are not supported: one name or index per [...]")
	case ':':
		return step{}, c.errorf(c.pos, "slices are not supported: %s", validSteps)
	}
	return step{}, c.errorf(c.pos, "unexpected %s: expected ']'", quoteChar(c.expr[c.pos:]))
}

func (c *compiler) skipSpaces() {
	for c.pos < len(c.expr) && (c.expr[c.pos] == ' ' || c.expr[c.pos] == '\t') {
		c.pos++
	}
}

// quoted parses a single- or double-quoted name with JSON's escapes (and \' in single
// quotes); c.pos is at the opening quote.
func (c *compiler) quoted() (string, error) {
	open := c.pos
	q := c.expr[c.pos]
	c.pos++
	var b strings.Builder
	for c.pos < len(c.expr) {
		ch := c.expr[c.pos]
		switch {
		case ch == q:
			c.pos++
			return b.String(), nil
		case ch == '\\':
			if err := c.escape(&b); err != nil {
				return "", err
			}
		case ch < 0x20:
			return "", c.errorf(c.pos, "control character in a quoted name: escape it")
		default:
			b.WriteByte(ch)
			c.pos++
		}
	}
	return "", c.errorf(open, "unterminated quoted name: expected a closing %c", q)
}

// escape decodes one backslash escape; c.pos is at the backslash.
func (c *compiler) escape(b *strings.Builder) error {
	at := c.pos
	if c.pos+1 >= len(c.expr) {
		return c.errorf(at, "unterminated escape")
	}
	e := c.expr[c.pos+1]
	c.pos += 2
	switch e {
	case '\\', '/', '\'', '"':
		b.WriteByte(e)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := c.hex4()
		if !ok {
			return c.errorf(at, `expected 4 hex digits after \u`)
		}
		if utf16.IsSurrogate(r) {
			if !strings.HasPrefix(c.expr[c.pos:], `\u`) {
				return c.errorf(at, "unpaired surrogate in \\u escape")
			}
			c.pos += 2
			r2, ok := c.hex4()
			if !ok {
				return c.errorf(at, `expected 4 hex digits after \u`)
			}
			if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
				return c.errorf(at, "invalid surrogate pair in \\u escape")
			}
		}
		b.WriteRune(r)
	default:
		return c.errorf(at, `unknown escape \%c: valid are \\ \' \" \/ \b \f \n \r \t \uXXXX`, e)
	}
	return nil
}

func (c *compiler) hex4() (rune, bool) {
	if c.pos+4 > len(c.expr) {
		return 0, false
	}
	n, err := strconv.ParseUint(c.expr[c.pos:c.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	c.pos += 4
	return rune(n), true
}

// quoteChar names the character at the start of s for an error message.
func quoteChar(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return strconv.QuoteRune(r)
}

func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return 0
}
