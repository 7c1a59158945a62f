package mock

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/pricing"
)

type openaiRequest struct {
	Model               string          `json:"model"`
	Messages            []openaiMessage `json:"messages"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	User        string `json:"user"`
	ServiceTier string `json:"service_tier"`
}

type openaiMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// openaiUsage is OpenAI's usage object; prompt_tokens includes the cached ones.
type openaiUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
		AudioTokens  int64 `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens          int64 `json:"reasoning_tokens"`
		AudioTokens              int64 `json:"audio_tokens"`
		AcceptedPredictionTokens int64 `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int64 `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

func openaiUsageOf(u pricing.Usage) openaiUsage {
	var o openaiUsage
	o.PromptTokens = u.TotalInput()
	o.CompletionTokens = u.Output
	o.TotalTokens = o.PromptTokens + o.CompletionTokens
	o.PromptTokensDetails.CachedTokens = u.CacheRead
	return o
}

type openaiResponse struct {
	ID          string         `json:"id"`
	Object      string         `json:"object"`
	Created     int64          `json:"created"`
	Model       string         `json:"model"`
	Choices     []openaiChoice `json:"choices"`
	Usage       openaiUsage    `json:"usage"`
	ServiceTier string         `json:"service_tier"`
}

type openaiChoice struct {
	Index   int `json:"index"`
	Message struct {
		Role    string  `json:"role"`
		Content string  `json:"content"`
		Refusal *string `json:"refusal"`
	} `json:"message"`
	Logprobs     *struct{} `json:"logprobs"`
	FinishReason string    `json:"finish_reason"`
}

func finishReason(p *plan) string {
	if p.clipped {
		return "length"
	}
	return "stop"
}

// handleCompletions is OpenAI's POST /v1/chat/completions, plain or streamed.
func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	ep := s.eps[PathCompletions]
	c := s.begin(w, r, ep, flavorOpenAI)
	defer c.finish()
	if !c.admit() {
		return
	}
	var req openaiRequest
	if !c.decodeBody(&req) {
		return
	}
	if len(req.Messages) == 0 {
		c.badRequest("messages: at least one message is required")
		return
	}
	maxTokens := int64(0)
	for _, m := range []*int64{req.MaxTokens, req.MaxCompletionTokens} {
		if m == nil {
			continue
		}
		if *m < 1 {
			c.badRequest("max_tokens: must be at least 1")
			return
		}
		maxTokens = *m // max_completion_tokens wins: it comes last
	}
	model := req.Model
	if model == "" {
		model = s.model
	}
	if _, err := s.price(model); err != nil {
		c.fail(http.StatusNotFound, "invalid_request_error",
			"The model `"+model+"` does not exist or you do not have access to it.", "model_not_found")
		return
	}
	chars := int64(0)
	for _, m := range req.Messages {
		chars += textChars(m.Content)
	}
	prompt, ok := c.inputOverride(promptTokens(chars))
	if !ok {
		return
	}
	c.pickTier(req.ServiceTier)
	if limit := ep.cfg.MaxInputTokens; limit > 0 && prompt+ep.cfg.CacheableTokens > limit {
		c.fail(http.StatusBadRequest, "invalid_request_error", "This model's maximum context length is "+
			strconv.FormatInt(limit, 10)+" tokens. However, your messages resulted in "+
			strconv.FormatInt(prompt+ep.cfg.CacheableTokens, 10)+" tokens.", "context_length_exceeded")
		return
	}
	key := r.Header.Get(UserHeader)
	if key == "" {
		key = req.User
	}
	c.seed(key)
	p := c.drawPlan(prompt, maxTokens, true, req.Stream)
	id := randomID(c.rng, "chatcmpl-", 29)
	if !c.limitRate(p.usage) {
		return
	}
	if c.preOutputFault(p) {
		return
	}
	c.model = model
	created := time.Now().Unix()
	if req.Stream {
		c.streamOpenAI(p, id, model, created, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	if !c.sleep(p.latency) {
		c.gone()
		return
	}
	resp := openaiResponse{ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: make([]openaiChoice, 1), Usage: openaiUsageOf(p.usage), ServiceTier: openaiTier(p.usage.ServiceTier)}
	resp.Choices[0].Message.Role = "assistant"
	resp.Choices[0].Message.Content = p.reply.text()
	resp.Choices[0].FinishReason = finishReason(p)
	b, _ := json.Marshal(resp)
	c.writeBilled(p, b)
}

// streamOpenAI writes the answer as OpenAI's chunk stream, as in the reference transcript:
// a role chunk, content chunks, a chunk with the finish reason, the usage chunk (empty
// choices) only when the request asked for it with stream_options.include_usage, then
// "data: [DONE]". The input is billed from the first byte on; each chunk's tokens when it is
// sent.
func (c *call) streamOpenAI(p *plan, id, model string, created int64, includeUsage bool) {
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	c.status = "200"
	c.w.WriteHeader(http.StatusOK)
	sw := newStreamWriter(c)
	in := p.usage
	in.Output = 0
	c.billed = in
	if !sw.flush() || !c.sleep(p.ttft+c.delayBefore(p, 0)) {
		c.gone()
		return
	}
	head := []byte(`{"id":`)
	head = appendJSONString(head, id)
	head = append(head, `,"object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, created, 10)
	head = append(head, `,"model":`...)
	head = appendJSONString(head, model)
	if t := p.usage.ServiceTier; t != "" { // as in the reference transcript; another tier is said
		head = append(head, `,"service_tier":`...)
		head = appendJSONString(head, t)
	}
	head = append(head, `,"choices":[`...)
	tail := "]}"
	if includeUsage {
		tail = `],"usage":null}`
	}
	chunk := func(choice string) []byte {
		b := append(append(sw.buf[:0], head...), choice...)
		sw.buf = append(b, tail...)
		return sw.buf
	}
	sw.event("", chunk(`{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`))
	from := 0
	var choice []byte
	for i := 0; i <= len(p.bounds); i++ {
		if i > 0 && i < len(p.bounds) && !c.sleep(c.delayBefore(p, i)) {
			c.gone()
			return
		}
		if i == p.cutAt {
			switch p.fault {
			case faultStreamCut:
				sw.flush()
				c.cut()
			case faultStreamError:
				sw.event("", []byte(`{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`))
				sw.flush()
				return
			}
		}
		if i == len(p.bounds) {
			break
		}
		to := p.bounds[i]
		choice = append(choice[:0], `{"index":0,"delta":{"content":`...)
		choice = appendJSONString(choice, p.reply.part(from, to))
		choice = append(choice, `},"logprobs":null,"finish_reason":null}`...)
		c.billed.Output += int64(to - from)
		from = to
		sw.event("", chunk(string(choice)))
		if !sw.flush() {
			c.gone()
			return
		}
	}
	sw.event("", chunk(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"`+finishReason(p)+`"}`))
	if includeUsage {
		u, _ := json.Marshal(openaiUsageOf(p.usage))
		b := append(sw.buf[:0], head...)
		b = append(b, `],"usage":`...)
		b = append(b, u...)
		sw.buf = append(b, '}')
		sw.event("", c.editUsage(sw.buf, "usage"))
	}
	sw.event("", []byte("[DONE]"))
	if !sw.flush() {
		c.gone()
	}
}
