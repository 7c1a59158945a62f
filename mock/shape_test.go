package mock

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
)

// referenceEvents returns the event types of a reference transcript, with runs of
// content_block_delta (and of OpenAI content chunks) collapsed to one.
func referenceEvents(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reference", name))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	dec := sse.NewDecoder(bytes.NewReader(b))
	for dec.Next() {
		types = append(types, eventKind(dec.Event()))
	}
	if dec.Err() != nil {
		t.Fatal(dec.Err())
	}
	return collapse(types)
}

// eventKind names an event: its type, or for OpenAI's data-only chunks what the chunk holds.
func eventKind(ev sse.Event) string {
	if ev.Type != "message" {
		return ev.Type
	}
	if string(ev.Data) == "[DONE]" {
		return "[DONE]"
	}
	var c struct {
		Choices []struct {
			Delta        map[string]any `json:"delta"`
			FinishReason *string        `json:"finish_reason"`
		} `json:"choices"`
		Usage any `json:"usage"`
	}
	_ = json.Unmarshal(ev.Data, &c)
	switch {
	case len(c.Choices) == 0 && c.Usage != nil:
		return "usage"
	case len(c.Choices) == 0:
		return "other"
	case c.Choices[0].FinishReason != nil:
		return "finish"
	case c.Choices[0].Delta["role"] != nil:
		return "role"
	}
	return "content"
}

func collapse(types []string) []string {
	var out []string
	for _, t := range types {
		if len(out) > 0 && out[len(out)-1] == t && (t == "content_block_delta" || t == "content") {
			continue
		}
		out = append(out, t)
	}
	return out
}

// streamEvents sends a streaming request and returns its event kinds, collapsed.
func streamEvents(t *testing.T, url, path string, body any) ([]string, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%s: %s, Content-Type %q", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	var raw bytes.Buffer
	dec := sse.NewDecoder(io.TeeReader(resp.Body, &raw))
	var types []string
	for dec.Next() {
		types = append(types, eventKind(dec.Event()))
	}
	if dec.Err() != nil {
		t.Fatalf("%s: %v", path, dec.Err())
	}
	return collapse(types), raw.Bytes()
}

