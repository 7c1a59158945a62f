package usage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
)

func TestAnthropicReference(t *testing.T) {
	rep, err := Anthropic(readFile(t, "anthropic-message.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Usage:    pricing.Usage{Input: 295, CacheRead: 1800, Output: 143},
		Found:    true,
		Complete: true,
		Model:    "claude-sonnet-4-5-20250929",
	}
	if rep != want {
		t.Errorf("Anthropic = %+v, want %+v", rep, want)
	}
}

func TestAnthropicBodies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Report
		wantErr string
	}{
		{
			name: "cache write without split is 5-minute",
			body: `{"model":"m","usage":{"input_tokens":10,"cache_creation_input_tokens":1800,"cache_read_input_tokens":0,"output_tokens":5}}`,
			want: Report{Usage: pricing.Usage{Input: 10, CacheWrite5m: 1800, Output: 5}, Found: true, Complete: true, Model: "m"},
		},
		{
			name: "cache write split",
			body: `{"usage":{"input_tokens":10,"cache_creation_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":1500,"ephemeral_1h_input_tokens":300},"output_tokens":5}}`,
			want: Report{Usage: pricing.Usage{Input: 10, CacheWrite5m: 1500, CacheWrite1h: 300, Output: 5}, Found: true, Complete: true},
		},
		{
			name: "split without total",
			body: `{"usage":{"input_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":300},"output_tokens":2}}`,
			want: Report{Usage: pricing.Usage{Input: 1, CacheWrite1h: 300, Output: 2}, Found: true, Complete: true},
		},
		{
			name: "null fields are absent",
			body: `{"usage":{"input_tokens":7,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"cache_creation":null,"output_tokens":3}}`,
			want: Report{Usage: pricing.Usage{Input: 7, Output: 3}, Found: true, Complete: true},
		},
		{
			name: "partial usage is found, not complete",
			body: `{"usage":{"input_tokens":7}}`,
			want: Report{Usage: pricing.Usage{Input: 7}, Found: true, Missing: BucketOutput},
		},
		{
			name: "error body has no usage",
			body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
			want: Report{Missing: BucketInput | BucketOutput},
		},
		{name: "empty usage", body: `{"usage":{}}`, want: Report{Missing: BucketInput | BucketOutput}},
		{name: "null usage", body: `{"model":"m","usage":null}`, want: Report{Model: "m", Missing: BucketInput | BucketOutput}},
		{name: "null output is missing", body: `{"usage":{"input_tokens":7,"output_tokens":null}}`, want: Report{Usage: pricing.Usage{Input: 7}, Found: true, Missing: BucketOutput}},
		{name: "cache counts are optional", body: `{"usage":{"input_tokens":7,"output_tokens":3,"cache_read_input_tokens":null}}`, want: Report{Usage: pricing.Usage{Input: 7, Output: 3}, Found: true, Complete: true}},
		{name: "not an object", body: `[1,2]`, want: Report{Missing: BucketInput | BucketOutput}},
		{name: "not JSON", body: `<html>`, wantErr: "anthropic usage: decode body"},
		{name: "trailing data", body: `{} {}`, wantErr: "decode body"},
		{name: "fraction", body: `{"usage":{"input_tokens":1.5}}`, wantErr: "usage.input_tokens: not an integer (got a fractional or out-of-range number)"},
		{name: "negative", body: `{"usage":{"output_tokens":-1}}`, wantErr: "usage.output_tokens: negative token count -1"},
		{name: "string count", body: `{"usage":{"output_tokens":"12"}}`, want: Report{Usage: pricing.Usage{Output: 12}, Found: true, Missing: BucketInput}},
		{name: "object count", body: `{"usage":{"output_tokens":{}}}`, wantErr: "got an object"},
		{
			name:    "split disagrees with total",
			body:    `{"usage":{"cache_creation_input_tokens":1900,"cache_creation":{"ephemeral_5m_input_tokens":1500,"ephemeral_1h_input_tokens":300}}}`,
			wantErr: "5-minute 1500 + 1-hour 300 writes do not add up to cache_creation_input_tokens 1900",
		},
		{
			name: "huge exact count",
			body: `{"usage":{"input_tokens":9007199254740993,"output_tokens":0}}`,
			want: Report{Usage: pricing.Usage{Input: 9007199254740993}, Found: true, Complete: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Anthropic([]byte(tt.body))
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
				t.Errorf("Anthropic = %+v, want %+v", rep, tt.want)
			}
		})
	}
}

