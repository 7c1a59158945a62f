package usage

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

// Anthropic reads the usage of a non-streaming Anthropic Messages response body: its
// top-level `usage` object (input_tokens, cache_creation_input_tokens,
// cache_read_input_tokens, output_tokens, and the optional cache_creation split into
// ephemeral_5m_input_tokens and ephemeral_1h_input_tokens; without the split every cache
// write is a 5-minute write; service_tier, the tier that prices it, in Usage.ServiceTier)
// and its `model`. A body without usage (an error body, say) is
// not an error: the Report has Found false. A body that is not JSON, or a count that is not
// a non-negative integer, is.
func Anthropic(body []byte) (Report, error) {
	var v any
	if err := decodeJSON(body, &v); err != nil {
		return Report{}, fmt.Errorf("anthropic usage: decode body: %w", err)
	}
	return AnthropicValue(v)
}

// AnthropicValue is Anthropic for a body decoded already by encoding/json (with UseNumber,
// so that counts stay exact; float64 counts up to 2^53 are accepted too).
func AnthropicValue(v any) (Report, error) {
	rep, u, ok := usageObject(v)
	if !ok {
		return rep, nil
	}
	seen, err := applyAnthropic(&rep.Usage, u)
	if err != nil {
		return Report{}, fmt.Errorf("anthropic usage: %w", err)
	}
	rep.Found = seen != 0
	rep.Complete = seen&(seenInput|seenOutput) == seenInput|seenOutput
	return rep, nil
}

// seen is a set of the buckets a usage object reported.
type seen uint8

const (
	seenInput seen = 1 << iota
	seenCacheRead
	seenCacheWrite
	seenOutput
)

// applyAnthropic sets the buckets that the Anthropic usage object u reports in dst, leaving
// the others. Counts in Anthropic usage are totals so far, never increments, so a later
// object (message_delta after message_start) replaces what an earlier one said.
func applyAnthropic(dst *pricing.Usage, u map[string]any) (seen, error) {
	var s seen
	n, ok, err := tokenField(u, "input_tokens", "usage.input_tokens")
	if err != nil {
		return 0, err
	}
	if ok {
		dst.Input, s = n, s|seenInput
	}
	if n, ok, err = tokenField(u, "cache_read_input_tokens", "usage.cache_read_input_tokens"); err != nil {
		return 0, err
	} else if ok {
		dst.CacheRead, s = n, s|seenCacheRead
	}
	if n, ok, err = tokenField(u, "output_tokens", "usage.output_tokens"); err != nil {
		return 0, err
	} else if ok {
		dst.Output, s = n, s|seenOutput
	}

	if tier, ok := u["service_tier"].(string); ok {
		dst.ServiceTier = pricing.ServiceTierName(tier) // it prices the request
	}

	total, hasTotal, err := tokenField(u, "cache_creation_input_tokens", "usage.cache_creation_input_tokens")
	if err != nil {
		return 0, err
	}
	split, _ := u["cache_creation"].(map[string]any)
	w5m, has5m, err := tokenField(split, "ephemeral_5m_input_tokens", "usage.cache_creation.ephemeral_5m_input_tokens")
	if err != nil {
		return 0, err
	}
	w1h, has1h, err := tokenField(split, "ephemeral_1h_input_tokens", "usage.cache_creation.ephemeral_1h_input_tokens")
	if err != nil {
		return 0, err
	}
	switch {
	case has5m || has1h:
		if hasTotal && total != w5m+w1h {
			return 0, fmt.Errorf("usage.cache_creation: 5-minute %d + 1-hour %d writes do not add up to cache_creation_input_tokens %d",
				w5m, w1h, total)
		}
		dst.CacheWrite5m, dst.CacheWrite1h, s = w5m, w1h, s|seenCacheWrite
	case hasTotal:
		// No split: every write is a 5-minute write, unless an earlier event split this very
		// total already (message_start with the split, message_delta without it).
		if total != dst.CacheWrite() {
			dst.CacheWrite5m, dst.CacheWrite1h = total, 0
		}
		s |= seenCacheWrite
	}
	return s, nil
}

// Stream reads usage from a streamed response, event by event as they arrive. Add must be
// cheap: it runs for every token event. A Stream is used by one goroutine at a time.
type Stream interface {
	// Add takes the next event. It returns an error when an event that carries usage
	// cannot be read (the usage is then unknown, and Report says what was read before).
	// An `error` event is not an error of Add: Err reports it.
	Add(ev sse.Event) error
	// Report is the usage seen so far; Complete once the final usage was seen.
	Report() Report
	// FirstContent is true once the first content event was seen: the time to first
	// token ends there.
	FirstContent() bool
	// Err is the error the stream itself reported (an `error` event), as a *StreamError;
	// nil if none.
	Err() error
}

// NewStream returns the stream parser of k: KindAnthropic or KindOpenAI.
func NewStream(k Kind) (Stream, error) {
	switch k {
	case KindAnthropic:
		return NewAnthropicStream(), nil
	case KindOpenAI:
		return NewOpenAIStream(), nil
	}
	return nil, fmt.Errorf("usage source %s cannot read event streams: use anthropic or openai", k)
}

// StreamError is an error that a stream reported in-band, such as Anthropic's
// `event: error` with `overloaded_error`.
type StreamError struct {
	Type    string // the provider's error type: "overloaded_error", "server_error"
	Message string // the provider's message, shortened to maxErrorMessage bytes
}

