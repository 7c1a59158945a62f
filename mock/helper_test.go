package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

// newTestServer starts cfg on loopback, closed with t.Cleanup.
func newTestServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// outcome is what a test client saw of one response.
type outcome struct {
	kind      string        // ok, http_error, reset, cut, error_event, invalid_json
	status    int           // 0 for a reset
	reported  pricing.Usage // the usage the response reported (complete answers)
	generated pricing.Usage // what it shows was generated: reported, or input + words sent
	model     string
	body      []byte
	events    []string // event types of a stream, in order ("message" for OpenAI's)
	text      string
}

// anthropicUsageJSON is the usage object as a client decodes it.
type anthropicUsageJSON struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreation            *struct {
		Ephemeral5m int64 `json:"ephemeral_5m_input_tokens"`
		Ephemeral1h int64 `json:"ephemeral_1h_input_tokens"`
	} `json:"cache_creation"`
	OutputTokens int64 `json:"output_tokens"`
}

func (a anthropicUsageJSON) usage(t testing.TB) pricing.Usage {
	t.Helper()
	u := pricing.Usage{Input: a.InputTokens, CacheRead: a.CacheReadInputTokens,
		CacheWrite5m: a.CacheCreationInputTokens, Output: a.OutputTokens}
	if a.CacheCreation != nil {
		if a.CacheCreation.Ephemeral5m+a.CacheCreation.Ephemeral1h != a.CacheCreationInputTokens {
			t.Errorf("cache_creation split %+v does not add up to %d", *a.CacheCreation, a.CacheCreationInputTokens)
		}
		u.CacheWrite5m, u.CacheWrite1h = a.CacheCreation.Ephemeral5m, a.CacheCreation.Ephemeral1h
	}
	return u
}

type openaiUsageJSON struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func (o openaiUsageJSON) usage(t testing.TB) pricing.Usage {
	t.Helper()
	if o.TotalTokens != o.PromptTokens+o.CompletionTokens {
		t.Errorf("total_tokens %d != %d + %d", o.TotalTokens, o.PromptTokens, o.CompletionTokens)
	}
	return pricing.Usage{Input: o.PromptTokens - o.PromptTokensDetails.CachedTokens,
		CacheRead: o.PromptTokensDetails.CachedTokens, Output: o.CompletionTokens}
}

