package usage

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

// OpenAI reads the usage of a non-streaming OpenAI Chat Completions response body: its
// `usage` object and its `model`. prompt_tokens includes the cached tokens, so
// input = prompt_tokens - prompt_tokens_details.cached_tokens, cache_read = cached_tokens,
// output = completion_tokens (DESIGN.md, "Canonical usage"). The Responses API's names
// (input_tokens, input_tokens_details.cached_tokens, output_tokens) are read the same way.
// OpenAI has no cache-write charge. The top-level service_tier, which prices the request, is
// Usage.ServiceTier. A body without usage is not an error: Found is false.
func OpenAI(body []byte) (Report, error) {
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return Report{}, fmt.Errorf("openai usage: decode body: %w", err)
	}
	return OpenAIValue(v)
}

// OpenAIValue is OpenAI for a body decoded already by encoding/json (with UseNumber).
func OpenAIValue(v any) (Report, error) {
	rep, u, ok := usageObject(v)
	if !ok {
		return rep, nil
	}
	usage, seen, err := openAIUsage(u)
	if err != nil {
		return Report{}, fmt.Errorf("openai usage: %w", err)
	}
	rep.Usage = usage
	if tier, ok := v.(map[string]any)["service_tier"].(string); ok {
		rep.Usage.ServiceTier = pricing.ServiceTierName(tier) // it prices the request
	}
	rep.Found = seen != 0
	rep.Complete = seen&(seenInput|seenOutput) == seenInput|seenOutput
	return rep, nil
}

// openAIUsage converts an OpenAI usage object to canonical usage.
func openAIUsage(u map[string]any) (pricing.Usage, seen, error) {
	promptKey, detailsKey, completionKey := "prompt_tokens", "prompt_tokens_details", "completion_tokens"
	if _, ok := u[promptKey]; !ok {
		if _, ok := u["input_tokens"]; ok { // the Responses API
			promptKey, detailsKey, completionKey = "input_tokens", "input_tokens_details", "output_tokens"
		}
	}
	var s seen
	prompt, hasPrompt, err := tokenField(u, promptKey, "usage."+promptKey)
	if err != nil {
		return pricing.Usage{}, 0, err
	}
	details, _ := u[detailsKey].(map[string]any)
	cached, hasCached, err := tokenField(details, "cached_tokens", "usage."+detailsKey+".cached_tokens")
	if err != nil {
		return pricing.Usage{}, 0, err
	}
	output, hasOutput, err := tokenField(u, completionKey, "usage."+completionKey)
	if err != nil {
		return pricing.Usage{}, 0, err
	}
	if cached > prompt && (hasPrompt || hasCached) {
		return pricing.Usage{}, 0, fmt.Errorf("usage.%s.cached_tokens %d exceeds %s %d", detailsKey, cached, promptKey, prompt)
	}
	if hasPrompt {
		s |= seenInput
	}
	if hasCached {
		s |= seenCacheRead
	}
	if hasOutput {
		s |= seenOutput
	}
	return pricing.Usage{Input: prompt - cached, CacheRead: cached, Output: output}, s, nil
}

// NewOpenAIStream returns a Stream for OpenAI's Chat Completions chunk stream. Usage comes
// only in the chunk that the request's stream_options.include_usage adds at the end (its
// choices are empty); the report is Complete once that chunk was seen, and `data: [DONE]`
// ends the stream. Without include_usage a stream reports no usage at all: Found stays
// false. The first content is the first chunk with a non-empty delta content, refusal or
// tool call. An in-band {"error": ...} chunk is reported by Err. The chunks' service_tier
// (read from those decoded: the first and the usage chunk) is Usage.ServiceTier.
func NewOpenAIStream() Stream { return &openAIStream{} }

type openAIStream struct {
	rep   Report
	first bool
	done  bool // data: [DONE] was seen
	// decoded: a chunk was decoded, and the model taken from it.
	decoded bool
	tier    string // the service tier the chunks name (canonical), "" for the standard one
	err     *StreamError
	// slow disables the skip of chunks that cannot carry news (tests compare both ways).
	slow bool
}

