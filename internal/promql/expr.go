package promql

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Func is the function an expression applies to its selector.
type Func string

// The functions of the subset.
const (
	FuncNone     Func = ""         // the selector's value (a gauge, or a counter's total)
	FuncRate     Func = "rate"     // a counter's per-second rate over Expr.Range
	FuncIncrease Func = "increase" // a counter's increase over Expr.Range
)

// Expr is a parsed expression: [sum(] [rate(|increase(] selector [[range]] [)] [)].
type Expr struct {
	Sum      bool // wrapped in sum(): the series it matches are added up
	Func     Func
	Selector Selector
	Range    time.Duration // the window of rate and increase; 0 for FuncNone
	text     string
}

// Selector picks the series of one metric whose labels match.
type Selector struct {
	Name     string // the sample name as exposed (claude_api_tokens_total, x_bucket, x_count)
	Matchers []Matcher
}

// Matcher is one label condition: label = "value", or label != "value". A label a series
// does not have has the value "", as in PromQL.
type Matcher struct {
	Label, Value string
	Not          bool // !=
}

// Error is Parse's error: where the expression went wrong and what is valid there.
type Error struct {
	Expr   string // the expression as given
	Offset int    // byte offset of the problem in Expr
	Msg    string
}

// Column is the 1-based column (in characters) of the problem in Expr.
func (e *Error) Column() int {
	off := min(max(e.Offset, 0), len(e.Expr))
	return utf8.RuneCountInString(e.Expr[:off]) + 1
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Column(), e.Msg) }

// Parse parses an expression of the subset:
//
//	name                              a gauge, or a counter's total
//	name{label="v", other!="w"}       a label selection
//	sum(SELECTOR) sum(rate(...))      the series matched, added up
//	rate(SELECTOR[30s])               a counter's per-second rate over the window
//	increase(SELECTOR[1m])            a counter's increase over the window
//
// Without sum(), an expression must match exactly one series when it is evaluated.
func Parse(s string) (*Expr, error) {
	p := &parser{s: s}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	e.text = s
	return e, nil
}

// String is the expression as given to Parse.
func (e *Expr) String() string { return e.text }

// Matches reports whether a series with these labels (label returns "" for one it lacks) is
// selected. The metric name is compared by the caller.
func (s Selector) Matches(label func(name string) string) bool {
	for _, m := range s.Matchers {
		if (label(m.Label) == m.Value) == m.Not {
			return false
		}
	}
	return true
}

// String writes the selector in PromQL.
func (s Selector) String() string {
	if len(s.Matchers) == 0 {
		return s.Name
	}
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('{')
	for i, m := range s.Matchers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.Label)
		if m.Not {
			b.WriteString("!=")
		} else {
			b.WriteByte('=')
		}
		b.WriteString(quote(m.Value))
	}
	b.WriteByte('}')
	return b.String()
}

