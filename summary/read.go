package summary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/loadplan/loadplan/internal/inputfile"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonfile"
)

// MaxFileBytes bounds a summary file, read whole: a summary with its histograms is a few
// hundred kilobytes.
const MaxFileBytes = 256 << 20

// requiredKeys are the keys without which a file is not a usable run summary.
var requiredKeys = []string{"schema", "plan", "scenario", "started_at", "stop_reason", "actual", "tasks"}

// Read reads a run summary (loadplan.run/v1) written by `loadplan run --json`. Errors name
// the file and what is wrong: another schema version, truncated or invalid JSON (with the
// line, column and byte offset), a missing key, a value of the wrong type.
func Read(path string) (*Run, error) {
	data, _, err := inputfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a run summary read from the file name (used in errors).
func Parse(name string, data []byte) (*Run, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file; want a run summary (schema %s, written by loadplan run --json)", name, Schema)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		if isHistory(data) {
			return nil, fmt.Errorf("%s is a run history (schema %s), not a run summary: loadplan report history %s", name, HistorySchema, name)
		}
		return nil, jsonfile.DecodeError(name, data, err, "a run summary")
	}
	if top == nil {
		return nil, fmt.Errorf("%s: not a run summary: the JSON is null, want an object with schema %s", name, Schema)
	}
	if err := jsonfile.CheckSchema(name, top, Schema, "loadplan run --json"); err != nil {
		return nil, err
	}
	var missing []string
	for _, k := range requiredKeys {
		if v, ok := top[k]; !ok || string(v) == "null" {
			missing = append(missing, fmt.Sprintf("%q", k))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: not a complete run summary: missing %s", name, strings.Join(missing, ", "))
	}
	var s Run
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, jsonfile.DecodeError(name, data, err, "a run summary")
	}
	for i, t := range s.Tasks {
		if t.Name == "" {
			return nil, fmt.Errorf("%s: tasks[%d] has no name", name, i)
		}
	}
	return &s, nil
}

// isHistory reports whether data starts with a history line.
func isHistory(data []byte) bool {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var top struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(first, &top) == nil && top.Schema == HistorySchema
}
