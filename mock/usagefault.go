package mock

import (
	"bytes"
	"encoding/json"
	"strings"
)

// UsageFaults make the answers report their usage in part, as a service with a bug, or a
// proxy that drops fields, would: members of the usage object left out (Omit) or written as
// null (Null), named as in the answer ("output_tokens", "input_tokens",
// "completion_tokens", "prompt_tokens"), dotted for a nested member
// ("prompt_tokens_details.cached_tokens", "cache_creation.ephemeral_1h_input_tokens"), or
// "usage" for the whole object. They apply to every usage object an answer carries: a JSON
// body's, a stream's message_start and message_delta (Anthropic) or usage chunk (OpenAI). The
// ledger bills what was generated all the same, so it says what a partial report hides.
//
// A request may set its own with the headers X-Mock-Usage-Omit and X-Mock-Usage-Null (names
// separated by commas), which replace the configuration's for that request.
type UsageFaults struct {
	Omit []string `yaml:"omit"`
	Null []string `yaml:"null"`
}

// The request headers that set a request's UsageFaults.
const (
	UsageOmitHeader = "X-Mock-Usage-Omit"
	UsageNullHeader = "X-Mock-Usage-Null"
)

func (f UsageFaults) empty() bool { return len(f.Omit) == 0 && len(f.Null) == 0 }

func (f UsageFaults) validate(path string) []fieldError {
	var errs []fieldError
	for _, l := range []struct {
		name  string
		names []string
	}{{"omit", f.Omit}, {"null", f.Null}} {
		for _, n := range l.names {
			if n == "" || strings.ContainsAny(n, " ,") || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") {
				errs = append(errs, fieldError{path + "." + l.name, `"` + n + `" is not a usage member: write output_tokens, prompt_tokens_details.cached_tokens or usage`})
			}
		}
	}
	return errs
}

// usageFaults are the request's: its headers', else the configuration's.
func (c *call) usageFaults() UsageFaults {
	h := c.r.Header
	omit, null := h.Get(UsageOmitHeader), h.Get(UsageNullHeader)
	if omit == "" && null == "" {
		return c.s.cfg.UsageFaults
	}
	return UsageFaults{Omit: splitNames(omit), Null: splitNames(null)}
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// editUsage applies the request's usage faults to the usage object of data, a JSON object,
// found at the members path ("usage"; "message", "usage"). Without faults, or without such
// an object, data is returned as it is.
func (c *call) editUsage(data []byte, path ...string) []byte {
	f := c.usageFaults()
	if f.empty() {
		return data
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var top map[string]any
	if d.Decode(&top) != nil {
		return data
	}
	parent := top
	for _, k := range path[:len(path)-1] {
		if parent, _ = parent[k].(map[string]any); parent == nil {
			return data
		}
	}
	key := path[len(path)-1]
	if _, ok := parent[key].(map[string]any); !ok {
		return data
	}
	for _, n := range f.Omit {
		editMember(parent, key, n, false)
	}
	for _, n := range f.Null {
		editMember(parent, key, n, true)
	}
	out, err := json.Marshal(top)
	if err != nil {
		return data
	}
	return out
}

// editMember removes (or sets to null) the member name of the usage object parent[key]:
// "usage" is the object itself, a dotted name a nested member. A member that is not there
// is left out already.
func editMember(parent map[string]any, key, name string, null bool) {
	obj, k := parent, key
	if name != "usage" {
		parts := strings.Split(name, ".")
		for _, p := range parts[:len(parts)-1] {
			next, _ := obj[k].(map[string]any)
			if next == nil {
				return
			}
			obj, k = next, p
		}
		next, _ := obj[k].(map[string]any)
		if next == nil {
			return
		}
		obj, k = next, parts[len(parts)-1]
		if _, ok := obj[k]; !ok {
			return
		}
	}
	if null {
		obj[k] = nil
	} else {
		delete(obj, k)
	}
}