func (e *StreamError) Error() string {
	typ := e.Type
	if typ == "" {
		typ = "unknown error"
	}
	if e.Message == "" {
		return "stream error: " + typ
	}
	return "stream error: " + typ + ": " + e.Message
}

// maxErrorMessage bounds a provider's error message kept in a StreamError.
const maxErrorMessage = 512

func newStreamError(typ, msg string) *StreamError {
	if len(msg) > maxErrorMessage {
		msg = msg[:maxErrorMessage] + "..."
	}
	if len(typ) > maxErrorMessage {
		typ = typ[:maxErrorMessage] + "..."
	}
	return &StreamError{Type: typ, Message: msg}
}

// NewAnthropicStream returns a Stream for Anthropic's Messages event stream. Input buckets
// come from message_start's message.usage; output is the last message_delta's cumulative
// usage.output_tokens (message_start's own output count until then); a later usage count of
// any bucket replaces an earlier one. The report is Complete after message_stop. ping
// events may come anywhere; unknown events are ignored.
func NewAnthropicStream() Stream { return &anthropicStream{} }

type anthropicStream struct {
	rep     Report
	first   bool // a content_block_delta was seen
	stopped bool // message_stop was seen
	err     *StreamError
}

// Anthropic's event types.
const (
	evMessageStart      = "message_start"
	evMessageDelta      = "message_delta"
	evMessageStop       = "message_stop"
	evContentBlockStart = "content_block_start"
	evContentBlockDelta = "content_block_delta"
	evContentBlockStop  = "content_block_stop"
	evPing              = "ping"
	evError             = "error"
)

// Add dispatches on the SSE event type, which Anthropic always sends and which equals the
// data's "type". Token events (content_block_delta) are therefore counted without looking
// at their data at all; only the few events that carry usage are decoded. When a proxy
// strips the `event:` lines (type "message"), the type is read from the data: by a prefix
// check when "type" is its first member, as Anthropic writes it, or else by decoding just
// that member.
func (s *anthropicStream) Add(ev sse.Event) error {
	typ := ev.Type
	if typ == "message" || typ == "" {
		var err error
		if typ, err = sniffType(ev.Data); err != nil {
			return fmt.Errorf("anthropic stream: %w", err)
		}
	}
	switch typ {
	case evContentBlockDelta:
		s.first = true
	case evPing, evContentBlockStart, evContentBlockStop:
	case evMessageStart:
		var m struct {
			Message *struct {
				Model json.RawMessage `json:"model"`
				Usage map[string]any  `json:"usage"`
			} `json:"message"`
		}
		if err := decodeJSON(ev.Data, &m); err != nil {
			return fmt.Errorf("anthropic stream: decode message_start: %w", err)
		}
		if m.Message == nil {
			return nil
		}
		var model string
		if json.Unmarshal(m.Message.Model, &model) == nil {
			s.rep.Model = model
		}
		return s.apply(m.Message.Usage, evMessageStart)
	case evMessageDelta:
		var m struct {
			Usage map[string]any `json:"usage"`
		}
		if err := decodeJSON(ev.Data, &m); err != nil {
			return fmt.Errorf("anthropic stream: decode message_delta: %w", err)
		}
		return s.apply(m.Usage, evMessageDelta)
	case evMessageStop:
		s.stopped = true
		s.rep.Complete = s.rep.Found
	case evError:
		var m struct {
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			s.err = newStreamError("", "")
			return fmt.Errorf("anthropic stream: decode error event: %w", err)
		}
		s.err = newStreamError(m.Error.Type, m.Error.Message)
	}
	return nil
}

func (s *anthropicStream) apply(u map[string]any, event string) error {
	if u == nil {
		return nil
	}
	next := s.rep.Usage
	seen, err := applyAnthropic(&next, u)
	if err != nil {
		return fmt.Errorf("anthropic stream: %s: %w", event, err)
	}
	s.rep.Usage = next
	if seen != 0 {
		s.rep.Found = true
		s.rep.Complete = s.stopped
	}
	return nil
}

func (s *anthropicStream) Report() Report     { return s.rep }
func (s *anthropicStream) FirstContent() bool { return s.first }

func (s *anthropicStream) Err() error {
	if s.err == nil {
		return nil // not a typed nil in the interface
	}
	return s.err
}

// typePrefix is how Anthropic begins every event's data.
var typePrefix = []byte(`{"type":"`)

// sniffType returns the top-level "type" member of an event's data.
func sniffType(data []byte) (string, error) {
	if bytes.HasPrefix(data, typePrefix) {
		rest := data[len(typePrefix):]
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			// "type" is the object's first member, so it is the top-level one.
			switch t := rest[:i]; string(t) { // no allocation for the common types
			case evContentBlockDelta:
				return evContentBlockDelta, nil
			case evPing:
				return evPing, nil
			default:
				return string(t), nil
			}
		}
	}
	var m struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("decode event type: %w", err)
	}
	return m.Type, nil
}

// usageObject finds the `usage` object and the `model` of a decoded response body; ok is false
// when the body has no usage object (the Report then holds only the model, if any).
func usageObject(v any) (rep Report, u map[string]any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap {
		return Report{}, nil, false
	}
	rep.Model, _ = m["model"].(string)
	u, ok = m["usage"].(map[string]any)
	return rep, u, ok
}
