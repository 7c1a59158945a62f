package usage

import (
	"net/http"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

func newSource(t *testing.T, kind plan.UsageKind, fields map[string]string) *Source {
	t.Helper()
	s, err := NewSource(plan.UsageSource{Kind: kind, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSourceRead: each kind of source reads a response once built, and says per bucket what
// the response did not report.
func TestSourceRead(t *testing.T) {
	body := func(s string) any {
		v, err := DecodeBody([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	h := http.Header{}
	h.Set("X-In", "10")
	tests := []struct {
		name      string
		src       *Source
		h         http.Header
		body      any
		want      Report
		unmatched string
	}{
		{
			name: "anthropic without output_tokens",
			src:  newSource(t, plan.UsageAnthropic, nil),
			body: body(`{"usage":{"input_tokens":5,"cache_read_input_tokens":null}}`),
			want: Report{Usage: pricing.Usage{Input: 5}, Found: true, Missing: BucketOutput}, unmatched: "usage.output_tokens was absent or null",
		},
		{
			name: "openai with a null completion_tokens",
			src:  newSource(t, plan.UsageOpenAI, nil),
			body: body(`{"usage":{"prompt_tokens":5,"completion_tokens":null}}`),
			want: Report{Usage: pricing.Usage{Input: 5}, Found: true, Missing: BucketOutput}, unmatched: "usage.completion_tokens was absent or null",
		},
		{
			name: "json path with a typo",
			src:  newSource(t, plan.UsageJSON, map[string]string{"input": "$.meta.tok_in", "output": "$.meta.tok_outt"}),
			body: body(`{"meta":{"tok_in":7,"tok_out":9}}`),
			want: Report{Usage: pricing.Usage{Input: 7}, Found: true, Missing: BucketOutput}, unmatched: "usage.json.output: $.meta.tok_outt matched nothing (absent or null)",
		},
		{
			name: "absent header",
			src:  newSource(t, plan.UsageHeaders, map[string]string{"input": "x-in", "output": "x-out"}),
			h:    h,
			want: Report{Usage: pricing.Usage{Input: 10}, Found: true, Missing: BucketOutput}, unmatched: "usage.headers.output: header X-Out was absent or empty",
		},
		{
			// A body that was not read or not JSON is no report, not one with buckets missing.
			name: "no body",
			src:  newSource(t, plan.UsageAnthropic, nil),
			want: Report{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.src.Read(tt.h, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Read = %+v, want %+v", got, tt.want)
			}
			if u := tt.src.Unmatched(got.Missing, false); u != tt.unmatched {
				t.Errorf("Unmatched = %q, want %q", u, tt.unmatched)
			}
		})
	}
}

func TestSourceStreams(t *testing.T) {
	if s := newSource(t, plan.UsageJSON, map[string]string{"output": "$.o"}).NewStream(); s != nil {
		t.Errorf("a json source parses streams: %T", s)
	}
	an := newSource(t, plan.UsageAnthropic, nil)
	st := an.NewStream()
	for _, ev := range []sse.Event{
		{Type: "message_start", Data: []byte(`{"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}`)},
		{Type: "message_stop", Data: []byte(`{"type":"message_stop"}`)},
	} {
		if st.Ended() {
			t.Errorf("ended before %s", ev.Type)
		}
		if err := st.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	rep := st.Report()
	if !st.Ended() || rep.Complete || rep.Missing != BucketOutput {
		t.Errorf("message_stop without message_delta: ended %v, report %+v", st.Ended(), rep)
	}
	if got := an.Unmatched(rep.Missing, true); !strings.Contains(got, "no message_delta reported usage.output_tokens") {
		t.Errorf("Unmatched = %q", got)
	}
	oa := newSource(t, plan.UsageOpenAI, nil)
	st = oa.NewStream()
	if err := st.Add(sse.Event{Data: []byte("[DONE]")}); err != nil {
		t.Fatal(err)
	}
	if rep := st.Report(); !st.Ended() || rep.Found || rep.Missing != BucketInput|BucketOutput {
		t.Errorf("OpenAI stream without a usage chunk: ended %v, report %+v", st.Ended(), rep)
	}
	if got := oa.Unmatched(BucketInput|BucketOutput, true); !strings.Contains(got, "include_usage") {
		t.Errorf("Unmatched = %q", got)
	}
}

func TestNewSourceErrors(t *testing.T) {
	for _, tt := range []struct {
		spec plan.UsageSource
		want string
	}{
		{plan.UsageSource{Kind: "xml"}, `unknown usage source "xml"`},
		{plan.UsageSource{Kind: plan.UsageJSON, Fields: map[string]string{"output": "meta.x"}}, "usage.json.output"},
		{plan.UsageSource{Kind: plan.UsageJSON, Fields: map[string]string{"cost": "$.x"}}, "not a usage bucket"},
		{plan.UsageSource{Kind: plan.UsageJSON}, "names no token bucket"},
		{plan.UsageSource{Kind: plan.UsageHeaders}, "names no token bucket"},
		{plan.UsageSource{Kind: plan.UsagePrometheus, Fields: map[string]string{"output": "x{"}}, "usage.prometheus"},
	} {
		if _, err := NewSource(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSource(%+v) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

// TestDecodeUsage: for the provider sources the body is scanned for its usage member alone,
// and a body that is not an object is decoded whole, as DecodeBody decodes it.
func TestDecodeUsage(t *testing.T) {
	src := newSource(t, plan.UsageAnthropic, nil)
	v, err := src.DecodeUsage([]byte(`{"reply":"long text","usage":{"input_tokens":1,"output_tokens":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := v.(map[string]any); len(m) != 1 || m["usage"] == nil {
		t.Errorf("DecodeUsage = %#v, want the usage member alone", v)
	}
	if v, err := src.DecodeUsage([]byte(`[1]`)); err != nil || len(v.([]any)) != 1 {
		t.Errorf("DecodeUsage([1]) = %#v, %v", v, err)
	}
	if _, err := src.DecodeUsage([]byte(`{"usage":`)); err == nil {
		t.Error("DecodeUsage of a cut body: no error")
	}
	js := newSource(t, plan.UsageJSON, map[string]string{"output": "$.meta.o"})
	if v, err := js.DecodeUsage([]byte(`{"meta":{"o":1},"x":2}`)); err != nil || len(v.(map[string]any)) != 2 {
		t.Errorf("json DecodeUsage = %#v, %v: want the whole body", v, err)
	}
}