// do sends a request and decodes the answer by the endpoint's shape.
func do(t testing.TB, client *http.Client, base, path string, body any, header http.Header) outcome {
	t.Helper()
	if m, ok := body.(map[string]any); ok && m == nil {
		body = nil
	}
	var rd io.Reader
	method := http.MethodGet
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return outcome{kind: "reset"}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK {
		o.kind = "http_error"
		o.body, _ = io.ReadAll(resp.Body)
		return o
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if path == PathCompletions {
			return decodeOpenAIStream(t, resp.Body, o)
		}
		return decodeAnthropicStream(t, resp.Body, o)
	}
	o.body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read body: %v", path, err)
	}
	o.kind = "ok"
	b := o.body
	if !json.Valid(b) {
		o.kind = "invalid_json"
		b = append(bytes.Clone(b), '}') // the mock drops the last byte
	}
	switch path {
	case PathHealth, PathSession:
	case PathCompletions:
		var r struct {
			Model   string          `json:"model"`
			Usage   openaiUsageJSON `json:"usage"`
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		mustUnmarshal(t, b, &r)
		o.reported, o.model, o.text = r.Usage.usage(t), r.Model, r.Choices[0].Message.Content
	default:
		var r struct {
			Model   string             `json:"model"`
			Usage   anthropicUsageJSON `json:"usage"`
			Reply   string             `json:"reply"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			Explanation string `json:"explanation"`
		}
		mustUnmarshal(t, b, &r)
		o.reported, o.model = r.Usage.usage(t), r.Model
		o.text = r.Reply + r.Explanation
		if len(r.Content) > 0 {
			o.text = r.Content[0].Text
		}
	}
	o.generated = o.reported
	return o
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func decodeAnthropicStream(t testing.TB, r io.Reader, o outcome) outcome {
	t.Helper()
	dec := sse.NewDecoder(r)
	var text strings.Builder
	var final int64 = -1
	for dec.Next() {
		ev := dec.Event()
		o.events = append(o.events, ev.Type)
		switch ev.Type {
		case "message_start":
			var m struct {
				Message struct {
					Model string             `json:"model"`
					Usage anthropicUsageJSON `json:"usage"`
				} `json:"message"`
			}
			mustUnmarshal(t, ev.Data, &m)
			o.generated = m.Message.Usage.usage(t)
			o.generated.Output = 0
			o.model = m.Message.Model
		case "content_block_delta":
			var d struct {
				Delta struct {
					Text string `json:"text"`
				} `json:"delta"`
			}
			mustUnmarshal(t, ev.Data, &d)
			text.WriteString(d.Delta.Text)
			o.generated.Output += int64(len(strings.Fields(d.Delta.Text)))
		case "message_delta":
			var d struct {
				Usage struct {
					OutputTokens int64 `json:"output_tokens"`
				} `json:"usage"`
			}
			mustUnmarshal(t, ev.Data, &d)
			final = d.Usage.OutputTokens
		case "error":
			o.kind = "error_event"
		}
	}
	o.text = text.String()
	switch {
	case dec.Err() != nil:
		o.kind = "cut"
	case o.kind == "error_event":
	case final < 0:
		t.Fatalf("stream ended without message_delta: %v", o.events)
	default:
		o.kind = "ok"
		o.reported = o.generated
		if final != o.generated.Output {
			t.Errorf("message_delta output_tokens %d, deltas held %d words", final, o.generated.Output)
		}
		o.reported.Output = final
	}
	return o
}

func decodeOpenAIStream(t testing.TB, r io.Reader, o outcome) outcome {
	t.Helper()
	dec := sse.NewDecoder(r)
	var text strings.Builder
	done := false
	var usage *openaiUsageJSON
	var input pricing.Usage
	for dec.Next() {
		ev := dec.Event()
		o.events = append(o.events, ev.Type)
		if string(ev.Data) == "[DONE]" {
			done = true
			continue
		}
		var c struct {
			Model   string `json:"model"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *openaiUsageJSON `json:"usage"`
			Error *struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		mustUnmarshal(t, ev.Data, &c)
		if c.Error != nil {
			o.kind = "error_event"
			continue
		}
		o.model = c.Model
		for _, ch := range c.Choices {
			text.WriteString(ch.Delta.Content)
			o.generated.Output += int64(len(strings.Fields(ch.Delta.Content)))
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	o.text = text.String()
	switch {
	case dec.Err() != nil:
		o.kind = "cut"
	case o.kind == "error_event":
	case !done:
		t.Fatalf("stream ended without [DONE]")
	default:
		o.kind = "ok"
		if usage != nil {
			o.reported = usage.usage(t)
			input = o.reported
			input.Output = 0
			if o.reported.Output != o.generated.Output {
				t.Errorf("usage completion_tokens %d, chunks held %d words", o.reported.Output, o.generated.Output)
			}
		}
	}
	// An OpenAI stream reports its input only in its usage chunk: a caller that needs the
	// input of a cut one replays the request on a fault-free twin (see TestLedger).
	o.generated.Input, o.generated.CacheRead = input.Input, input.CacheRead
	return o
}

var errNoMetric = errors.New("metric not found")

// metricValue returns the value of the sample line that starts with name (with its labels).
func metricValue(text, name string) (string, error) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v, nil
		}
	}
	return "", errNoMetric
}

// metricFloat is metricValue parsed: the client writes large counts with an exponent.
func metricFloat(text, name string) (float64, error) {
	v, err := metricValue(text, name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(v, 64)
}
