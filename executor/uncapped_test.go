package executor

import (
	"io"
	"net/http"
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

const unboundedPlan = `version: 1
name: unbounded
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  reported:
    request: {method: POST, path: /reported, json: {message: hi}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10}
  silent:
    request: {method: POST, path: /silent, json: {message: hi}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10}
scenarios:
  s: {users: 2, duration: 500ms, wait: {constant: 20ms}}
`

// TestUncappedUnbounded: with no budget, a step with no output bound reserves nothing, is
// never an overrun, and is charged what its responses report; a response that reports
// nothing is charged nothing and counted unpriced, not silently.
func TestUncappedUnbounded(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/reported", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"reply": "x", "usage": {"input_tokens": 100, "output_tokens": 1000}}`)
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"reply": "x"}`) })
	url := server(t, mux).URL
	p := parsePlan(t, unboundedPlan, url, nil)
	cfg := config(t, p, "s", url, nil)
	if len(cfg.Bounds) != 0 {
		t.Fatalf("bounds %v: the steps should have none", cfg.Bounds)
	}
	s := run(t, cfg)
	if s.StopReason != summary.StopCompleted || s.Meter.Overruns != 0 || !s.Meter.BoundsHeld {
		t.Fatalf("stop %s (%s), meter %+v", s.StopReason, s.StopDetail, s.Meter)
	}
	rep, sil := row(s, "reported"), row(s, "silent")
	if rep.Requests == 0 || sil.Requests == 0 {
		t.Fatalf("requests: reported %d, silent %d", rep.Requests, sil.Requests)
	}
	// 100 input and 1,000 output tokens at $3 and $15 per million: $0.0153 a response.
	if want := decimal.RequireFromString("0.0153").Mul(decimal.NewFromInt(rep.Requests)); !rep.Cost.Equal(want) || !s.Meter.Spent.Equal(want) {
		t.Errorf("reported: cost %s, spent %s, want %s", rep.Cost, s.Meter.Spent, want)
	}
	if !sil.Cost.IsZero() || s.Actual.UnpricedResponses != sil.Requests || s.Meter.UnreportedCharged != sil.Requests {
		t.Errorf("silent: cost %s, unpriced %d, unreported %d, want %d of each", sil.Cost, s.Actual.UnpricedResponses, s.Meter.UnreportedCharged, sil.Requests)
	}
}
