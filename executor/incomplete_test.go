package executor

import (
	"fmt"
	"github.com/loadplan/loadplan/summary"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// The tests of this file hold the meter's promise for responses that report only part of
// their usage (DESIGN.md, "Metering"; issue 10 §1): a bucket the source requires but the
// response did not report is charged at the request's bound, flagged estimated and counted
// in incomplete_usage, never zero; the run is warned once per step, naming what matched
// nothing; and a bucket charged at its bound is no overrun.

// incompletePlan has one task, TASK, priced by usage; two scenarios: a short uncapped one
// and a capped one that the budget stops.
const incompletePlan = `version: 1
name: incomplete
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  TASK
scenarios:
  s: {users: 3, duration: 600ms, wait: {constant: 5ms}}
  capped: {users: 4, duration: 30s, budget: 0.10}
`

// warnings collects the run's warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// The service endpoints' usage is Anthropic's shape; a plan that reads it by JSON paths.
const dteTask = `dte:
    request: {method: POST, path: /api/dte/validate, json: {message: "validate {{seq}}", max_tokens: 400}HEADERS}
    usage: {json: {input: $.usage.input_tokens, cache_read: $.usage.cache_read_input_tokens,
                   cache_write: $.usage.cache_creation_input_tokens, output: OUTPUT}}
    expect: {input_tokens: 2500, cacheable_tokens: 2000, cache_hit_rate: 80%, output_tokens: 200, max_input_tokens: 6000}`

// TestIncompleteUsageMock: against the mock, which bills what it generated whatever it
// reports, responses that leave a required bucket out (a JSON path with a typo, a member
// omitted or null, a stream whose final count is missing) are charged no less than the
// ledger, the difference no more than the part flagged estimated. On the code before this
// test those buckets were charged 0.
func TestIncompleteUsageMock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, task string
		warn       string // in the warning
		unreported bool   // the response reported no usage at all: charged its reservation
	}{
		{
			name: "json path with a typo",
			task: strings.NewReplacer("HEADERS", "", "OUTPUT", "$.usage.output_tokns").Replace(dteTask),
			warn: "dte: a response did not report all its usage: usage.json.output: $.usage.output_tokns matched nothing (absent or null)",
		},
		{
			name: "json paths that all match nothing",
			task: strings.NewReplacer("HEADERS", "", "OUTPUT", "$.meta.output_tokens", "$.usage.", "$.meta.").Replace(dteTask),
			warn: "usage.json.input: $.meta.input_tokens matched nothing", unreported: true,
		},
		{
			name: "anthropic body without output_tokens",
			task: `chat:
    request: {method: POST, path: /api/chat/message, headers: {X-Mock-Usage-Omit: output_tokens}, json: {message: "hi {{seq}}", max_tokens: 512}}
    usage: anthropic
    expect: {input_tokens: 1200, cacheable_tokens: 1000, output_tokens: 300, max_input_tokens: 4000}`,
			warn: "chat: a response did not report all its usage: usage.output_tokens was absent or null",
		},
		{
			name: "anthropic body with a null input_tokens",
			task: `messages:
    request: {method: POST, path: /v1/messages, headers: {X-Mock-Usage-Null: input_tokens}, json: {model: claude-sonnet-4-5, max_tokens: 300, messages: [{role: user, content: "hello there"}]}}
    usage: anthropic
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 250, max_input_tokens: 1200}`,
			warn: "usage.input_tokens was absent or null",
		},
		{
			name: "openai body without completion_tokens",
			task: `openai:
    request: {method: POST, path: /v1/chat/completions, headers: {X-Mock-Usage-Omit: completion_tokens}, json: {model: gpt-4o, max_tokens: 300, messages: [{role: user, content: "hello there"}]}}
    usage: openai
    model: gpt-4o
    expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: 250, max_input_tokens: 1300}`,
			warn: "usage.completion_tokens was absent or null",
		},
		{
			name: "openai stream whose usage chunk has no completion_tokens",
			task: `openai_stream:
    request: {method: POST, path: /v1/chat/completions, stream: true, headers: {X-Mock-Usage-Omit: completion_tokens}, json: {model: gpt-4o, max_tokens: 300, stream: true, stream_options: {include_usage: true}, messages: [{role: user, content: "hello there"}]}}
    usage: openai
    model: gpt-4o
    expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: 250, max_input_tokens: 1300}`,
			warn: "the stream's usage chunk had no usage.completion_tokens",
		},
		{
			name: "openai stream without a usage chunk",
			task: `openai_stream:
    request: {method: POST, path: /v1/chat/completions, stream: true, json: {model: gpt-4o, max_tokens: 300, stream: true, messages: [{role: user, content: "hello there"}]}}
    usage: openai
    model: gpt-4o
    expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: 250, max_input_tokens: 1300}`,
			warn: "include_usage", unreported: true,
		},
		{
			name: "anthropic stream whose message_delta has no output_tokens",
			task: `stream:
    request: {method: POST, path: /api/chat/stream, stream: true, headers: {X-Mock-Usage-Omit: output_tokens}, json: {message: "hi", max_tokens: 1024}}
    usage: anthropic
    expect: {input_tokens: 1500, cacheable_tokens: 1000, output_tokens: 400, max_input_tokens: 4000}`,
			warn: "stream: a response did not report all its usage: no message_delta reported usage.output_tokens before message_stop",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, srv := startMock(t, nil)
			p := parsePlan(t, strings.Replace(incompletePlan, "TASK", tt.task, 1), url, nil)
			var w warnings
			cfg := config(t, p, "s", url, nil)
			cfg.OnWarning = w.add
			s := run(t, cfg)
			led := srv.Ledger().Snapshot()
			tk := s.Tasks[0]
			if tk.Requests == 0 || s.Actual.Failures != 0 || !led.Cost.IsPositive() {
				t.Fatalf("%d requests, %d failures (%+v), ledger %s", tk.Requests, s.Actual.Failures, s.Failures, led.Cost)
			}
			spent := s.Meter.Spent
			if spent.LessThan(led.Cost) {
				t.Errorf("meter %s charged less than the ledger %s", spent, led.Cost)
			}
			if diff := spent.Sub(led.Cost); diff.GreaterThan(s.Actual.CostEstimated) {
				t.Errorf("meter %s - ledger %s = %s, more than the part flagged estimated %s", spent, led.Cost, diff, s.Actual.CostEstimated)
			}
			if s.Actual.IncompleteUsage != tk.Requests || tk.IncompleteUsage != tk.Requests {
				t.Errorf("incomplete_usage %d (task %d), want every response: %d", s.Actual.IncompleteUsage, tk.IncompleteUsage, tk.Requests)
			}
			if got := s.Meter.UnreportedCharged; (got == tk.Requests) != tt.unreported || (got != 0) != tt.unreported {
				t.Errorf("unreported_charged %d of %d responses", got, tk.Requests)
			}
			if s.Meter.Overruns != 0 || !s.Meter.BoundsHeld {
				t.Errorf("a bucket charged at its bound is no overrun: meter %+v", s.Meter)
			}
			if ws := w.all(); len(ws) != 1 || !strings.Contains(ws[0], tt.warn) || !strings.Contains(ws[0], "incomplete_usage") {
				t.Errorf("warnings %q: want one containing %q", ws, tt.warn)
			}
		})
	}
}

