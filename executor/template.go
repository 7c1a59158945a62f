package executor

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/loadplan/loadplan/plan"
)

// tmpl is a template string compiled once at start: literal text and references. Rendering
// appends to a buffer and never parses.
type tmpl struct {
	parts  []tpart
	static bool   // no references: lit is the whole text
	lit    string // the text when static
}

type tpart struct {
	lit   string
	ref   plan.RefKind
	name  string // variable name
	file  int    // data file index (RefData)
	field string // data field (RefData)
}

// compileTemplate compiles s against the plan's data files.
func compileTemplate(s string, data []*plan.DataFile) (*tmpl, error) {
	ps, err := plan.ParseTemplate(s)
	if err != nil {
		return nil, err
	}
	t := &tmpl{}
	for _, p := range ps {
		tp := tpart{lit: p.Literal, ref: p.Ref, name: p.Name, field: p.Field}
		if p.Ref == plan.RefData {
			tp.file = -1
			for i, f := range data {
				if f.Name == p.Name {
					tp.file = i
				}
			}
			if tp.file < 0 {
				return nil, fmt.Errorf("{{data.%s.%s}}: the plan has no data file %s", p.Name, p.Field, p.Name)
			}
		}
		t.parts = append(t.parts, tp)
	}
	if len(t.parts) == 0 || len(t.parts) == 1 && t.parts[0].ref == 0 {
		t.static = true
		if len(t.parts) == 1 {
			t.lit = t.parts[0].lit
		}
	}
	return t, nil
}

// renderCtx is what one request's templates are rendered with.
type renderCtx struct {
	r    *runner
	u    *user
	rows []int // the row drawn from each data file for this request; -1: none yet
}

// value is the text of one reference.
func (rc *renderCtx) value(p *tpart) string {
	switch p.ref {
	case plan.RefSeq:
		return strconv.FormatUint(rc.r.seq.Add(1), 10)
	case plan.RefUUID:
		return uuid.NewString()
	case plan.RefUser:
		return rc.u.idText
	case plan.RefVar:
		return rc.u.vars[p.name]
	case plan.RefData:
		// One row per data file per request, so that fields of one row stay together.
		f := rc.r.cfg.Plan.Data[p.file]
		if rc.rows == nil {
			rc.rows = make([]int, len(rc.r.cfg.Plan.Data))
			for i := range rc.rows {
				rc.rows[i] = -1
			}
		}
		if rc.rows[p.file] < 0 {
			rc.rows[p.file] = rc.u.rand.IntN(len(f.Rows))
		}
		return f.Rows[rc.rows[p.file]][p.field]
	}
	return p.lit
}

func (t *tmpl) appendTo(dst []byte, rc *renderCtx) []byte {
	if t.static {
		return append(dst, t.lit...)
	}
	for i := range t.parts {
		p := &t.parts[i]
		if p.ref == 0 {
			dst = append(dst, p.lit...)
		} else {
			dst = append(dst, rc.value(p)...)
		}
	}
	return dst
}

func (t *tmpl) render(rc *renderCtx) string {
	if t.static {
		return t.lit
	}
	return string(t.appendTo(nil, rc))
}

// jsonNode is a JSON body compiled once: subtrees without templates are encoded at start and
// copied as bytes; templated strings are rendered and escaped per request.
type jsonNode struct {
	raw  []byte      // a subtree without templates, encoded
	str  *tmpl       // a templated string
	keys [][]byte    // an object's encoded keys with their colon ("key":)
	vals []*jsonNode // an object's values, or an array's elements
	arr  bool
}

// compileJSON compiles a plan's JSON body value (strings, json.Number, bool, nil, maps,
// slices).
func compileJSON(v any, data []*plan.DataFile) (*jsonNode, error) {
	switch v := v.(type) {
	case string:
		t, err := compileTemplate(v, data)
		if err != nil {
			return nil, err
		}
		if t.static {
			return &jsonNode{raw: appendJSONString(nil, v)}, nil
		}
		return &jsonNode{str: t}, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &jsonNode{}
		static := true
		for _, k := range keys {
			c, err := compileJSON(v[k], data)
			if err != nil {
				return nil, err
			}
			static = static && c.raw != nil
			n.keys = append(n.keys, append(appendJSONString(nil, k), ':'))
			n.vals = append(n.vals, c)
		}
		if static {
			return &jsonNode{raw: n.encode(nil, nil)}, nil
		}
		return n, nil
	case []any:
		n := &jsonNode{arr: true}
		static := true
		for _, e := range v {
			c, err := compileJSON(e, data)
			if err != nil {
				return nil, err
			}
			static = static && c.raw != nil
			n.vals = append(n.vals, c)
		}
		if static {
			return &jsonNode{raw: n.encode(nil, nil)}, nil
		}
		return n, nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("json body: %w", err)
		}
		return &jsonNode{raw: b}, nil
	}
}

func (n *jsonNode) encode(dst []byte, rc *renderCtx) []byte {
	switch {
	case n.raw != nil:
		return append(dst, n.raw...)
	case n.str != nil:
		return appendJSONString(dst, n.str.render(rc))
	case n.arr:
		dst = append(dst, '[')
		for i, c := range n.vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = c.encode(dst, rc)
		}
		return append(dst, ']')
	default:
		dst = append(dst, '{')
		for i, c := range n.vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, n.keys[i]...)
			dst = c.encode(dst, rc)
		}
		return append(dst, '}')
	}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json does (without the
// HTML escapes); invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
