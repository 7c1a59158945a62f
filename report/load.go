package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/internal/inputfile"
)

// MaxInputBytes bounds a file report reads whole (a run summary, a Locust CSV): a summary
// with its histograms is a few hundred kilobytes.
const MaxInputBytes = 256 << 20

// requiredSummaryKeys are the keys without which a file is not a usable run summary.
var requiredSummaryKeys = []string{"schema", "plan", "scenario", "started_at", "stop_reason", "actual", "tasks"}

// ReadSummary reads a run summary (loadplan.run/v1) written by `loadplan run --json`. Errors
// name the file and what is wrong: another schema version, truncated or invalid JSON (with the
// line, column and byte offset), a missing key, a value of the wrong type.
func ReadSummary(path string) (*executor.Summary, error) {
	data, _, err := inputfile.Read(path, MaxInputBytes)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	return ParseSummary(path, data)
}

// ParseSummary parses a run summary read from the file name (used in errors).
func ParseSummary(name string, data []byte) (*executor.Summary, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file; want a run summary (schema %s, written by loadplan run --json)", name, executor.SummarySchema)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		if isHistory(data) {
			return nil, fmt.Errorf("%s is a run history (schema %s), not a run summary: loadplan report history %s", name, HistorySchema, name)
		}
		return nil, jsonError(name, data, err, "a run summary")
	}
	if top == nil {
		return nil, fmt.Errorf("%s: not a run summary: the JSON is null, want an object with schema %s", name, executor.SummarySchema)
	}
	if err := checkSchema(name, top, executor.SummarySchema, "loadplan run --json"); err != nil {
		return nil, err
	}
	var missing []string
	for _, k := range requiredSummaryKeys {
		if v, ok := top[k]; !ok || string(v) == "null" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: not a complete run summary: missing %s", name, strings.Join(quoteAll(missing), ", "))
	}
	var s executor.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, jsonError(name, data, err, "a run summary")
	}
	for i, t := range s.Tasks {
		if t.Name == "" {
			return nil, fmt.Errorf("%s: tasks[%d] has no name", name, i)
		}
	}
	return &s, nil
}

// checkSchema checks the schema key of a loadplan JSON document.
func checkSchema(name string, top map[string]json.RawMessage, want, writer string) error {
	raw, ok := top["schema"]
	if !ok {
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) > 6 {
			keys = append(keys[:6], "...")
		}
		return fmt.Errorf("%s: no \"schema\" key, so not a loadplan file (want schema %s, written by %s); its keys: %s", name, want, writer, strings.Join(keys, ", "))
	}
	var got string
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("%s: \"schema\" is %s, want the string %q", name, raw, want)
	}
	if got == want {
		return nil
	}
	family := func(s string) string { f, _, _ := strings.Cut(s, "/"); return f }
	if family(got) == family(want) {
		return fmt.Errorf("%s: schema %s is not supported: this loadplan reads %s (the file was written by another version of loadplan)", name, got, want)
	}
	return fmt.Errorf("%s: schema %s is not supported here: want %s, written by %s", name, got, want, writer)
}

// jsonError turns a decoding error into one that names the file and the place.
func jsonError(name string, data []byte, err error, what string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the faulty one included.
		line, col := lineCol(data, syn.Offset-1)
		if syn.Offset >= int64(len(data)) || strings.Contains(syn.Error(), "unexpected end of JSON input") {
			line, _ = lineCol(data, int64(len(data)))
			return fmt.Errorf("%s: truncated: the JSON ends at byte %d (line %d) before %s is complete", name, len(data), line, what)
		}
		return fmt.Errorf("%s:%d:%d: invalid JSON at byte %d: %v", name, line, col, syn.Offset, syn)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		field := typ.Field
		if field == "" {
			return fmt.Errorf("%s:%d:%d: not %s: the JSON is a %s, want an object", name, line, col, what, typ.Value)
		}
		return fmt.Errorf("%s:%d:%d: %q is a JSON %s, want %s", name, line, col, field, typ.Value, goTypeName(typ.Type.String()))
	}
	return fmt.Errorf("%s: not %s: %w", name, what, err)
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string", strings.HasSuffix(t, "StopReason"):
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return "an object"
}

// lineCol is the 1-based line and column of a byte offset.
func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// isHistory reports whether data starts with a history line.
func isHistory(data []byte) bool {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var top struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(first, &top) == nil && top.Schema == HistorySchema
}