// TestIncompleteUsageBudget: a capped run whose JSON path for the output matches nothing
// stops at its budget: what the service billed (its ledger) is within the budget, and the
// meter charged no less than that. Before, the output was charged 0 and the service billed
// several times the budget while the summary said bounds_held.
func TestIncompleteUsageBudget(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, nil)
	task := strings.NewReplacer("HEADERS", "", "OUTPUT", "$.usage.output_tokns").Replace(dteTask)
	p := parsePlan(t, strings.Replace(incompletePlan, "TASK", task, 1), url, nil)
	sc := p.Scenario("capped")
	budget := *sc.Budget
	s := run(t, config(t, p, "capped", url, &budget))
	led := srv.Ledger().Snapshot()
	if s.StopReason != summary.StopBudgetExhausted {
		t.Fatalf("stop %s (%s)", s.StopReason, s.StopDetail)
	}
	if led.Cost.GreaterThan(budget) || s.Meter.Spent.GreaterThan(budget) || s.Meter.Spent.LessThan(led.Cost) {
		t.Errorf("budget %s: the service billed %s, the meter charged %s", budget, led.Cost, s.Meter.Spent)
	}
	if s.Actual.IncompleteUsage == 0 || !s.Actual.CostEstimated.IsPositive() || !s.Meter.BoundsHeld {
		t.Errorf("incomplete_usage %d, cost_estimated %s, meter %+v", s.Actual.IncompleteUsage, s.Actual.CostEstimated, s.Meter)
	}
	t.Logf("budget %s, ledger %s, meter %s (estimated %s), %d requests", budget, led.Cost, s.Meter.Spent, s.Actual.CostEstimated, s.Actual.Requests)
}