// openAIChunk is what the stream reads of a chunk.
type openAIChunk struct {
	Model       string `json:"model"`
	ServiceTier string `json:"service_tier"`
	Choices     []struct {
		Delta struct {
			Content   json.RawMessage `json:"content"`
			Refusal   json.RawMessage `json:"refusal"`
			ToolCalls json.RawMessage `json:"tool_calls"`
		} `json:"delta"`
	} `json:"choices"`
	Usage json.RawMessage `json:"usage"`
	Error *struct {
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"error"`
}

var doneData = []byte("[DONE]")

// Add decodes a chunk only while it may tell something new. Once the first content and the
// model are known (from the first chunk), a chunk matters only if it has a non-null "usage" or an "error" member,
// and skipChunk can tell that from the bytes without decoding (see there).
func (s *openAIStream) Add(ev sse.Event) error {
	if s.done {
		return nil
	}
	data := bytes.TrimSpace(ev.Data)
	if bytes.Equal(data, doneData) {
		s.done = true
		return nil
	}
	if len(data) == 0 {
		return nil
	}
	if !s.slow && s.first && s.decoded && skipChunk(data) {
		return nil
	}
	var c openAIChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("openai stream: decode chunk: %w", err)
	}
	if c.Error != nil {
		s.err = newStreamError(errorType(c.Error.Type, c.Error.Code), c.Error.Message)
	}
	if !s.decoded {
		s.rep.Model, s.decoded = c.Model, true
	}
	if c.ServiceTier != "" {
		s.tier = pricing.ServiceTierName(c.ServiceTier)
	}
	if !s.first {
		for _, ch := range c.Choices {
			if nonEmpty(ch.Delta.Content) || nonEmpty(ch.Delta.Refusal) || nonEmpty(ch.Delta.ToolCalls) {
				s.first = true
				break
			}
		}
	}
	if nonEmpty(c.Usage) {
		var u map[string]any
		if err := decodeJSON(c.Usage, &u); err != nil {
			return fmt.Errorf("openai stream: decode usage: %w", err)
		}
		usage, seen, err := openAIUsage(u)
		if err != nil {
			return fmt.Errorf("openai stream: %w", err)
		}
		// The usage chunk has the request's totals; a later one (some compatible servers
		// repeat it) replaces an earlier one.
		s.rep.Usage = usage
		s.rep.Usage.ServiceTier = s.tier
		if seen != 0 {
			s.rep.Found = true
			s.rep.Complete = seen&(seenInput|seenOutput) == seenInput|seenOutput
		}
	}
	return nil
}

// errorType picks an error's type, or else its code, as text.
func errorType(typ, code json.RawMessage) string {
	for _, raw := range []json.RawMessage{typ, code} {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		if nonEmpty(raw) {
			return string(raw) // a numeric code
		}
	}
	return ""
}

// nonEmpty reports whether a raw JSON value is neither absent, null, "", [] nor {}.
func nonEmpty(raw json.RawMessage) bool {
	switch string(raw) {
	case "", "null", `""`, "[]", "{}":
		return false
	}
	return true
}

// skipChunk reports whether a chunk certainly has neither a non-null "usage" member nor an
// "error" member, at any depth, so that it need not be decoded.
//
// Why the bytes suffice: inside a JSON string every '"' is escaped, so the bytes `"usage"`
// with an unescaped closing quote, followed by optional whitespace and ':', can only be an
// object key named usage (or a key ending in an escaped quote and usage, which at worst makes
// us decode in vain). A key could be spelled with \u escapes instead; any backslash-u in the
// chunk therefore disables the skip. False means "decode it", never "it has usage".
func skipChunk(data []byte) bool {
	if bytes.Contains(data, []byte(`\u`)) {
		return false
	}
	if _, ok := keyValue(data, `"error"`); ok {
		return false
	}
	for rest := data; ; {
		v, ok := keyValue(rest, `"usage"`)
		if !ok {
			return true
		}
		if !bytes.HasPrefix(v, []byte("null")) {
			return false
		}
		rest = v[len("null"):]
	}
}

// keyValue finds the first key in data and returns what follows its ':' (whitespace
// skipped).
func keyValue(data []byte, key string) ([]byte, bool) {
	for {
		i := bytes.Index(data, []byte(key))
		if i < 0 {
			return nil, false
		}
		data = data[i+len(key):]
		j := skipSpace(data, 0)
		if j < len(data) && data[j] == ':' {
			return data[skipSpace(data, j+1):], true
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func (s *openAIStream) Report() Report     { return s.rep }
func (s *openAIStream) FirstContent() bool { return s.first }

func (s *openAIStream) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}