func TestAnthropicValue(t *testing.T) {
	// The executor decodes once, with UseNumber; plain float64 decoding works too.
	body := readFile(t, "anthropic-message.json")
	var plain any
	if err := json.Unmarshal(body, &plain); err != nil {
		t.Fatal(err)
	}
	rep, err := AnthropicValue(plain)
	if err != nil {
		t.Fatal(err)
	}
	if want := (pricing.Usage{Input: 295, CacheRead: 1800, Output: 143}); rep.Usage != want || !rep.Complete {
		t.Errorf("AnthropicValue = %+v", rep)
	}
	if rep, err := AnthropicValue(nil); err != nil || rep.Found {
		t.Errorf("AnthropicValue(nil) = %+v, %v", rep, err)
	}
}

func TestAnthropicStreamReference(t *testing.T) {
	for _, read := range []struct {
		name string
		r    func([]byte) io.Reader
	}{
		{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"byte by byte", byteByByte},
	} {
		t.Run(read.name, func(t *testing.T) {
			st := NewAnthropicStream()
			addErr, decErr := feed(t, st, read.r(readFile(t, "anthropic-stream.sse")))
			if addErr != nil || decErr != nil {
				t.Fatalf("errors: add %v, decode %v", addErr, decErr)
			}
			want := Report{
				Usage:    pricing.Usage{Input: 472, CacheWrite5m: 1800, Output: 89}, // 89: the last cumulative count, not 2+89
				Found:    true,
				Complete: true,
				Model:    "claude-sonnet-4-5-20250929",
			}
			if got := st.Report(); got != want {
				t.Errorf("Report = %+v, want %+v", got, want)
			}
			if !st.FirstContent() {
				t.Error("FirstContent = false")
			}
			if st.Err() != nil {
				t.Errorf("Err = %v", st.Err())
			}
		})
	}
}

func TestAnthropicStreamErrorReference(t *testing.T) {
	st := NewAnthropicStream()
	addErr, decErr := feed(t, st, byteByByte(readFile(t, "anthropic-stream-error.sse")))
	if addErr != nil || decErr != nil {
		t.Fatalf("errors: add %v, decode %v", addErr, decErr)
	}
	rep := st.Report()
	want := Report{Usage: pricing.Usage{Input: 512, Output: 1}, Found: true, Missing: BucketOutput, Model: "claude-sonnet-4-5-20250929"}
	if rep != want {
		t.Errorf("Report = %+v, want %+v", rep, want)
	}
	err := st.Err()
	var se *StreamError
	if !errors.As(err, &se) || se.Type != "overloaded_error" || se.Message != "Overloaded" {
		t.Fatalf("Err = %#v, want an overloaded_error StreamError", err)
	}
	if !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("Err() = %q does not mention overloaded", err)
	}
	if !st.FirstContent() {
		t.Error("FirstContent = false after a content_block_delta")
	}
}

// TestAnthropicStreamIncremental checks the report after each event of the reference stream.
func TestAnthropicStreamIncremental(t *testing.T) {
	st := NewAnthropicStream()
	dec := sse.NewDecoder(byteByByte(readFile(t, "anthropic-stream.sse")))
	type state struct {
		typ                    string
		found, complete, first bool
		output                 int64
	}
	var got []state
	for dec.Next() {
		ev := dec.Event()
		if err := st.Add(ev); err != nil {
			t.Fatal(err)
		}
		r := st.Report()
		got = append(got, state{ev.Type, r.Found, r.Complete, st.FirstContent(), r.Usage.Output})
	}
	want := []state{
		{"message_start", true, false, false, 2},
		{"content_block_start", true, false, false, 2},
		{"ping", true, false, false, 2},
		{"content_block_delta", true, false, true, 2},
		{"content_block_delta", true, false, true, 2},
		{"content_block_stop", true, false, true, 2},
		{"message_delta", true, false, true, 89},
		{"message_stop", true, true, true, 89},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("states:\n got %v\nwant %v", got, want)
	}
}

