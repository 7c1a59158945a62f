package usage

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

func TestOpenAIReference(t *testing.T) {
	rep, err := OpenAI(readFile(t, "openai-chat.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Usage:    pricing.Usage{Input: 2006 - 1920, CacheRead: 1920, Output: 300},
		Found:    true,
		Complete: true,
		Model:    "gpt-4o-2024-08-06",
	}
	if rep != want {
		t.Errorf("OpenAI = %+v, want %+v", rep, want)
	}
}

func TestOpenAIBodies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Report
		wantErr string
	}{
		{
			name: "no details",
			body: `{"model":"gpt-4o-mini","usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}`,
			want: Report{Usage: pricing.Usage{Input: 9, Output: 12}, Found: true, Complete: true, Model: "gpt-4o-mini"},
		},
		{
			name: "null details",
			body: `{"usage":{"prompt_tokens":9,"completion_tokens":12,"prompt_tokens_details":null}}`,
			want: Report{Usage: pricing.Usage{Input: 9, Output: 12}, Found: true, Complete: true},
		},
		{
			name: "responses API names",
			body: `{"model":"gpt-5","usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":60},"output_tokens":7,"total_tokens":107}}`,
			want: Report{Usage: pricing.Usage{Input: 40, CacheRead: 60, Output: 7}, Found: true, Complete: true, Model: "gpt-5"},
		},
		{name: "no usage", body: `{"error":{"message":"Rate limit","type":"requests"}}`, want: Report{Missing: BucketInput | BucketOutput}},
		{name: "no completion_tokens", body: `{"usage":{"prompt_tokens":10}}`, want: Report{Usage: pricing.Usage{Input: 10}, Found: true, Missing: BucketOutput}},
		{name: "null completion_tokens", body: `{"usage":{"prompt_tokens":10,"completion_tokens":null}}`, want: Report{Usage: pricing.Usage{Input: 10}, Found: true, Missing: BucketOutput}},
		{
			// The cached count alone: the input is unknown (missing), not negative.
			name: "cached without prompt_tokens",
			body: `{"usage":{"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}}`,
			want: Report{Usage: pricing.Usage{CacheRead: 11, Output: 1}, Found: true, Missing: BucketInput},
		},
		{name: "not JSON", body: `{`, wantErr: "openai usage: decode body"},
		{
			name:    "cached exceeds prompt",
			body:    `{"usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}}`,
			wantErr: "usage.prompt_tokens_details.cached_tokens 11 exceeds prompt_tokens 10",
		},
		{name: "bad completion", body: `{"usage":{"prompt_tokens":10,"completion_tokens":true}}`, wantErr: "usage.completion_tokens: not an integer (got a boolean)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := OpenAI([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.want {
				t.Errorf("OpenAI = %+v, want %+v", rep, tt.want)
			}
		})
	}
}

func TestOpenAIStreamReference(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run(fmt.Sprintf("slow=%v", slow), func(t *testing.T) {
			st := &openAIStream{slow: slow}
			addErr, decErr := feed(t, st, byteByByte(readFile(t, "openai-stream.sse")))
			if addErr != nil || decErr != nil {
				t.Fatalf("errors: add %v, decode %v", addErr, decErr)
			}
			want := Report{Usage: pricing.Usage{Input: 9, Output: 12}, Found: true, Complete: true, Model: "gpt-4o-mini"}
			if got := st.Report(); got != want {
				t.Errorf("Report = %+v, want %+v", got, want)
			}
			if !st.FirstContent() || st.Err() != nil || !st.done {
				t.Errorf("FirstContent %v, Err %v, done %v", st.FirstContent(), st.Err(), st.done)
			}
		})
	}
}

// TestOpenAIStreamIncremental checks FirstContent and Complete event by event: the first
// chunk's empty content is not content.
func TestOpenAIStreamIncremental(t *testing.T) {
	st := NewOpenAIStream()
	dec := sse.NewDecoder(bytes.NewReader(readFile(t, "openai-stream.sse")))
	var got []string
	for dec.Next() {
		if err := st.Add(dec.Event()); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%v/%v", st.FirstContent(), st.Report().Complete))
	}
	want := "false/false true/false true/false true/false true/true true/true"
	if strings.Join(got, " ") != want {
		t.Errorf("first/complete per event = %v, want %v", got, want)
	}
}

