package plan

import (
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/internal/redact"
	"github.com/loadplan/loadplan/internal/suggest"
	"slices"
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
	// More is set on the last item of a list cut at MaxProblems: the number of problems
	// left out, which its Msg states.
	More int
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

// MaxProblems is how many problems a plan's Errors lists, the first in file order; a last
// item counts the others. A file of a million mistakes (a log passed as a plan) is then
// reported in fifty lines, and decoding it keeps fifty problems in memory, not a million.
const MaxProblems = 50

// Errors is every problem found in one plan, in file order: at most MaxProblems, then an
// item whose More counts the rest.
type Errors []*Error

// Total is the number of problems found, those left out included.
func (es Errors) Total() int {
	if len(es) > 0 && es[len(es)-1].More > 0 {
		return len(es) - 1 + es[len(es)-1].More
	}
	return len(es)
}

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

// collector gathers problems while a plan is decoded and validated: the first MaxProblems
// in file order, kept sorted, and a count of the others.
type collector struct {
	file string
	errs Errors
	more int // problems found past the first MaxProblems
	// env holds the values that ${VAR} references brought in from the environment, and
	// secrets masks them: an error shows the reference, never the value, which is often a
	// secret, wherever in the message the value ended up (by value, not by position).
	env     []Secret
	secrets redact.Set
}

func (c *collector) add(p pos, field, format string, args ...any) {
	if c.skip(p) {
		return
	}
	msg := c.secrets.String(fmt.Sprintf(format, args...))
	e := &Error{File: c.file, Line: p.Line, Column: p.Column, Field: field, Msg: msg}
	// After the problems at the same place or before, as they were found.
	i := sort.Search(len(c.errs), func(i int) bool { return before(p, c.errs[i]) })
	for _, k := range c.errs[:i] {
		if *k == *e {
			return // the same problem reached twice (a shared default, say) is reported once
		}
	}
	c.errs = slices.Insert(c.errs, i, e)
	if len(c.errs) > MaxProblems {
		c.errs = c.errs[:MaxProblems]
		c.more++
	}
}

// skip counts a problem at p and reports true when it comes after the first MaxProblems in
// file order: it is then not even written.
func (c *collector) skip(p pos) bool {
	if len(c.errs) == MaxProblems && !before(p, c.errs[MaxProblems-1]) && !samePos(p, c.errs[MaxProblems-1]) {
		c.more++
		return true
	}
	return false
}

// before reports whether p comes before e's place in the file.
func before(p pos, e *Error) bool {
	return p.Line < e.Line || p.Line == e.Line && p.Column < e.Column
}

func samePos(p pos, e *Error) bool { return p.Line == e.Line && p.Column == e.Column }

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	out := slices.Clone(c.errs)
	if c.more > 0 {
		out = append(out, &Error{File: c.file, More: c.more,
			Msg: fmt.Sprintf("and %d more %s (the first %d are shown)", c.more, plural(c.more, "problem", "problems"), MaxProblems)})
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// didYouMean returns a "did you mean" hint for an unknown name, or the list of valid names.
func didYouMean(name string, valid []string) string {
	return hint(suggest.Closest(name, valid), valid)
}

// hint is didYouMean's hint from the names closest to the unknown one (suggest.Closest's).
func hint(best, valid []string) string {
	if len(best) > 0 {
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
