package usage

import (
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
)

// The service tier a response was served at prices it: every Anthropic and OpenAI reader
// reports it, canonical ("" for the standard tier).
func TestServiceTier(t *testing.T) {
	stream := func(s Stream, events ...sse.Event) Report {
		t.Helper()
		for _, ev := range events {
			if err := s.Add(ev); err != nil {
				t.Fatal(err)
			}
		}
		return s.Report()
	}
	body := func(rep Report, err error) Report {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	tests := []struct {
		name string
		rep  Report
		want string
	}{
		{"anthropic body, priority", body(Anthropic([]byte(`{"usage": {"input_tokens": 5, "output_tokens": 7, "service_tier": "priority"}}`))), "priority"},
		{"anthropic body, standard", body(Anthropic([]byte(`{"usage": {"input_tokens": 5, "output_tokens": 7, "service_tier": "standard"}}`))), ""},
		{"anthropic body, batch", body(Anthropic([]byte(`{"usage": {"input_tokens": 5, "output_tokens": 7, "service_tier": "batch"}}`))), "batch"},
		{"openai body, flex", body(OpenAI([]byte(`{"service_tier": "flex", "usage": {"prompt_tokens": 5, "completion_tokens": 7}}`))), "flex"},
		{"openai body, default", body(OpenAI([]byte(`{"service_tier": "default", "usage": {"prompt_tokens": 5, "completion_tokens": 7}}`))), ""},
		{"anthropic stream: message_start's tier outlives message_delta", stream(NewAnthropicStream(),
			sse.Event{Type: "message_start", Data: []byte(`{"type":"message_start","message":{"model":"m","usage":{"input_tokens":5,"output_tokens":1,"service_tier":"priority"}}}`)},
			sse.Event{Type: "message_delta", Data: []byte(`{"type":"message_delta","usage":{"output_tokens":7}}`)},
			sse.Event{Type: "message_stop", Data: []byte(`{"type":"message_stop"}`)}), "priority"},
		{"openai stream: the chunks' tier", stream(NewOpenAIStream(),
			sse.Event{Data: []byte(`{"model":"m","service_tier":"priority","choices":[{"delta":{"content":"hi"}}]}`)},
			sse.Event{Data: []byte(`{"model":"m","service_tier":"priority","choices":[{"delta":{"content":" there"}}]}`)},
			sse.Event{Data: []byte(`{"model":"m","service_tier":"priority","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7}}`)},
			sse.Event{Data: []byte(`[DONE]`)}), "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.rep.Found || tt.rep.Usage.ServiceTier != tt.want {
				t.Errorf("Found %v, ServiceTier %q; want %q", tt.rep.Found, tt.rep.Usage.ServiceTier, tt.want)
			}
		})
	}
}
