package mock

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/internal/inputfile"
	"gopkg.in/yaml.v3"
)

// ConfigError is one problem of a configuration file, located.
type ConfigError struct {
	File      string
	Line, Col int    // 1-based; 0 when the problem has no place in the file
	Path      string // the field's path, such as endpoints./api/chat/message.latency.p95
	Msg       string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// maxConfigBytes bounds a mock configuration file.
const maxConfigBytes = 4 << 20

// LoadConfig reads a mock configuration file (YAML). Its optional top-level `profile:` names
// the built-in profile it starts from (default: "default"); the fields it gives override the
// profile's, field by field, endpoint by endpoint. Every problem is reported, joined, each as
// a *ConfigError with the file, line, column and the field's path; unknown fields are errors.
//
//	profile: flaky
//	seed: 42
//	faults: {rate_limited: 5%, retry_after: 2s}
//	endpoints:
//	  /api/chat/message: {latency: {median: 1s, p95: 2s}, output_tokens: 250}
func LoadConfig(path string) (Config, error) {
	data, _, err := inputfile.Read(path, maxConfigBytes)
	if err != nil {
		return Config{}, fmt.Errorf("load mock config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig is LoadConfig on data read from the file named name.
func ParseConfig(name string, data []byte) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, syntaxError(name, err)
	}
	d := &decoder{file: name, pos: map[string][2]int{}}
	if len(root.Content) == 0 { // an empty file: the default profile
		cfg, _ := Profile("default")
		return cfg, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return Config{}, d.errorAt(doc, "", "a mock configuration is a mapping of fields, not %s", kindName(doc))
	}
	base := "default"
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if k, v := doc.Content[i], doc.Content[i+1]; k.Value == "profile" {
			if v.Kind != yaml.ScalarNode {
				return Config{}, d.errorAt(v, "profile", "a profile is a name, not %s", kindName(v))
			}
			base = v.Value
			if _, err := Profile(base); err != nil {
				return Config{}, d.errorAt(v, "profile", "%v", err)
			}
		}
	}
	cfg, _ := Profile(base)
	d.decode(doc, reflect.ValueOf(&cfg).Elem(), "")
	if len(d.errs) == 0 {
		for _, fe := range cfg.validate() {
			line, col := d.locate(fe.path)
			d.errs = append(d.errs, &ConfigError{File: name, Line: line, Col: col, Path: fe.path, Msg: fe.msg})
		}
	}
	if len(d.errs) > 0 {
		return Config{}, errors.Join(d.errs...)
	}
	return cfg, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns yaml's "yaml: line N: msg" into a located error.
func syntaxError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return &ConfigError{File: file, Msg: strings.Join(te.Errors, "; ")}
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ConfigError{File: file, Line: line, Col: 1, Msg: m[2]}
	}
	return &ConfigError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// decoder walks a yaml.Node tree into a Config by reflection, over the values already there,
// so that a file overrides a profile field by field. It keeps every field's position so that
// validation errors, which name fields by path, can be located too.
type decoder struct {
	file string
	errs []error
	pos  map[string][2]int // field path → line, column of its key
}

func (d *decoder) errorAt(n *yaml.Node, path, format string, args ...any) error {
	err := &ConfigError{File: d.file, Line: n.Line, Col: n.Column, Path: path, Msg: fmt.Sprintf(format, args...)}
	d.errs = append(d.errs, err)
	return err
}

// locate returns the position of path, or of its nearest parent that the file gives.
func (d *decoder) locate(path string) (line, col int) {
	for p := path; p != ""; {
		if at, ok := d.pos[p]; ok {
			return at[0], at[1]
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0, 0
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

var durationType = reflect.TypeFor[time.Duration]()

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.Type() == durationType {
		if !d.scalar(n, path, "a duration such as 1.5s or 300ms") {
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.errorAt(n, path, "%q is not a duration with a unit, such as 1.5s or 300ms", n.Value)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Pointer: // *Faults: replaces the config-wide faults, starting from none
		if n.Tag == "!!null" {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Map:
		d.decodeEndpoints(n, v, path)
	case reflect.Slice: // []string: UsageFaults' member names
		if n.Kind != yaml.SequenceNode {
			d.errorAt(n, path, "want a list such as [output_tokens], not %s", kindName(n))
			return
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			d.decode(e, out.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(out)
	case reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if !d.scalar(n, path, "true or false") {
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorAt(n, path, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		if !d.scalar(n, path, "a whole number") {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
		if err != nil {
			d.errorAt(n, path, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint64:
		if !d.scalar(n, path, "a whole number") {
			return
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
		if err != nil {
			d.errorAt(n, path, "%q is not a whole number of 0 or more", n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		if !d.scalar(n, path, "a number or a percentage") {
			return
		}
		f, err := parseNumber(n.Value)
		if err != nil {
			d.errorAt(n, path, "%q is not a number or a percentage such as 2%% or 0.02", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.errorAt(n, path, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorAt(n, path, "want %s, not %s", want, kindName(n))
		return false
	}
	return true
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

// parseNumber parses "0.02", "2%" or "2 %".
func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	if pct {
		t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, err
	}
	if pct {
		f /= 100
	}
	return f, nil
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "want a mapping of fields, not %s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("yaml")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			d.errorAt(k, fp, "unknown field%s", suggestField(k.Value, names))
			continue
		}
		if seen[k.Value] {
			d.errorAt(k, fp, "given twice")
			continue
		}
		seen[k.Value] = true
		d.pos[fp] = [2]int{k.Line, k.Column}
		d.decode(val, v.Field(idx), fp)
	}
}

func suggestField(s string, names []string) string {
	if m := suggest(s, names); m != "" {
		return m
	}
	return " (valid: " + strings.Join(names, ", ") + ")"
}

// decodeEndpoints decodes Config.Endpoints: each entry overrides the profile's endpoint.
func (d *decoder) decodeEndpoints(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "want a mapping of endpoint paths, not %s", kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	known := Endpoints()
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		if !isKnown(k.Value, known) {
			d.errorAt(k, fp, "unknown endpoint%s", suggestField(k.Value, known))
			continue
		}
		if seen[k.Value] {
			d.errorAt(k, fp, "given twice")
			continue
		}
		seen[k.Value] = true
		d.pos[fp] = [2]int{k.Line, k.Column}
		key := reflect.ValueOf(k.Value)
		e := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(key); old.IsValid() {
			e.Set(old)
		}
		d.decode(val, e, fp)
		v.SetMapIndex(key, e)
	}
}

func isKnown(s string, known []string) bool {
	for _, k := range known {
		if s == k {
			return true
		}
	}
	return false
}
