package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/pricing"
)

// Report is what one response said about its usage.
type Report struct {
	// Usage holds the buckets reported; a bucket not reported is 0 here (see Missing).
	Usage pricing.Usage
	// Found: the source reported usage (at least one bucket). Without it, the response's
	// cost is unknown, never zero (DESIGN.md, "Metering").
	Found bool
	// Complete: the final usage was seen, with every required bucket. For a body, every
	// bucket the source requires was there; for a stream, Anthropic's message_stop after a
	// message_delta with its output count, or OpenAI's usage chunk. A stream cut before that
	// reported only part of what it cost.
	Complete bool
	// Missing are the required buckets the response did not report (absent, null, an empty
	// header; for a stream, not yet in its final usage): Anthropic's input_tokens and
	// output_tokens, OpenAI's prompt_tokens and completion_tokens, every JSON path or header
	// the plan maps. What a provider documents as optional (cache counts) is never missing:
	// absent, it is 0. A missing bucket's cost is unknown, never zero: the meter charges it
	// at the request's bound. Source.Unmatched names what matched nothing.
	Missing Buckets
	// Model is the model the response names, if any ("claude-sonnet-4-5-20250929").
	Model string
}

// Buckets is a set of canonical usage buckets (DESIGN.md, "Canonical usage"), cache writes
// split by lifetime.
type Buckets uint8

// The buckets, as members of a set.
const (
	BucketInput        Buckets = 1 << iota // input tokens neither read from nor written to a cache
	BucketCacheRead                        // input tokens read from a prompt cache
	BucketCacheWrite5m                     // input tokens written to the 5-minute cache
	BucketCacheWrite1h                     // input tokens written to the 1-hour cache
	BucketOutput                           // output tokens

	// BucketsInput are the buckets of the prompt: they share one bound, max_input_tokens.
	BucketsInput = BucketInput | BucketCacheRead | BucketCacheWrite5m | BucketCacheWrite1h
)

// bucketNames are the plan's names of the buckets (usage: {json: {NAME: ...}}), in bit order.
var bucketNames = [...]string{"input", "cache_read", "cache_write", "cache_write_1h", "output"}

// String lists the buckets of b by the plan's names ("input, output"); "none" when empty.
func (b Buckets) String() string {
	var names []string
	for i, n := range bucketNames {
		if b&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// ErrNotObject is wrapped by errors for a JSON body or event that is not a JSON object where
// one is required.
var ErrNotObject = errors.New("not a JSON object")

// decodeJSON decodes data into v with numbers as json.Number, rejecting trailing data.
func decodeJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("invalid character after top-level value")
	}
	return nil
}

// tokenField reads m[key] as a token count. A missing or null member is not present; one
// that is not a non-negative integer is an error that names what (e.g. "usage.input_tokens").
func tokenField(m map[string]any, key, what string) (n int64, present bool, err error) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	return tokenValue(v, what)
}

// tokenValue converts a decoded JSON value to a token count.
func tokenValue(v any, what string) (int64, bool, error) {
	n, ok := jsonpath.Int64(v)
	if !ok {
		return 0, false, fmt.Errorf("%s: not an integer (got %s)", what, jsonType(v))
	}
	if n < 0 {
		return 0, false, fmt.Errorf("%s: negative token count %d", what, n)
	}
	return n, true, nil
}

// jsonType names the JSON type of a decoded value, for error messages that must not echo
// response content.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64:
		return "a fractional or out-of-range number"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
