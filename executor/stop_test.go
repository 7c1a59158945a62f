package executor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// overrunBody is an Anthropic-shaped answer whose usage is far above the bounds of
// lateOverrunPlan's chat step.
const overrunBody = `{"id": "m", "reply": "x", "usage": {"input_tokens": 10, "output_tokens": 50000}}`

// lateOverrunPlan: chat answers after its scenario's end (or after the abort below) with
// more output than its max_output_tokens: an overrun once the run has already stopped.
const lateOverrunPlan = `version: 1
name: late
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    weight: 1
    request: {method: POST, path: /slow, json: {message: hi}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10, max_input_tokens: 20, max_output_tokens: 20}
  ping: {weight: 5, request: {path: /ping}, price: free}
scenarios:
  short: {users: 3, duration: 1s, wait: {constant: 10ms}}
  abort: {users: 3, duration: 30s, wait: {constant: 10ms}, thresholds: {p50: {limit: 1ms, abort_on_fail: true}}}
`

func lateOverrunServer(t *testing.T, slow time.Duration) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, overrunBody)
	})
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		io.WriteString(w, "ok")
	})
	return server(t, mux).URL
}

// TestOverrunAfterStop: an overrun after the run stopped for another reason (its end, an
// aborting threshold) is still the run's outcome: stop reason overrun, whatever stopped new
// work first (DESIGN.md, "Exit codes": 4 before 1 and 0).
func TestOverrunAfterStop(t *testing.T) {
	t.Parallel()
	url := lateOverrunServer(t, 2*time.Second)
	p := parsePlan(t, lateOverrunPlan, url, nil)
	budget := decimal.NewFromInt(5)
	for _, name := range []string{"short", "abort"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := run(t, config(t, p, name, url, &budget))
			if s.StopReason != summary.StopOverrun || s.Meter.Overruns == 0 || s.Meter.BoundsHeld {
				t.Fatalf("stop %s (%s), meter %+v", s.StopReason, s.StopDetail, s.Meter)
			}
			if s.StopReason.ExitCode(s.Pass) != 4 {
				t.Errorf("exit %d, want 4", s.StopReason.ExitCode(s.Pass))
			}
			if !strings.Contains(s.StopDetail, "chat cost") {
				t.Errorf("detail %q", s.StopDetail)
			}
		})
	}
}

// TestStopPrecedence: the reasons recorded, in any order, give the one DESIGN.md ranks first.
func TestStopPrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reasons []summary.StopReason
		want    summary.StopReason
	}{
		{"completed only", []summary.StopReason{summary.StopCompleted}, summary.StopCompleted},
		{"overrun after the end", []summary.StopReason{summary.StopCompleted, summary.StopOverrun}, summary.StopOverrun},
		{"overrun after a threshold abort", []summary.StopReason{summary.StopThresholdAbort, summary.StopOverrun}, summary.StopOverrun},
		{"budget after the end", []summary.StopReason{summary.StopCompleted, summary.StopBudgetExhausted}, summary.StopBudgetExhausted},
		{"error after an overrun", []summary.StopReason{summary.StopOverrun, summary.StopError}, summary.StopError},
		{"interrupted first", []summary.StopReason{summary.StopInterrupted, summary.StopError, summary.StopOverrun}, summary.StopInterrupted},
		{"interrupted last", []summary.StopReason{summary.StopCompleted, summary.StopOverrun, summary.StopInterrupted}, summary.StopInterrupted},
		{"threshold abort after the end", []summary.StopReason{summary.StopCompleted, summary.StopThresholdAbort}, summary.StopThresholdAbort},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cs []*stopCause
			for _, r := range tc.reasons {
				cs = append(cs, &stopCause{reason: r, detail: string(r)})
			}
			got, _ := outcomeOf(cs)
			if got.reason != tc.want {
				t.Errorf("%v: %s, want %s", tc.reasons, got.reason, tc.want)
			}
		})
	}
}

// TestOverrunMessagePrecision: the overrun sentence shows both amounts in full, so that they
// never read the same.
func TestOverrunMessagePrecision(t *testing.T) {
	t.Parallel()
	url := lateOverrunServer(t, 0)
	p := parsePlan(t, lateOverrunPlan, url, nil)
	r := testRunner(t, config(t, p, "short", url, nil))
	r.overrun(r.tasks[0].steps[0], decimal.RequireFromString("0.00035"), charged{total: decimal.RequireFromString("0.000351")})
	var c *stopCause
	if !errors.As(context.Cause(r.stopCtx), &c) {
		t.Fatal("no stop cause")
	}
	if !strings.Contains(c.detail, "$0.000351") || !strings.Contains(c.detail, "$0.00035:") && !strings.Contains(c.detail, "$0.00035 ") {
		t.Errorf("detail %q", c.detail)
	}
}
