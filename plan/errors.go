package plan

import (
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/internal/redact"
	"github.com/loadplan/loadplan/internal/suggest"
	"sort"
	"strings"
)

// Error is one problem in a plan file, located by line and column and by the path of the
// field (tasks.chat.expect.output_tokens). Its message says what is wrong and what would be
// valid.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one plan, in file order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsErrors returns the located problems inside err, if err came from this package.
func AsErrors(err error) (Errors, bool) {
	var es Errors
	if errors.As(err, &es) {
		return es, true
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}, true
	}
	return nil, false
}

// collector gathers problems while a plan is decoded and validated.
type collector struct {
	file string
	errs Errors
	// env holds the values that ${VAR} references brought in from the environment, and
	// secrets masks them: an error shows the reference, never the value, which is often a
	// secret, wherever in the message the value ended up (by value, not by position).
	env     []Secret
	secrets redact.Set
}

func (c *collector) add(p pos, field, format string, args ...any) {
	msg := c.secrets.String(fmt.Sprintf(format, args...))
	c.errs = append(c.errs, &Error{File: c.file, Line: p.Line, Column: p.Column, Field: field, Msg: msg})
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		a, b := c.errs[i], c.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	// The same problem reached twice (a shared default, say) is reported once.
	out := c.errs[:0]
	seen := map[string]bool{}
	for _, e := range c.errs {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// didYouMean returns a "did you mean" hint for an unknown name, or the list of valid names.
func didYouMean(name string, valid []string) string {
	if best := suggest.Closest(name, valid); len(best) > 0 {
		q := make([]string, len(best))
		for i, b := range best {
			q[i] = fmt.Sprintf("%q", b)
		}
		if len(q) == 1 {
			return "did you mean " + q[0] + "?"
		}
		return "did you mean " + strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1] + "?"
	}
	return "valid: " + strings.Join(valid, ", ")
}
