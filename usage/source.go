package usage

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/plan"
)

// Source reads the usage of one plan step's responses, as the step's usage: spec says
// (anthropic, openai, json paths, headers, prometheus). NewSource builds it once per step, so
// that nothing downstream switches on the kind of source again; it keeps nothing of a
// response, so one Source serves every user of a run at once.
//
// A non-streamed response is read by Read (its headers, or its body decoded by DecodeBody or
// DecodeUsage); a stream by the Stream that NewStream returns; Prometheus counters are not
// per response: Prometheus gives the spec for a Scraper.
type Source struct {
	kind    plan.UsageKind
	fields  map[string]string // the plan's bucket → path, header or selector
	json    JSONSpec
	headers HeaderSpec
	prom    PromSpec
}

// NewSource compiles a plan's usage source. Its errors (a JSON path or a selector that does
// not parse) are those plan validation reports already, with the plan's field names.
func NewSource(spec plan.UsageSource) (*Source, error) {
	s := &Source{kind: spec.Kind, fields: spec.Fields}
	f := spec.Fields
	switch spec.Kind {
	case plan.UsageAnthropic, plan.UsageOpenAI:
	case plan.UsageJSON:
		paths := map[string]**jsonpath.Path{"input": &s.json.Input, "output": &s.json.Output,
			"cache_read": &s.json.CacheRead, "cache_write": &s.json.CacheWrite, "cache_write_1h": &s.json.CacheWrite1h}
		for k, expr := range f {
			dst, ok := paths[k]
			if !ok {
				return nil, fmt.Errorf("usage.json.%s: not a usage bucket; valid: %s", k, strings.Join(bucketNames[:], ", "))
			}
			var err error
			if *dst, err = jsonpath.Compile(expr); err != nil {
				return nil, fmt.Errorf("usage.json.%s: %w", k, err)
			}
		}
		if len(f) == 0 {
			return nil, fmt.Errorf("usage.json: %w", ErrEmptySpec)
		}
	case plan.UsageHeaders:
		s.headers = HeaderSpec{Input: f["input"], Output: f["output"], CacheRead: f["cache_read"],
			CacheWrite: f["cache_write"], CacheWrite1h: f["cache_write_1h"]}
		if s.headers == (HeaderSpec{}) {
			return nil, fmt.Errorf("usage.headers: %w", ErrEmptySpec)
		}
	case plan.UsagePrometheus:
		s.prom = PromSpec{Path: spec.Path, Input: f["input"], Output: f["output"], CacheRead: f["cache_read"],
			CacheWrite: f["cache_write"], CacheWrite1h: f["cache_write_1h"], CostUSD: f["cost_usd"]}
		if err := s.prom.Validate(); err != nil {
			return nil, fmt.Errorf("usage.prometheus: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown usage source %q; valid: anthropic, openai, json, headers, prometheus", spec.Kind)
	}
	return s, nil
}

// providerPaths are what the anthropic and openai sources read of a body: its usage, and the
// service tier OpenAI reports beside it.
var providerPaths = []*jsonpath.Path{jsonpath.MustCompile("$.usage"), jsonpath.MustCompile("$.service_tier")}

// BodyPaths are the JSON paths of a body that the source reads (nil for a source that reads
// no body): what must be kept of a body too large to keep whole.
func (s *Source) BodyPaths() []*jsonpath.Path {
	switch s.kind {
	case plan.UsageAnthropic, plan.UsageOpenAI:
		return providerPaths
	case plan.UsageJSON:
		var out []*jsonpath.Path
		for _, p := range []*jsonpath.Path{s.json.Input, s.json.Output, s.json.CacheRead, s.json.CacheWrite, s.json.CacheWrite1h} {
			if p != nil {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// Kind is the plan's name of the source: the summary's cost_source.
func (s *Source) Kind() plan.UsageKind { return s.kind }

// ReadsBody reports whether the source reads a response's JSON body (anthropic, openai, json).
func (s *Source) ReadsBody() bool {
	return s.kind == plan.UsageAnthropic || s.kind == plan.UsageOpenAI || s.kind == plan.UsageJSON
}

// Prometheus is the spec of the counters a prometheus source reads; ok is false for the
// other sources, which read each response.
func (s *Source) Prometheus() (spec PromSpec, ok bool) {
	return s.prom, s.kind == plan.UsagePrometheus
}

// NewStream returns a parser for one event stream of the source (anthropic, openai), or nil
// when the source reads no event stream (a headers source reads a stream's headers with Read).
func (s *Source) NewStream() Stream {
	switch s.kind {
	case plan.UsageAnthropic:
		return NewAnthropicStream()
	case plan.UsageOpenAI:
		return NewOpenAIStream()
	}
	return nil
}

// DecodeUsage decodes of body b what the source reads, for a body that nothing else reads
// (no captures, no JSON checks): for anthropic and openai, its top-level usage member alone,
// the rest validated but not decoded (see usageBody); else the whole body, as DecodeBody.
// The error is DecodeBody's for the same body.
func (s *Source) DecodeUsage(b []byte) (any, error) {
	if s.kind == plan.UsageAnthropic || s.kind == plan.UsageOpenAI {
		v, err := usageBody(b)
		if err != ErrNotObject {
			return v, err
		}
		// Not an object (an error page, an array): rare, and never usage.
	}
	return decodeUsing(b)
}

// Read reads the usage of a non-streamed response (or a stream's headers): from its headers
// h for a headers source, else from its decoded body. A nil body is a body that was not
// read or was not JSON: that is no report at all (the response's cost is unknown), not a
// report with buckets missing. A prometheus source reads nothing here.
func (s *Source) Read(h http.Header, body any) (Report, error) {
	switch s.kind {
	case plan.UsageHeaders:
		return FromHeaders(h, s.headers)
	case plan.UsagePrometheus:
		return Report{}, nil
	}
	if body == nil {
		return Report{}, nil
	}
	switch s.kind {
	case plan.UsageAnthropic:
		return AnthropicValue(body)
	case plan.UsageOpenAI:
		return OpenAIValue(body)
	}
	return FromJSON(body, s.json)
}

// Unmatched says, for a warning, what of the source matched nothing in a response whose
// usage lacked the buckets missing ("usage.json.output: $.meta.tok_outt matched nothing
// (absent or null)"). streamed: the response was an event stream.
func (s *Source) Unmatched(missing Buckets, streamed bool) string {
	if s.kind == plan.UsageOpenAI && streamed && missing&requiredBuckets == requiredBuckets {
		return "the stream had no usage chunk (OpenAI streams report usage only with stream_options: {include_usage: true} in the request)"
	}
	var parts []string
	for i, name := range bucketNames {
		if missing&(1<<i) == 0 {
			continue
		}
		switch s.kind {
		case plan.UsageJSON:
			parts = append(parts, fmt.Sprintf("usage.json.%s: %s matched nothing (absent or null)", name, s.fields[name]))
		case plan.UsageHeaders:
			parts = append(parts, fmt.Sprintf("usage.headers.%s: header %s was absent or empty", name, http.CanonicalHeaderKey(s.fields[name])))
		case plan.UsageAnthropic, plan.UsageOpenAI:
			parts = append(parts, s.providerMember(Buckets(1<<i), streamed))
		default:
			parts = append(parts, fmt.Sprintf("usage.%s.%s matched nothing", s.kind, name))
		}
	}
	return strings.Join(parts, "; ")
}

// providerMember names the member of a provider's usage that reports bucket b.
func (s *Source) providerMember(b Buckets, streamed bool) string {
	anthropic := s.kind == plan.UsageAnthropic
	switch {
	case anthropic && b == BucketInput && streamed:
		return "message_start's usage.input_tokens was absent or null"
	case anthropic && b == BucketOutput && streamed:
		return "no message_delta reported usage.output_tokens before message_stop"
	case anthropic && b == BucketInput:
		return "usage.input_tokens was absent or null"
	case anthropic:
		return "usage.output_tokens was absent or null"
	case streamed && b == BucketInput:
		return "the stream's usage chunk had no usage.prompt_tokens"
	case streamed:
		return "the stream's usage chunk had no usage.completion_tokens"
	case b == BucketInput:
		return "usage.prompt_tokens was absent or null"
	}
	return "usage.completion_tokens was absent or null"
}
