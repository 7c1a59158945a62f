package plan

import (
	"fmt"
	"strings"
)

// RefKind names what a {{...}} template reference stands for.
type RefKind int

const (
	RefSeq  RefKind = iota + 1 // {{seq}}: the run-wide request sequence number
	RefUUID                    // {{uuid}}: a random UUID
	RefUser                    // {{user}}: the user's number
	RefData                    // {{data.NAME.FIELD}}: a field of a row drawn from a data file
	RefVar                     // {{vars.NAME}}: a value captured earlier by this user
)

// Part is a piece of a template: literal text, or a reference.
type Part struct {
	Literal string
	Ref     RefKind // 0 for a literal
	Name    string  // the data file or variable name
	Field   string  // the data file's field
}

// ParseTemplate splits s into literal text and {{...}} references. Whitespace inside the
// braces is allowed ({{ seq }}).
func ParseTemplate(s string) ([]Part, error) {
	var parts []Part
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				parts = append(parts, Part{Literal: s})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, Part{Literal: s[:i]})
		}
		end := strings.Index(s[i:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("%q opens {{ without closing }}", s)
		}
		ref := strings.TrimSpace(s[i+2 : i+end])
		p, err := parseRef(ref)
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		s = s[i+end+2:]
	}
}

func parseRef(ref string) (Part, error) {
	switch ref {
	case "seq":
		return Part{Ref: RefSeq}, nil
	case "uuid":
		return Part{Ref: RefUUID}, nil
	case "user":
		return Part{Ref: RefUser}, nil
	}
	segs := strings.Split(ref, ".")
	switch {
	case segs[0] == "data" && len(segs) == 3 && segs[1] != "" && segs[2] != "":
		return Part{Ref: RefData, Name: segs[1], Field: segs[2]}, nil
	case segs[0] == "vars" && len(segs) == 2 && segs[1] != "":
		return Part{Ref: RefVar, Name: segs[1]}, nil
	}
	return Part{}, fmt.Errorf("{{%s}} is not a template; valid: {{seq}}, {{uuid}}, {{user}}, {{data.NAME.FIELD}}, {{vars.NAME}}", ref)
}

// Strings calls fn with every templated string of the request: path, query and header
// values, the raw body and every string inside the JSON body, each with its field path.
func (r *Request) Strings(fn func(field, s string)) {
	fn("path", r.Path)
	for _, q := range r.Query {
		fn("query."+q.Name, q.Value)
	}
	for _, h := range r.Headers {
		fn("headers."+h.Name, h.Value)
	}
	if r.Body != "" {
		fn("body", r.Body)
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case string:
			fn(path, v)
		case map[string]any:
			for _, k := range sortedKeys(v) {
				walk(v[k], path+"."+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(r.JSON, "json")
}
