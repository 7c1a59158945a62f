package mock

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

// anthropicUsage is Anthropic's usage object.
type anthropicUsage struct {
	InputTokens              int64         `json:"input_tokens"`
	CacheCreationInputTokens int64         `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64         `json:"cache_read_input_tokens"`
	CacheCreation            cacheCreation `json:"cache_creation"`
	OutputTokens             int64         `json:"output_tokens"`
	ServiceTier              string        `json:"service_tier,omitempty"`
}

type cacheCreation struct {
	Ephemeral5m int64 `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h int64 `json:"ephemeral_1h_input_tokens"`
}

func anthropicUsageOf(u pricing.Usage) anthropicUsage {
	return anthropicUsage{
		InputTokens:              u.Input,
		CacheCreationInputTokens: u.CacheWrite(),
		CacheReadInputTokens:     u.CacheRead,
		CacheCreation:            cacheCreation{Ephemeral5m: u.CacheWrite5m, Ephemeral1h: u.CacheWrite1h},
		OutputTokens:             u.Output,
		ServiceTier:              anthropicTier(u.ServiceTier),
	}
}

type anthropicRequest struct {
	Model       string             `json:"model"`
	MaxTokens   *int64             `json:"max_tokens"`
	System      json.RawMessage    `json:"system"`
	Messages    []anthropicMessage `json:"messages"`
	Stream      bool               `json:"stream"`
	ServiceTier string             `json:"service_tier"`
	Metadata    struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
}

type anthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type anthropicResponse struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []textBlock    `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        anthropicUsage `json:"usage"`
}

type messageStart struct {
	Type    string            `json:"type"`
	Message anthropicResponse `json:"message"`
}

// textChars counts the characters of a message content or system prompt: a string, or a list
// of blocks whose "text" (or nested "content", as in tool results) counts.
func textChars(raw json.RawMessage) int64 {
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return int64(utf8.RuneCountInString(s))
		}
	case '[':
		var blocks []struct {
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(raw, &blocks) == nil {
			n := int64(0)
			for _, b := range blocks {
				n += int64(utf8.RuneCountInString(b.Text)) + textChars(b.Content)
			}
			return n
		}
	}
	return 0
}

// promptTokens is the request's own input at one token per 4 characters, rounded up.
func promptTokens(chars int64) int64 { return (chars + 3) / 4 }

// handleMessages is Anthropic's POST /v1/messages, plain or streamed.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	ep := s.eps[PathMessages]
	c := s.begin(w, r, ep, flavorAnthropic)
	defer c.finish()
	if !c.admit() {
		return
	}
	var req anthropicRequest
	if !c.decodeBody(&req) {
		return
	}
	if len(req.Messages) == 0 {
		c.badRequest("messages: at least one message is required")
		return
	}
	maxTokens := int64(0)
	if req.MaxTokens != nil {
		if maxTokens = *req.MaxTokens; maxTokens < 1 {
			c.badRequest("max_tokens: must be at least 1")
			return
		}
	}
	model := req.Model
	if model == "" {
		model = s.model
	}
	if _, err := s.price(model); err != nil {
		c.fail(http.StatusNotFound, "not_found_error", "model: "+model, "model_not_found")
		return
	}
	chars := textChars(req.System)
	for _, m := range req.Messages {
		chars += textChars(m.Content)
	}
	prompt, ok := c.inputOverride(promptTokens(chars))
	if !ok {
		return
	}
	c.pickTier(req.ServiceTier)
	if limit := ep.cfg.MaxInputTokens; limit > 0 && prompt+ep.cfg.CacheableTokens > limit {
		c.badRequest("prompt is too long: " + strconv.FormatInt(prompt+ep.cfg.CacheableTokens, 10) +
			" tokens > " + strconv.FormatInt(limit, 10) + " maximum")
		return
	}
	key := r.Header.Get(UserHeader)
	if key == "" {
		key = req.Metadata.UserID
	}
	c.seed(key)
	p := c.drawPlan(prompt, maxTokens, false, req.Stream)
	id := randomID(c.rng, "msg_01", 22)
	if !c.limitRate(p.usage) {
		return
	}
	if c.preOutputFault(p) {
		return
	}
	c.model = model
	if req.Stream {
		c.streamAnthropic(p, id, model)
		return
	}
	if !c.sleep(p.latency) {
		c.gone()
		return
	}
	resp := anthropicResponse{ID: id, Type: "message", Role: "assistant", Model: model,
		Content: []textBlock{{Type: "text", Text: p.reply.text()}}, StopReason: new(stopReason(p)),
		Usage: anthropicUsageOf(p.usage)}
	b, _ := json.Marshal(resp)
	c.writeBilled(p, b)
}

func stopReason(p *plan) string {
	if p.clipped {
		return "max_tokens"
	}
	return "end_turn"
}

// streamAnthropic writes the answer as Anthropic's event stream, as in the reference
// transcript: message_start (input usage), content_block_start, ping, content_block_delta ×N,
// content_block_stop, message_delta (cumulative output usage), message_stop. The input is
// billed from message_start on; each delta's tokens when it is sent.
func (c *call) streamAnthropic(p *plan, id, model string) {
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	c.status = "200"
	c.w.WriteHeader(http.StatusOK)
	sw := newStreamWriter(c)
	in := p.usage
	in.Output = 0
	c.billed = in
	start := anthropicUsageOf(in)
	if in.ServiceTier == "" {
		start.ServiceTier = "" // as in the reference transcript; another tier is said
	}
	start.OutputTokens = min(1, p.usage.Output)
	msg, _ := json.Marshal(messageStart{Type: "message_start", Message: anthropicResponse{
		ID: id, Type: "message", Role: "assistant", Model: model, Content: []textBlock{}, Usage: start}})
	sw.event("message_start", c.editUsage(msg, "message", "usage"))
	sw.event("content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`))
	sw.event("ping", []byte(`{"type": "ping"}`))
	if !sw.flush() || !c.sleep(p.ttft+c.delayBefore(p, 0)) {
		c.gone()
		return
	}
	from := 0
	for i := 0; i <= len(p.bounds); i++ {
		if i > 0 && i < len(p.bounds) && !c.sleep(c.delayBefore(p, i)) {
			c.gone()
			return
		}
		if i == p.cutAt {
			switch p.fault {
			case faultStreamCut:
				c.cut()
			case faultStreamError:
				sw.event("error", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
				sw.flush()
				return
			}
		}
		if i == len(p.bounds) {
			break
		}
		to := p.bounds[i]
		b := append(sw.buf[:0], `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`...)
		b = appendJSONString(b, p.reply.part(from, to))
		b = append(b, "}}"...)
		sw.buf = b
		c.billed.Output += int64(to - from)
		from = to
		sw.event("content_block_delta", b)
		if !sw.flush() {
			c.gone()
			return
		}
	}
	sw.event("content_block_stop", []byte(`{"type":"content_block_stop","index":0}`))
	b := append(sw.buf[:0], `{"type":"message_delta","delta":{"stop_reason":"`...)
	b = append(b, stopReason(p)...)
	b = append(b, `","stop_sequence":null},"usage":{"output_tokens":`...)
	b = strconv.AppendInt(b, p.usage.Output, 10)
	b = append(b, "}}"...)
	sw.event("message_delta", c.editUsage(b, "usage"))
	sw.event("message_stop", []byte(`{"type":"message_stop"}`))
	if !sw.flush() {
		c.gone()
	}
}

// delayBefore is the wait before delta i (i > 0), plus a slow body's pause in the middle of
// the stream (before the first delta of a one-delta stream).
func (c *call) delayBefore(p *plan, i int) time.Duration {
	d := time.Duration(0)
	if i > 0 {
		d = p.interval()
	}
	if p.fault == faultSlowBody && i == len(p.bounds)/2 {
		d += c.s.scale(c.ep.faults.SlowBodyDelay)
	}
	return d
}

// streamWriter writes events and remembers the first write error (the client went away).
type streamWriter struct {
	enc *sse.Encoder
	rc  *http.ResponseController
	buf []byte
	err error
}

func newStreamWriter(c *call) *streamWriter {
	return &streamWriter{enc: sse.NewEncoder(c.w), rc: http.NewResponseController(c.w)}
}

func (sw *streamWriter) event(typ string, data []byte) {
	if sw.err == nil {
		sw.err = sw.enc.Encode(typ, data)
	}
}

func (sw *streamWriter) flush() bool {
	if sw.err == nil {
		sw.err = sw.rc.Flush()
	}
	return sw.err == nil
}
