package executor

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

const bigPlan = `version: 1
name: big
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
tasks:
  big:
    request: {method: POST, path: /big, json: {message: "PROMPT", max_tokens: 100}}
    check: {json: {$.pad: exists}}
    expect: {input_tokens: 10, output_tokens: 20, max_input_tokens: 100}
  big_usage:
    request: {method: POST, path: /big, json: {message: "PROMPT", max_tokens: 100}}
    expect: {input_tokens: 10, output_tokens: 20, max_input_tokens: 100}
  stream:
    request: {method: POST, path: /stream, json: {message: "PROMPT", max_tokens: 100}, stream: true}
    expect: {input_tokens: 10, output_tokens: 20, max_input_tokens: 100}
scenarios:
  s: {users: 5000, duration: 1s}
`

// TestSmallConnectionBuffers: with the small per-connection buffers of a run of many users,
// a long header line, a large request body, a large JSON body and a large SSE line still go
// through whole, and their usage is read.
func TestSmallConnectionBuffers(t *testing.T) {
	t.Parallel()
	longHeader := strings.Repeat("h", 3*smallConnBuffer)
	pad := strings.Repeat("p", 300<<10)
	prompt := strings.Repeat("q", 10*smallConnBuffer)
	mux := http.NewServeMux()
	checkBody := func(w http.ResponseWriter, r *http.Request) bool {
		b, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(b), prompt) {
			http.Error(w, fmt.Sprintf("request body of %d bytes", len(b)), 400)
			return false
		}
		return true
	}
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		if !checkBody(w, r) {
			return
		}
		w.Header().Set("X-Long", longHeader)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"pad":"%s","usage":{"input_tokens":10,"output_tokens":20}}`, pad)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		if !checkBody(w, r) {
			return
		}
		w.Header().Set("X-Long", longHeader)
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", messageStart)
		sseEvent(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`+pad+`"}}`)
		sseEvent(w, "message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":20}}`)
		sseEvent(w, "message_stop", `{"type":"message_stop"}`)
	})
	url := server(t, mux).URL
	p := parsePlan(t, strings.ReplaceAll(bigPlan, "PROMPT", prompt), url, nil)
	r := testRunner(t, config(t, p, "s", url, nil))
	tr := r.client.Transport.(*http.Transport)
	if tr.ReadBufferSize != smallConnBuffer || tr.WriteBufferSize != smallConnBuffer {
		t.Fatalf("5,000 users: buffers %d/%d, want %d", tr.ReadBufferSize, tr.WriteBufferSize, smallConnBuffer)
	}
	if r.connBuf != smallConnBuffer {
		t.Fatalf("5,000 users: a user's connection has a %d-byte buffer, want %d", r.connBuf, smallConnBuffer)
	}
	u := r.newUser(1, 0)
	defer u.close()
	if u.conn == nil {
		t.Fatal("the user has no connection of its own")
	}
	for _, tk := range r.tasks {
		s := tk.steps[0]
		for range 3 {
			if !r.runStep(u, s) {
				t.Fatalf("%s failed: %v", tk.name, r.stats.failureList())
			}
		}
		s.stat.mu.Lock()
		tok, size := s.stat.tokens, s.stat.bytes
		s.stat.mu.Unlock()
		if tok.Input != 30 || tok.Output != 60 || size < 3*int64(len(pad)) {
			t.Errorf("%s: tokens %+v, %d bytes read", tk.name, tok, size)
		}
	}
	small := testRunner(t, config(t, parsePlan(t, strings.Replace(bigPlan, "users: 5000", "users: 50", 1), url, nil), "s", url, nil))
	if tr := small.client.Transport.(*http.Transport); tr.ReadBufferSize != 0 || tr.WriteBufferSize != 0 {
		t.Errorf("50 users: buffers %d/%d, want net/http's default", tr.ReadBufferSize, tr.WriteBufferSize)
	}
}
