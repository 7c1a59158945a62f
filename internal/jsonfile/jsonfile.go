package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// CheckSchema checks the schema key of a loadplan JSON document (top is its object) named
// name: it must be want, which writer writes.
func CheckSchema(name string, top map[string]json.RawMessage, want, writer string) error {
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

// DecodeError turns an error of decoding data (the file name) into one that names the file
// and the place: name:line:col for invalid JSON and values of the wrong type, the byte where
// a truncated file ends. what is what the file should be ("a run summary").
func DecodeError(name string, data []byte, err error, what string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the faulty one included.
		line, col := LineCol(data, syn.Offset-1)
		if syn.Offset >= int64(len(data)) || strings.Contains(syn.Error(), "unexpected end of JSON input") {
			line, _ = LineCol(data, int64(len(data)))
			return fmt.Errorf("%s: truncated: the JSON ends at byte %d (line %d) before %s is complete", name, len(data), line, what)
		}
		return fmt.Errorf("%s:%d:%d: invalid JSON at byte %d: %v", name, line, col, syn.Offset, syn)
	case errors.As(err, &typ):
		line, col := LineCol(data, typ.Offset)
		field := typ.Field
		if field == "" {
			return fmt.Errorf("%s:%d:%d: not %s: the JSON is a %s, want an object", name, line, col, what, typ.Value)
		}
		return fmt.Errorf("%s:%d:%d: %q is a JSON %s, want %s", name, line, col, field, typ.Value, goTypeName(typ.Type.String()))
	}
	return fmt.Errorf("%s: not %s: %w", name, what, err)
}

// goTypeName says what JSON a Go type wants.
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

// LineCol is the 1-based line and column of a byte offset of data.
func LineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