func openAIEvents(t testing.TB, chunks ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := sse.NewEncoder(&b)
	for _, c := range chunks {
		if err := enc.Encode("", []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestOpenAIStreamCases(t *testing.T) {
	const (
		role    = `{"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}`
		content = `{"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}`
		usage   = `{"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}}`
	)
	const none = BucketInput | BucketOutput // nothing reported
	tests := []struct {
		name      string
		chunks    []string
		want      Report
		wantFirst bool
		wantErr   string // of Err
		addErr    string
	}{
		{
			name:   "cached tokens",
			chunks: []string{role, content, content, usage, "[DONE]"},
			want:   Report{Usage: pricing.Usage{Input: 86, CacheRead: 1920, Output: 300}, Found: true, Complete: true, Model: "gpt-4o"}, wantFirst: true,
		},
		{
			name:   "usage chunk without completion_tokens",
			chunks: []string{role, content, `{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":null}}`, "[DONE]"},
			want:   Report{Usage: pricing.Usage{Input: 5}, Found: true, Missing: BucketOutput, Model: "gpt-4o"}, wantFirst: true,
		},
		{
			name:   "a repeated usage chunk that says less is charged at the highest",
			chunks: []string{content, usage, `{"choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":120,"prompt_tokens_details":{"cached_tokens":1920}}}`, "[DONE]"},
			want:   Report{Usage: pricing.Usage{Input: 86, CacheRead: 1920, Output: 300}, Found: true, Complete: true, Model: "gpt-4o"}, wantFirst: true,
		},
		{
			name:   "without include_usage",
			chunks: []string{role, content, "[DONE]"},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true,
		},
		{
			name:   "cut before the usage chunk",
			chunks: []string{role, content},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true,
		},
		{
			name:   "usage key spaced, after first content",
			chunks: []string{content, `{"choices": [], "usage" : {"prompt_tokens": 5, "completion_tokens": 6}}`},
			want:   Report{Usage: pricing.Usage{Input: 5, Output: 6}, Found: true, Complete: true, Model: "gpt-4o"}, wantFirst: true,
		},
		{
			name:   "usage key with escapes",
			chunks: []string{content, `{"choices":[],"\u0075sage":{"prompt_tokens":5,"completion_tokens":6}}`},
			want:   Report{Usage: pricing.Usage{Input: 5, Output: 6}, Found: true, Complete: true, Model: "gpt-4o"}, wantFirst: true,
		},
		{
			name:   "content that mentions usage",
			chunks: []string{content, `{"choices":[{"delta":{"content":"the \"usage\": null"}}],"usage":null}`},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true,
		},
		{
			name:   "tool call is content",
			chunks: []string{`{"model":"m","choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}`},
			want:   Report{Model: "m", Missing: none}, wantFirst: true,
		},
		{
			name:   "events after DONE are ignored",
			chunks: []string{content, "[DONE]", usage},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true,
		},
		{
			name:   "in-band error",
			chunks: []string{content, `{"error":{"message":"The server had an error","type":"server_error","code":null}}`},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true, wantErr: "stream error: server_error: The server had an error",
		},
		{
			name:   "in-band error with a numeric code",
			chunks: []string{content, `{"error":{"message":"busy","code":503}}`},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true, wantErr: "stream error: 503: busy",
		},
		{
			name:   "undecodable chunk",
			chunks: []string{`{"choices":`},
			want:   Report{Missing: none},
			addErr: "openai stream: decode chunk",
		},
		{
			name:   "bad usage",
			chunks: []string{content, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":3}}}`},
			want:   Report{Model: "gpt-4o", Missing: none}, wantFirst: true,
			addErr: "openai stream: usage.prompt_tokens_details.cached_tokens 3 exceeds prompt_tokens 1",
		},
	}
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/slow=%v", tt.name, slow), func(t *testing.T) {
				st := &openAIStream{slow: slow}
				addErr, decErr := feed(t, st, byteByByte(openAIEvents(t, tt.chunks...)))
				if decErr != nil {
					t.Fatal(decErr)
				}
				if tt.addErr == "" && addErr != nil || tt.addErr != "" && (addErr == nil || !strings.Contains(addErr.Error(), tt.addErr)) {
					t.Fatalf("Add error = %v, want %q", addErr, tt.addErr)
				}
				if got := st.Report(); got != tt.want {
					t.Errorf("Report = %+v, want %+v", got, tt.want)
				}
				if st.FirstContent() != tt.wantFirst {
					t.Errorf("FirstContent = %v", st.FirstContent())
				}
				if tt.wantErr == "" && st.Err() != nil || tt.wantErr != "" && (st.Err() == nil || st.Err().Error() != tt.wantErr) {
					t.Errorf("Err = %v, want %q", st.Err(), tt.wantErr)
				}
				var se *StreamError
				if tt.wantErr != "" && !errors.As(st.Err(), &se) {
					t.Errorf("Err is %T, not *StreamError", st.Err())
				}
			})
		}
	}
}

