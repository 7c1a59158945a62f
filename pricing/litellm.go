package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// The fields of LiteLLM's model_prices_and_context_window.json that loadplan reads. Prices are
// USD per token.
const (
	litellmInput     = "input_cost_per_token"
	litellmOutput    = "output_cost_per_token"
	litellmCacheRead = "cache_read_input_token_cost"
	litellmWrite5m   = "cache_creation_input_token_cost"
	litellmWrite1h   = "cache_creation_input_token_cost_above_1hr"
	litellmProvider  = "litellm_provider"
	litellmSampleKey = "sample_spec" // documents the fields; not a model
)

// parseLiteLLM reads LiteLLM's price file: a JSON object of model id to an object of fields.
// Entries without both an input and an output price per token (embeddings, image and audio
// models priced by other units) are skipped; a price field that is present but not a
// non-negative number is an error naming the model and the field. Numbers are read as text
// (json.Number) and converted per token -> per million tokens by a decimal shift.
func parseLiteLLM(name string, data []byte) (*Catalog, error) {
	errs := &errorList{file: name}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	syntax := func(err error) (*Catalog, error) {
		var offset int64 = -1
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			offset = se.Offset
		case errors.As(err, &te):
			offset = te.Offset
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			offset = int64(len(data))
			err = errors.New("unexpected end of JSON input")
		}
		line, col := position(data, offset)
		errs.add(line, col, "", err, "LiteLLM price file: %v", err)
		return nil, errs.err()
	}
	if tok, err := dec.Token(); err != nil {
		return syntax(err)
	} else if tok != json.Delim('{') {
		return syntax(fmt.Errorf("want an object of models, not %v", tok))
	}
	c := &Catalog{}
	index := map[string]int{} // model id -> position in c.Prices; a repeated id: the last wins
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		id, _ := tok.(string) // object keys are always strings
		line, col := position(data, dec.InputOffset())
		var entry any
		if err := dec.Decode(&entry); err != nil {
			return syntax(err)
		}
		if id == litellmSampleKey {
			continue
		}
		where := fmt.Sprintf("model %q", id)
		fields, ok := entry.(map[string]any)
		if !ok {
			errs.add(line, col, where, nil, "want an object of fields, not %s", jsonKind(entry))
			continue
		}
		if id == "" {
			errs.add(line, col, "", nil, "a model with an empty id")
			continue
		}
		p, ok := litellmPrice(errs, line, col, where, id, fields)
		if !ok {
			continue
		}
		if i, dup := index[id]; dup {
			c.Prices[i] = p
		} else {
			index[id] = len(c.Prices)
			c.Prices = append(c.Prices, p)
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level object")
		}
		return syntax(err)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(c.Prices) == 0 {
		errs.add(0, 0, "", nil, "LiteLLM price file: no model with both %s and %s", litellmInput, litellmOutput)
		return nil, errs.err()
	}
	return c, nil
}

// litellmPrice converts one entry. The bool is false when the entry is skipped or wrong; only
// the latter adds to errs.
func litellmPrice(errs *errorList, line, col int, where, id string, fields map[string]any) (Price, bool) {
	before := len(errs.errs)
	perMTok := func(field string) (decimal.Decimal, bool) {
		v, present := fields[field]
		if !present || v == nil {
			return decimal.Decimal{}, false
		}
		n, ok := v.(json.Number)
		if !ok {
			errs.add(line, col, where, nil, "%s: want a number of USD per token, not %s", field, jsonKind(v))
			return decimal.Decimal{}, false
		}
		d, err := parseDecimal(string(n), false)
		if err != nil {
			errs.add(line, col, where, err, "%s: %s is not a price (%v): want a non-negative number of USD per token such as 3e-06", field, n, err)
			return decimal.Decimal{}, false
		}
		return d.Shift(6).Normalize(), true
	}
	in, hasIn := perMTok(litellmInput)
	out, hasOut := perMTok(litellmOutput)
	read, hasRead := perMTok(litellmCacheRead)
	w5, has5 := perMTok(litellmWrite5m)
	w1, has1 := perMTok(litellmWrite1h)
	provider := ""
	if v, present := fields[litellmProvider]; present && v != nil {
		s, ok := v.(string)
		if !ok {
			errs.add(line, col, where, nil, "%s: want text, not %s", litellmProvider, jsonKind(v))
		}
		provider = strings.ToLower(s)
	}
	if len(errs.errs) > before || !hasIn || !hasOut {
		return Price{}, false
	}
	// Without cache prices there is no discount known: reads and writes cost the input price,
	// and a 1-hour write what a 5-minute one does, except for Anthropic, whose published rule
	// is that a 1-hour write costs twice the input price (a worst case priced lower would let
	// the budget cap be exceeded).
	if !hasRead {
		read = in
	}
	if !has5 {
		w5 = in
	}
	if !has1 {
		w1 = w5
		if provider == ProviderAnthropic {
			w1 = decimal.Max(w5, in.Mul(decimal.NewFromInt(2)))
		}
	}
	p := Price{
		Model:    id,
		Provider: provider,
		Rates: Rates{
			InputPerMTok:        in,
			CacheWrite5mPerMTok: w5,
			CacheWrite1hPerMTok: w1,
			CacheReadPerMTok:    read,
			OutputPerMTok:       out,
		},
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	litellmTiers(&p, keys, perMTok)
	if len(errs.errs) > before {
		return Price{}, false
	}
	return p, true
}

// jsonKind names a decoded JSON value's kind for error messages.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("%t", v)
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// position converts a byte offset in data to a 1-based line and column (in bytes); an offset
// out of range gives 0, 0.
func position(data []byte, offset int64) (line, col int) {
	if offset < 0 || offset > int64(len(data)) {
		return 0, 0
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