func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(at int, format string, args ...any) error {
	return &Error{Expr: p.s, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// what describes the text at i for an error: "'x'", or "the end".
func (p *parser) what(i int) string {
	if i >= len(p.s) {
		return "the end"
	}
	r, _ := utf8.DecodeRuneInString(p.s[i:])
	return fmt.Sprintf("%q", r)
}

func (p *parser) expect(c byte, want string) error {
	p.space()
	if p.peek() != c {
		return p.errorf(p.i, "expected %s, found %s", want, p.what(p.i))
	}
	p.i++
	return nil
}

func (p *parser) expr() (*Expr, error) {
	p.space()
	if p.i == len(p.s) {
		return nil, p.errorf(p.i, "empty; write a metric (process_resident_memory_bytes), a selection (name{label=\"value\"}), sum(...), rate(name[30s]) or increase(name[1m])")
	}
	e := &Expr{}
	at := p.i
	name := p.name(true)
	if name == "" {
		return nil, p.errorf(at, "expected a metric name or sum, rate, increase; found %s", p.what(at))
	}
	p.space()
	if p.peek() == '(' {
		p.i++
		switch Func(name) {
		case "sum":
			e.Sum = true
			inner := p.i
			p.space()
			fat := p.i
			fn := p.name(true)
			p.space()
			if p.peek() == '(' {
				p.i++
				if fn == "sum" {
					return nil, p.errorf(fat, "sum(sum(...)) is the same as sum(...)")
				}
				if err := p.function(e, Func(fn), fat); err != nil {
					return nil, err
				}
			} else {
				p.i = inner
				if err := p.selector(&e.Selector); err != nil {
					return nil, err
				}
				p.space()
				if p.peek() == '[' {
					return nil, p.errorf(p.i, "a range [..] goes inside rate(...) or increase(...), as in sum(rate(%s[30s]))", e.Selector.Name)
				}
			}
			if err := p.expect(')', "')' closing sum("); err != nil {
				return nil, err
			}
		default:
			if err := p.function(e, Func(name), at); err != nil {
				return nil, err
			}
		}
	} else {
		p.i = at
		if err := p.selector(&e.Selector); err != nil {
			return nil, err
		}
		p.space()
		if p.peek() == '[' {
			return nil, p.errorf(p.i, "a range needs a function: rate(%s[30s]) or increase(%s[1m])", e.Selector.Name, e.Selector.Name)
		}
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf(p.i, "unexpected %q after the expression; only one expression, without operators (supported: a metric, name{...}, sum, rate, increase)", p.s[p.i:])
	}
	return e, nil
}

// function reads the argument of rate( or increase( (after the '(') up to its ')'.
func (p *parser) function(e *Expr, fn Func, at int) error {
	switch fn {
	case FuncRate, FuncIncrease:
	default:
		return p.errorf(at, "unknown function %q; supported: sum, rate, increase", string(fn))
	}
	e.Func = fn
	if err := p.selector(&e.Selector); err != nil {
		return err
	}
	p.space()
	if p.peek() != '[' {
		return p.errorf(p.i, "%s needs a range after the selector, as in %s(%s[30s])", fn, fn, e.Selector.Name)
	}
	p.i++
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ']' && p.s[p.i] != ' ' && p.s[p.i] != ')' {
		p.i++
	}
	text := p.s[start:p.i]
	d, err := time.ParseDuration(text)
	switch {
	case text == "":
		return p.errorf(start, "empty range; write a duration such as 30s, 1m or 5m")
	case err != nil:
		return p.errorf(start, "%q is not a duration; write e.g. 30s, 1m, 5m (units: ms, s, m, h)", text)
	case d <= 0:
		return p.errorf(start, "the range must be more than 0s")
	}
	e.Range = d
	if err := p.expect(']', "']' closing the range"); err != nil {
		return err
	}
	return p.expect(')', fmt.Sprintf("')' closing %s(", fn))
}

// name reads a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, without colon, a label name.
func (p *parser) name(colon bool) string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || colon && c == ':' ||
			p.i > start && c >= '0' && c <= '9'
		if !ok {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

func (p *parser) selector(sel *Selector) error {
	p.space()
	at := p.i
	if sel.Name = p.name(true); sel.Name == "" {
		if p.peek() == '{' {
			return p.errorf(at, "a selector starts with its metric name, as in name{label=\"value\"}")
		}
		return p.errorf(at, "expected a metric name (letters, digits, '_' and ':', not starting with a digit), found %s", p.what(at))
	}
	p.space()
	if p.peek() != '{' {
		return nil
	}
	p.i++
	seen := map[string]bool{}
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			return nil
		}
		lat := p.i
		label := p.name(false)
		if label == "" {
			if p.i >= len(p.s) {
				return p.errorf(p.i, "unterminated '{': expected a label or '}'")
			}
			return p.errorf(lat, "expected a label name or '}', found %s", p.what(lat))
		}
		if seen[label] {
			return p.errorf(lat, "label %s is matched twice", label)
		}
		seen[label] = true
		p.space()
		m := Matcher{Label: label}
		switch rest := p.s[p.i:]; {
		case strings.HasPrefix(rest, "!="):
			m.Not = true
			p.i += 2
		case strings.HasPrefix(rest, "=~"), strings.HasPrefix(rest, "!~"):
			return p.errorf(p.i, "operator %s is not supported: only label=\"value\" and label!=\"value\"", rest[:2])
		case strings.HasPrefix(rest, "="):
			p.i++
		default:
			return p.errorf(p.i, "expected '=' or '!=' after label %s, found %s", label, p.what(p.i))
		}
		p.space()
		v, err := p.quoted(label)
		if err != nil {
			return err
		}
		m.Value = v
		sel.Matchers = append(sel.Matchers, m)
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
		case 0:
			return p.errorf(p.i, "unterminated '{': expected ',' or '}'")
		default:
			return p.errorf(p.i, "expected ',' or '}', found %s", p.what(p.i))
		}
	}
}

// quoted reads a double- or single-quoted value with the escapes \\, \", \' and \n.
func (p *parser) quoted(label string) (string, error) {
	q := p.peek()
	if q != '"' && q != '\'' {
		return "", p.errorf(p.i, "expected a quoted value for label %s, as in %s=\"value\"", label, label)
	}
	open := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			switch e := p.s[p.i+1]; e {
			case '\\', '"', '\'':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			default:
				return "", p.errorf(p.i, `unknown escape \%c; valid: \\, \", \' and \n`, e)
			}
			p.i += 2
			continue
		}
		b.WriteByte(c)
		p.i++
	}
	return "", p.errorf(open, "unterminated quoted value")
}