// anthropicEvents encodes a stream from (type, data) pairs.
func anthropicEvents(t testing.TB, withNames bool, evs ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := sse.NewEncoder(&b)
	for i := 0; i < len(evs); i += 2 {
		typ := evs[i]
		if !withNames {
			typ = ""
		}
		if err := enc.Encode(typ, []byte(evs[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestAnthropicStreamCases(t *testing.T) {
	const (
		start       = `{"type":"message_start","message":{"model":"claude-haiku-4-5","usage":{"input_tokens":100,"cache_creation_input_tokens":0,"cache_read_input_tokens":50,"output_tokens":1}}}`
		startSplit  = `{"type":"message_start","message":{"usage":{"input_tokens":100,"cache_creation_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":1500,"ephemeral_1h_input_tokens":300},"output_tokens":1}}}`
		delta       = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`
		msgDelta    = `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":%d}}`
		stop        = `{"type":"message_stop"}`
		ping        = `{"type": "ping"}`
		deltaInputs = `{"type":"message_delta","delta":{},"usage":{"input_tokens":120,"cache_creation_input_tokens":1800,"cache_read_input_tokens":50,"output_tokens":30}}`
	)
	tests := []struct {
		name      string
		noNames   bool // the event: lines stripped (by a proxy)
		events    []string
		want      Report
		wantFirst bool
		wantErr   string // of Add
	}{
		{
			name:   "cumulative output, several deltas",
			events: []string{"message_start", start, "ping", ping, "content_block_delta", delta, "message_delta", fmt.Sprintf(msgDelta, 10), "ping", ping, "message_delta", fmt.Sprintf(msgDelta, 25), "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 25}, Found: true, Complete: true, Model: "claude-haiku-4-5"}, wantFirst: true,
		},
		{
			name:   "split survives a delta without it",
			events: []string{"message_start", startSplit, "message_delta", deltaInputs, "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 120, CacheRead: 50, CacheWrite5m: 1500, CacheWrite1h: 300, Output: 30}, Found: true, Complete: true},
		},
		{
			name:    "without event names",
			noNames: true,
			events:  []string{"", start, "", delta, "", fmt.Sprintf(msgDelta, 7), "", stop},
			want:    Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 7}, Found: true, Complete: true, Model: "claude-haiku-4-5"}, wantFirst: true,
		},
		{
			name:    "without event names, type not first",
			noNames: true,
			events:  []string{"", `{"index":0,"delta":{"type":"text_delta","text":"x"},"type":"content_block_delta"}`},
			want:    Report{Missing: BucketInput | BucketOutput}, wantFirst: true,
		},
		{
			name:   "cut before message_stop",
			events: []string{"message_start", start, "content_block_delta", delta, "message_delta", fmt.Sprintf(msgDelta, 9)},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 9}, Found: true, Model: "claude-haiku-4-5"}, wantFirst: true,
		},
		{
			name:   "stop without any usage is not complete",
			events: []string{"message_stop", stop},
			want:   Report{Missing: BucketInput | BucketOutput},
		},
		{
			name:   "unknown events are ignored",
			events: []string{"message_start", start, "future_event", `{"type":"future_event","usage":{"input_tokens":1e9}}`, "message_delta", fmt.Sprintf(msgDelta, 3), "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 3}, Found: true, Complete: true, Model: "claude-haiku-4-5"},
		},
		{
			// message_start's output count (1) is not the response's: without a message_delta
			// the stream ended but its output is unknown.
			name:   "stop without message_delta has its output missing",
			events: []string{"message_start", start, "content_block_delta", delta, "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 1}, Found: true, Missing: BucketOutput, Model: "claude-haiku-4-5"}, wantFirst: true,
		},
		{
			name:   "message_delta without output_tokens reports no output",
			events: []string{"message_start", start, "message_delta", `{"type":"message_delta","delta":{},"usage":{"output_tokens":null}}`, "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 1}, Found: true, Missing: BucketOutput, Model: "claude-haiku-4-5"},
		},
		{
			name:   "a count that goes down is charged at its highest",
			events: []string{"message_start", start, "message_delta", fmt.Sprintf(msgDelta, 40), "message_delta", fmt.Sprintf(msgDelta, 12), "message_delta", `{"type":"message_delta","usage":{"input_tokens":60,"output_tokens":13}}`, "message_stop", stop},
			want:   Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 40}, Found: true, Complete: true, Model: "claude-haiku-4-5"},
		},
		{
			name:    "malformed message_start",
			events:  []string{"message_start", `{"type":"message_start","message":`},
			wantErr: "anthropic stream: decode message_start",
		},
		{
			name:    "negative output in message_delta keeps the earlier report",
			events:  []string{"message_start", start, "message_delta", fmt.Sprintf(msgDelta, -3)},
			want:    Report{Usage: pricing.Usage{Input: 100, CacheRead: 50, Output: 1}, Found: true, Missing: BucketOutput, Model: "claude-haiku-4-5"},
			wantErr: "message_delta: usage.output_tokens: negative token count -3",
		},
		{
			name:    "no event name, undecodable data",
			noNames: true,
			events:  []string{"", `not json`},
			wantErr: "anthropic stream: decode event type",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewAnthropicStream()
			addErr, decErr := feed(t, st, byteByByte(anthropicEvents(t, !tt.noNames, tt.events...)))
			if decErr != nil {
				t.Fatal(decErr)
			}
			if tt.wantErr == "" && addErr != nil || tt.wantErr != "" && (addErr == nil || !strings.Contains(addErr.Error(), tt.wantErr)) {
				t.Fatalf("Add error = %v, want %q", addErr, tt.wantErr)
			}
			if tt.wantErr != "" && tt.want == (Report{}) {
				return
			}
			if got := st.Report(); got != tt.want {
				t.Errorf("Report = %+v, want %+v", got, tt.want)
			}
			if st.FirstContent() != tt.wantFirst {
				t.Errorf("FirstContent = %v, want %v", st.FirstContent(), tt.wantFirst)
			}
		})
	}
}

func TestAnthropicStreamErrorEvents(t *testing.T) {
	st := NewAnthropicStream()
	err := st.Add(sse.Event{Type: "error", Data: []byte(`{"type":"error","error":{"type":"api_error","message":"` + strings.Repeat("x", 2000) + `"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	var se *StreamError
	if !errors.As(st.Err(), &se) || se.Type != "api_error" || len(se.Message) > maxErrorMessage+3 {
		t.Errorf("Err = %v", st.Err())
	}

	st = NewAnthropicStream()
	if err := st.Add(sse.Event{Type: "error", Data: []byte(`oops`)}); err == nil {
		t.Error("Add of an undecodable error event = nil")
	}
	if st.Err() == nil || st.Err().Error() != "stream error: unknown error" {
		t.Errorf("Err = %v", st.Err())
	}
	if NewAnthropicStream().Err() != nil {
		t.Error("a fresh stream has an error")
	}
}

// benchStream is a typical Anthropic stream: message_start, n token events with a ping
// now and then, message_delta, message_stop.
func benchStream(n int, withNames bool) []sse.Event {
	name := func(s string) string {
		if withNames {
			return s
		}
		return "message"
	}
	evs := []sse.Event{{Type: name("message_start"), Data: []byte(`{"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":1800,"cache_read_input_tokens":0,"output_tokens":2}}}`)}}
	evs = append(evs, sse.Event{Type: name("content_block_start"), Data: []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)})
	for i := range n {
		evs = append(evs, sse.Event{Type: name("content_block_delta"), Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" match your profile and some more words"}}`)})
		if i%100 == 99 {
			evs = append(evs, sse.Event{Type: name("ping"), Data: []byte(`{"type": "ping"}`)})
		}
	}
	evs = append(evs,
		sse.Event{Type: name("content_block_stop"), Data: []byte(`{"type":"content_block_stop","index":0}`)},
		sse.Event{Type: name("message_delta"), Data: []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":500}}`)},
		sse.Event{Type: name("message_stop"), Data: []byte(`{"type":"message_stop"}`)},
	)
	return evs
}

// BenchmarkAnthropicStream measures Add over a 500-token stream (ns/event: the average,
// dominated by decoding message_start and message_delta once per stream) and over a single
// token event, the cost paid for every token under load.
func BenchmarkAnthropicStream(b *testing.B) {
	for _, names := range []bool{true, false} {
		b.Run(fmt.Sprintf("event-names=%v", names), func(b *testing.B) {
			evs := benchStream(500, names)
			b.ReportAllocs()
			for b.Loop() {
				st := NewAnthropicStream()
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
	// The per-token cost alone: one content_block_delta, named or sniffed from its data.
	for _, typ := range []string{"content_block_delta", "message"} {
		b.Run("token-event/type="+typ, func(b *testing.B) {
			st := NewAnthropicStream()
			ev := sse.Event{Type: typ, Data: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" match your profile"}}`)}
			b.ReportAllocs()
			for b.Loop() {
				if err := st.Add(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// For scale: what decoding every event's JSON would cost.
	b.Run("baseline-decode-every-event", func(b *testing.B) {
		evs := benchStream(500, true)
		b.ReportAllocs()
		for b.Loop() {
			for _, ev := range evs {
				var v any
				if err := json.Unmarshal(ev.Data, &v); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	})
}

// BenchmarkAnthropicStreamDecode includes the SSE decoder, as the executor runs it.
func BenchmarkAnthropicStreamDecode(b *testing.B) {
	var buf bytes.Buffer
	enc := sse.NewEncoder(&buf)
	for _, ev := range benchStream(500, true) {
		if err := enc.Encode(ev.Type, ev.Data); err != nil {
			b.Fatal(err)
		}
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		st := NewAnthropicStream()
		dec := sse.NewDecoder(bytes.NewReader(data))
		for dec.Next() {
			if err := st.Add(dec.Event()); err != nil {
				b.Fatal(err)
			}
		}
		if !st.Report().Complete {
			b.Fatal("not complete")
		}
	}
}

func FuzzAnthropicStream(f *testing.F) {
	f.Add(readFile(f, "anthropic-stream.sse"))
	f.Add(readFile(f, "anthropic-stream-error.sse"))
	f.Add([]byte("event: message_delta\ndata: {\"usage\":{\"output_tokens\":3,\"cache_creation\":{\"ephemeral_1h_input_tokens\":1}}}\n\n"))
	f.Add([]byte("data: {\"type\":\"content_block_delta\"}\n\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		usageBudget.Check(t, len(data), func() {
			st := NewAnthropicStream()
			dec := sse.NewDecoder(bytes.NewReader(data))
			for dec.Next() {
				_ = st.Add(dec.Event())
				checkReport(t, st.Report())
			}
			_ = st.Err()
			_ = st.FirstContent()
		})
	})
}

// checkReport holds what every report must satisfy, whatever the input.
func checkReport(t *testing.T, r Report) {
	t.Helper()
	u := r.Usage
	if u.Input < 0 || u.CacheRead < 0 || u.CacheWrite5m < 0 || u.CacheWrite1h < 0 || u.Output < 0 {
		t.Fatalf("negative usage %+v", u)
	}
	if r.Complete && !r.Found {
		t.Fatalf("complete but not found: %+v", r)
	}
	if !r.Found && !u.IsZero() {
		t.Fatalf("usage without Found: %+v", r)
	}
}