// price is the test's catalog price of claude-sonnet-4-5.
func price(t *testing.T) pricing.Price {
	t.Helper()
	p, err := pricing.Default().Lookup("claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// anthropicStream writes an Anthropic event stream of the given (type, data) events.
func anthropicStream(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	enc := sse.NewEncoder(w)
	for i := 0; i < len(events); i += 2 {
		_ = enc.Encode(events[i], []byte(events[i+1]))
	}
}

// TestIncompleteUsagePeers: sources and stream shapes the mock does not produce, against an
// httptest peer whose every response is the same, so that what each is charged is exact.
// Bounds: 1,000 input tokens (no cacheable prefix), 100 output tokens: $0.003 + $0.0015.
func TestIncompleteUsagePeers(t *testing.T) {
	t.Parallel()
	const (
		start = `{"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":600,"output_tokens":1}}}`
		delta = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`
		stop  = `{"type":"message_stop"}`
	)
	msgDelta := func(out int) string {
		return fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":%d}}`, out)
	}
	cost := func(in, out int64) decimal.Decimal {
		c, err := price(t).Cost(pricing.Usage{Input: in, Output: out})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name       string
		usage      string
		stream     bool
		handler    http.HandlerFunc
		want       decimal.Decimal // charged per response
		estimated  decimal.Decimal // of it, flagged estimated
		incomplete bool
		warn       string
	}{
		{
			name:  "an absent header",
			usage: `{headers: {input: X-Usage-Input, output: X-Usage-Output}}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Usage-Input", "600")
				io.WriteString(w, "{}")
			},
			want: cost(600, 100), estimated: cost(0, 100), incomplete: true,
			warn: "usage.headers.output: header X-Usage-Output was absent or empty",
		},
		{
			// Without its message_delta the stream ended but did not say what it cost: its
			// output is charged at its bound, not at message_start's count of 1.
			name:   "message_stop without message_delta",
			usage:  "anthropic",
			stream: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				anthropicStream(w, "message_start", start, "content_block_delta", delta, "message_stop", stop)
			},
			want: cost(600, 100), estimated: cost(0, 99), incomplete: true,
			warn: "no message_delta reported usage.output_tokens before message_stop",
		},
		{
			// Cumulative counts: the highest one said is charged, not the last.
			name:   "a cumulative count that goes down",
			usage:  "anthropic",
			stream: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				anthropicStream(w, "message_start", start, "content_block_delta", delta, "message_delta", msgDelta(80),
					"message_delta", msgDelta(30), "message_stop", stop)
			},
			want: cost(600, 80),
		},
		{
			// A JSON path whose shape is right but whose value is null.
			name:  "a null member",
			usage: `{json: {input: $.u.in, output: $.u.out}}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"u": {"in": 600, "out": null}}`)
			},
			want: cost(600, 100), estimated: cost(0, 100), incomplete: true,
			warn: "usage.json.output: $.u.out matched nothing",
		},
		{
			// The input missing: the prompt's bound, less what was reported of it (nothing).
			name:  "a missing input",
			usage: `{json: {input: $.u.in, output: $.u.out}}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"u": {"out": 70}}`)
			},
			want: cost(1000, 70), estimated: cost(1000, 0), incomplete: true,
			warn: "usage.json.input: $.u.in matched nothing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := server(t, tt.handler).URL
			task := fmt.Sprintf(`t:
    request: {method: POST, path: /x, stream: %v, json: {message: hi, max_tokens: 100}}
    usage: %s
    expect: {input_tokens: 600, output_tokens: 50, max_input_tokens: 1000}`, tt.stream, tt.usage)
			p := parsePlan(t, strings.Replace(incompletePlan, "TASK", task, 1), url, nil)
			var w warnings
			budget := decimal.NewFromInt(100)
			cfg := config(t, p, "s", url, &budget)
			cfg.OnWarning = w.add
			s := run(t, cfg)
			tk := s.Tasks[0]
			n := decimal.NewFromInt(tk.Requests)
			if tk.Requests == 0 || tk.Failures != 0 {
				t.Fatalf("%d requests, %d failures (%+v)", tk.Requests, tk.Failures, s.Failures)
			}
			if !tk.Cost.Equal(tt.want.Mul(n)) || !tk.CostEstimated.Equal(tt.estimated.Mul(n)) {
				t.Errorf("%d responses cost %s (estimated %s), want %s (%s) each", tk.Requests, tk.Cost, tk.CostEstimated, tt.want, tt.estimated)
			}
			if got := tk.IncompleteUsage; (got == tk.Requests) != tt.incomplete || (got != 0) != tt.incomplete {
				t.Errorf("incomplete_usage %d of %d", got, tk.Requests)
			}
			if s.Meter.Overruns != 0 || !s.Meter.BoundsHeld {
				t.Errorf("meter %+v", s.Meter)
			}
			ws := w.all()
			if tt.warn == "" && len(ws) != 0 || tt.warn != "" && (len(ws) != 1 || !strings.Contains(ws[0], tt.warn)) {
				t.Errorf("warnings %q, want one with %q", ws, tt.warn)
			}
		})
	}
}

// TestIncompleteUsagePrometheus: a Prometheus selector whose label names no series
// (type="ouput") reads as no growth; the requests it should have priced are charged their
// reservations instead, flagged, and the run warned; the meter charges no less than the
// ledger.
func TestIncompleteUsagePrometheus(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, nil)
	src := `input: 'claude_api_tokens_total{type="input"}', output: 'claude_api_tokens_total{type="ouput"}'`
	p := parsePlan(t, strings.Replace(promPlan, "SOURCE", src, 1), url, nil)
	budget := decimal.NewFromInt(5)
	var w warnings
	cfg := config(t, p, "s", url, &budget)
	cfg.OnWarning = w.add
	s := run(t, cfg)
	led := srv.Ledger().Snapshot()
	tk := row(s, "dte")
	if tk.Requests == 0 || s.Meter.Spent.LessThan(led.Cost) || !s.Meter.Reserved.IsZero() {
		t.Errorf("%d requests: meter %s (reserved %s), ledger %s", tk.Requests, s.Meter.Spent, s.Meter.Reserved, led.Cost)
	}
	if tk.IncompleteUsage != tk.Requests || !tk.CostEstimated.Equal(tk.Cost) || !s.Meter.BoundsHeld {
		t.Errorf("incomplete_usage %d of %d, estimated %s of %s, meter %+v", tk.IncompleteUsage, tk.Requests, tk.CostEstimated, tk.Cost, s.Meter)
	}
	if ws := w.all(); len(ws) != 1 || !strings.Contains(ws[0], `output: claude_api_tokens_total{type="ouput"} matched no series`) {
		t.Errorf("warnings %q", ws)
	}
}

// TestIncompleteUsageErrorStatus: an error status is not billed for what it does not say: a
// 400 that reports its input alone is charged that input, not flagged, not warned of.
func TestIncompleteUsageErrorStatus(t *testing.T) {
	t.Parallel()
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"u": {"in": 600}}`)
	})).URL
	task := `t:
    request: {method: POST, path: /x, json: {message: hi, max_tokens: 100}}
    usage: {json: {input: $.u.in, output: $.u.out}}
    expect: {input_tokens: 600, output_tokens: 50, max_input_tokens: 1000}`
	p := parsePlan(t, strings.Replace(incompletePlan, "TASK", task, 1), url, nil)
	var w warnings
	budget := decimal.NewFromInt(100)
	cfg := config(t, p, "s", url, &budget)
	cfg.OnWarning = w.add
	s := run(t, cfg)
	tk := s.Tasks[0]
	one, err := price(t).Cost(pricing.Usage{Input: 600})
	if err != nil {
		t.Fatal(err)
	}
	want := one.Mul(decimal.NewFromInt(tk.Requests))
	if tk.Requests == 0 || tk.Failures != tk.Requests || !tk.Cost.Equal(want) || !tk.CostEstimated.IsZero() || tk.IncompleteUsage != 0 || len(w.all()) != 0 {
		t.Errorf("%d requests (%d failed): cost %s (estimated %s), want %s; incomplete_usage %d, warnings %q",
			tk.Requests, tk.Failures, tk.Cost, tk.CostEstimated, want, tk.IncompleteUsage, w.all())
	}
}
