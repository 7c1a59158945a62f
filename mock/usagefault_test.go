package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
)

// post sends body to path with the headers given and returns the response body (a stream's
// events' data, one per line).
func post(t *testing.T, base, path, body string, header map[string]string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var out bytes.Buffer
	dec := sse.NewDecoder(resp.Body)
	for dec.Next() {
		out.Write(dec.Event().Data)
		out.WriteByte('\n')
	}
	if err := dec.Err(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// usageMember decodes the usage object at path in a JSON object ("usage", or "message.usage").
func usageMember(t *testing.T, data []byte, path ...string) (map[string]any, bool) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	for _, k := range path[:len(path)-1] {
		v, _ = v[k].(map[string]any)
	}
	u, ok := v[path[len(path)-1]]
	m, _ := u.(map[string]any)
	return m, ok
}

// TestUsageFaults: the mock leaves out, or nulls, the usage members it is told to, in bodies
// and streams of both providers and of the service endpoints, by configuration or per request,
// and bills what it generated all the same.
func TestUsageFaults(t *testing.T) {
	t.Parallel()
	cfg, _ := Profile("default")
	cfg.TimeScale = 0
	cfg.UsageFaults = UsageFaults{Omit: []string{"output_tokens", "completion_tokens"}}
	s, base := newTestServer(t, cfg)

	chat := post(t, base, PathChatMessage, `{"message":"hi"}`, nil)
	u, _ := usageMember(t, chat, "usage")
	if _, has := u["output_tokens"]; has || u["input_tokens"] == nil {
		t.Errorf("chat usage %v: want input_tokens without output_tokens", u)
	}
	if led := s.Ledger().Snapshot(); led.Tokens.Output == 0 {
		t.Errorf("ledger %+v: the output generated is billed", led.Tokens)
	}

	// Per request: the headers replace the configuration.
	hdr := map[string]string{UsageNullHeader: "input_tokens", UsageOmitHeader: "cache_creation.ephemeral_1h_input_tokens"}
	msg := post(t, base, PathMessages, `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`, hdr)
	u, _ = usageMember(t, msg, "usage")
	if v, has := u["input_tokens"]; !has || v != nil || u["output_tokens"] == nil {
		t.Errorf("messages usage %v: want input_tokens null, output_tokens kept", u)
	}
	if cc, _ := u["cache_creation"].(map[string]any); cc == nil || cc["ephemeral_1h_input_tokens"] != nil || cc["ephemeral_5m_input_tokens"] == nil {
		t.Errorf("messages cache_creation %v: want the 1-hour count left out", u["cache_creation"])
	}
	oa := post(t, base, PathCompletions, `{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`, map[string]string{UsageOmitHeader: "usage"})
	if _, has := usageMember(t, oa, "usage"); has {
		t.Errorf("completions body %s: want no usage", oa)
	}

	// Streams: message_start and message_delta (Anthropic), the usage chunk (OpenAI).
	lines := strings.Split(strings.TrimSpace(string(post(t, base, PathChatStream, `{"message":"hi"}`, nil))), "\n")
	start, _ := usageMember(t, []byte(lines[0]), "message", "usage")
	var delta map[string]any
	for _, l := range lines {
		if strings.Contains(l, `"message_delta"`) {
			delta, _ = usageMember(t, []byte(l), "usage")
		}
	}
	if _, has := start["output_tokens"]; has || start["input_tokens"] == nil || delta == nil {
		t.Errorf("stream: message_start usage %v, message_delta usage %v", start, delta)
	}
	if _, has := delta["output_tokens"]; has {
		t.Errorf("message_delta usage %v: want no output_tokens", delta)
	}
	stream := post(t, base, PathCompletions, `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, nil)
	found := false
	for _, l := range strings.Split(strings.TrimSpace(string(stream)), "\n") {
		if l == "[DONE]" {
			break
		}
		if u, _ := usageMember(t, []byte(l), "usage"); u != nil {
			found = true
			if _, has := u["completion_tokens"]; has || u["prompt_tokens"] == nil {
				t.Errorf("usage chunk %v: want prompt_tokens without completion_tokens", u)
			}
		}
	}
	if !found {
		t.Errorf("no usage chunk in %s", stream)
	}
}

func TestUsageFaultsConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mock.yaml")
	if err := os.WriteFile(path, []byte("usage_faults: {omit: [output_tokens], null: [usage]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.UsageFaults; len(got.Omit) != 1 || got.Omit[0] != "output_tokens" || len(got.Null) != 1 || got.Null[0] != "usage" {
		t.Errorf("usage_faults %+v", got)
	}
	for src, want := range map[string]string{
		"usage_faults: {null: output_tokens}\n":       "1:22: usage_faults.null: want a list",
		"usage_faults: {omit: [\"output tokens\"]}\n": `usage_faults.omit: "output tokens" is not a usage member`,
	} {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
		}
	}
}