func TestSkipChunk(t *testing.T) {
	tests := []struct {
		data string
		skip bool
	}{
		{`{"choices":[{"delta":{"content":"x"}}]}`, true},
		{`{"choices":[{"delta":{"content":"x"}}],"usage":null}`, true},
		{`{"choices":[{"delta":{"content":"x"}}], "usage" :  null }`, true},
		{`{"choices":[],"usage":{"prompt_tokens":1}}`, false},
		{`{"usage":null,"x":{"usage":{}}}`, false},
		{`{"error":{"message":"x"}}`, false},
		{`{"choices":[{"delta":{"content":"error: usage"}}]}`, true},
		{`{"choices":[{"delta":{"content":"\"usage\": 5"}}]}`, true},
		{`{"choices":[{"delta":{"content":"\u00e9"}}]}`, false},
	}
	for _, tt := range tests {
		if got := skipChunk([]byte(tt.data)); got != tt.skip {
			t.Errorf("skipChunk(%s) = %v, want %v", tt.data, got, tt.skip)
		}
	}
}

func BenchmarkOpenAIStream(b *testing.B) {
	var evs []sse.Event
	evs = append(evs, sse.Event{Type: "message", Data: []byte(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`)})
	for range 500 {
		evs = append(evs, sse.Event{Type: "message", Data: []byte(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" some words"},"finish_reason":null}],"usage":null}`)})
	}
	evs = append(evs,
		sse.Event{Type: "message", Data: []byte(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":500,"total_tokens":509,"prompt_tokens_details":{"cached_tokens":0}}}`)},
		sse.Event{Type: "message", Data: []byte(`[DONE]`)},
	)
	for _, slow := range []bool{false, true} {
		b.Run(fmt.Sprintf("slow=%v", slow), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				st := &openAIStream{slow: slow}
				for _, ev := range evs {
					if err := st.Add(ev); err != nil {
						b.Fatal(err)
					}
				}
				if !st.Report().Complete {
					b.Fatal("not complete")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
	}
}

// FuzzOpenAIStream checks that the skip of uninteresting chunks never changes the outcome:
// the fast stream and one that decodes every chunk must agree whenever the slow one met no
// malformed chunk (the fast one need not notice malformed chunks it skips).
func FuzzOpenAIStream(f *testing.F) {
	f.Add(readFile(f, "openai-stream.sse"))
	f.Add(openAIEvents(f, `{"model":"m","choices":[{"delta":{"content":"a"}}],"usage":null}`,
		`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":1}}}`, "[DONE]"))
	f.Add(openAIEvents(f, `{"model":"m","choices":[{"delta":{"content":"a"}}]}`, `{"error":{"message":"x","type":"t"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		usageBudget.Check(t, len(data), func() {
			fast, slow := &openAIStream{}, &openAIStream{slow: true}
			var slowErr error
			dec := sse.NewDecoder(bytes.NewReader(data))
			for dec.Next() {
				ev := dec.Event()
				_ = fast.Add(ev)
				if err := slow.Add(ev); err != nil {
					slowErr = err
				}
				checkReport(t, fast.Report())
			}
			if slowErr != nil {
				return
			}
			if fast.Report() != slow.Report() || fast.FirstContent() != slow.FirstContent() ||
				fmt.Sprint(fast.Err()) != fmt.Sprint(slow.Err()) {
				t.Fatalf("fast and slow disagree:\nfast %+v %v %v\nslow %+v %v %v", fast.Report(), fast.FirstContent(), fast.Err(),
					slow.Report(), slow.FirstContent(), slow.Err())
			}
		})
	})
}