func TestStreamsFollowTheReferenceTranscripts(t *testing.T) {
	_, url := newTestServer(t, Config{Seed: 1})
	anthropic := referenceEvents(t, "anthropic-stream.sse")
	openai := referenceEvents(t, "openai-stream.sse")
	msgs := []map[string]any{{"role": "user", "content": "Which projects match my profile?"}}
	tests := []struct {
		name, path string
		body       any
		want       []string
	}{
		{"service stream", PathChatStream, map[string]any{"message": "hello", "session": "s1"}, anthropic},
		{"anthropic stream", PathMessages, map[string]any{"model": "claude-haiku-4-5", "max_tokens": 200,
			"stream": true, "messages": msgs}, anthropic},
		{"openai stream with usage", PathCompletions, map[string]any{"model": "gpt-4o-mini", "stream": true,
			"stream_options": map[string]any{"include_usage": true}, "messages": msgs}, openai},
		{"openai stream without usage", PathCompletions, map[string]any{"model": "gpt-4o-mini", "stream": true,
			"messages": msgs}, slices.DeleteFunc(slices.Clone(openai), func(s string) bool { return s == "usage" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, raw := streamEvents(t, url, tt.path, tt.body)
			if !slices.Equal(got, tt.want) {
				t.Errorf("events %v\nwant   %v\n%s", got, tt.want, raw)
			}
		})
	}
}

func TestStreamErrorEventLikeReference(t *testing.T) {
	_, url := newTestServer(t, Config{Seed: 1, Faults: Faults{StreamError: 1}})
	got, raw := streamEvents(t, url, PathMessages, map[string]any{"max_tokens": 100, "stream": true,
		"messages": []map[string]any{{"role": "user", "content": "hi"}}})
	// The reference has no content_block_start or ping; ours has them, as a real stream does
	// before its first delta. What matters: message_start first, deltas, then error last.
	want := []string{"message_start", "content_block_start", "ping", "content_block_delta", "error"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if !bytes.Contains(raw, []byte(`"type":"overloaded_error"`)) {
		t.Errorf("error event is not overloaded_error:\n%s", raw)
	}
	ref := referenceEvents(t, "anthropic-stream-error.sse")
	if ref[0] != got[0] || ref[len(ref)-1] != got[len(got)-1] {
		t.Errorf("reference %v and ours %v differ at the ends", ref, got)
	}
}

// fieldsOf returns the keys of a JSON object, sorted.
func fieldsOf(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	mustUnmarshal(t, b, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestJSONShapes(t *testing.T) {
	_, url := newTestServer(t, Config{Seed: 7})
	client := http.DefaultClient
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "reference", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	msgs := []map[string]any{{"role": "user", "content": "Validate this invoice."}}
	tests := []struct {
		name, path string
		body       any
		want       []string // top-level keys that must be there
		same       string   // a reference file whose keys (and usage keys) ours must have
	}{
		{"health", PathHealth, nil, []string{"status"}, ""},
		{"session", PathSession, map[string]any{"message": "open"}, []string{"session_id"}, ""},
		{"chat", PathChatMessage, map[string]any{"message": "hi", "session": "s"}, []string{"reply", "usage"}, ""},
		{"validate", PathDTEValidate, map[string]any{"message": "hi"}, []string{"valid", "usage"}, ""},
		{"match", PathProjects, map[string]any{"message": "hi"}, []string{"matches", "usage"}, ""},
		{"anthropic", PathMessages, map[string]any{"model": "claude-sonnet-4-5-20250929", "max_tokens": 300,
			"messages": msgs}, nil, "anthropic-message.json"},
		{"openai", PathCompletions, map[string]any{"model": "gpt-4o", "messages": msgs}, nil, "openai-chat.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := do(t, client, url, tt.path, tt.body, nil)
			if o.kind != "ok" {
				t.Fatalf("%s: %s %d %s", tt.path, o.kind, o.status, o.body)
			}
			keys := fieldsOf(t, o.body)
			for _, k := range tt.want {
				if !slices.Contains(keys, k) {
					t.Errorf("no %q in %s", k, o.body)
				}
			}
			if tt.same != "" {
				ref := read(tt.same)
				for _, k := range fieldsOf(t, ref) {
					if !slices.Contains(keys, k) {
						t.Errorf("no %q (reference has it) in %s", k, o.body)
					}
				}
				var a, b struct{ Usage json.RawMessage }
				mustUnmarshal(t, ref, &a)
				mustUnmarshal(t, o.body, &b)
				ours := fieldsOf(t, b.Usage)
				for _, k := range fieldsOf(t, a.Usage) {
					if !slices.Contains(ours, k) {
						t.Errorf("usage has no %q (reference has it): %s", k, b.Usage)
					}
				}
			}
			if tt.path != PathHealth && tt.path != PathSession {
				if o.reported.Output == 0 || o.reported.TotalInput() == 0 {
					t.Errorf("usage %+v", o.reported)
				}
				if got := int64(len(strings.Fields(o.text))); got != o.reported.Output {
					t.Errorf("text has %d words, usage says %d output tokens", got, o.reported.Output)
				}
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	_, url := newTestServer(t, Config{})
	msgs := []map[string]any{{"role": "user", "content": "hi"}}
	tests := []struct {
		name, method, path, body string
		status                   int
		errType                  string // error.type
	}{
		{"no message", "POST", PathChatMessage, `{"session":"s"}`, 400, "invalid_request_error"},
		{"message not a string", "POST", PathDTEValidate, `{"message":3}`, 400, "invalid_request_error"},
		{"not JSON", "POST", PathProjects, `hello`, 400, "invalid_request_error"},
		{"no message on the stream", "POST", PathChatStream, `{}`, 400, "invalid_request_error"},
		{"anthropic unknown model", "POST", PathMessages, mustJSON(map[string]any{"model": "claude-nonexistent-9",
			"max_tokens": 10, "messages": msgs}), 404, "not_found_error"},
		{"openai unknown model", "POST", PathCompletions, mustJSON(map[string]any{"model": "gpt-nonexistent",
			"messages": msgs}), 404, "invalid_request_error"},
		{"anthropic no messages", "POST", PathMessages, `{"model":"claude-sonnet-4-5","max_tokens":10}`, 400, "invalid_request_error"},
		{"anthropic max_tokens 0", "POST", PathMessages, mustJSON(map[string]any{"max_tokens": 0, "messages": msgs}), 400, "invalid_request_error"},
		{"openai too long", "POST", PathCompletions, mustJSON(map[string]any{"messages": []map[string]any{
			{"role": "user", "content": strings.Repeat("long prompt ", 50000)}}}), 400, "invalid_request_error"},
		{"GET on a POST endpoint", "GET", PathChatMessage, "", 405, ""},
		{"unknown path", "GET", "/nope", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.errType == "" {
				return
			}
			var e struct {
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if e.Error.Type != tt.errType || e.Error.Message == "" {
				t.Errorf("error %+v, want type %s", e.Error, tt.errType)
			}
		})
	}
	// Nothing of that was billed.
	s := ledgerOf(t, url)
	if !s.Cost.IsZero() || s.Tokens != (Snapshot{}).Tokens {
		t.Errorf("bad requests billed %v, %+v", s.Cost, s.Tokens)
	}
	if s.Requests[PathMessages]["404"] != 1 || s.Requests[PathChatMessage]["400"] != 1 {
		t.Errorf("requests %v", s.Requests)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func ledgerOf(t *testing.T, url string) Snapshot {
	t.Helper()
	s, err := FetchLedger(t.Context(), http.DefaultClient, url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMaxTokensClipsOutput(t *testing.T) {
	_, url := newTestServer(t, Config{Seed: 3})
	msgs := []map[string]any{{"role": "user", "content": "hi"}}
	for i := range 20 {
		o := do(t, http.DefaultClient, url, PathMessages, map[string]any{"max_tokens": 5, "messages": msgs}, nil)
		if o.reported.Output > 5 || o.reported.Output < 1 {
			t.Fatalf("request %d: output %d with max_tokens 5", i, o.reported.Output)
		}
		if !bytes.Contains(o.body, []byte(`"stop_reason":"max_tokens"`)) && o.reported.Output == 5 {
			t.Errorf("clipped answer without stop_reason max_tokens: %s", o.body)
		}
		o = do(t, http.DefaultClient, url, PathCompletions, map[string]any{"max_completion_tokens": 7, "messages": msgs}, nil)
		if o.reported.Output > 7 {
			t.Fatalf("request %d: output %d with max_completion_tokens 7", i, o.reported.Output)
		}
		o = do(t, http.DefaultClient, url, PathChatMessage, map[string]any{"message": "x", "max_tokens": 9}, nil)
		if o.reported.Output > 9 {
			t.Fatalf("request %d: output %d with max_tokens 9", i, o.reported.Output)
		}
	}
}
