package executor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// promReadmePlan is the README's Prometheus configuration (input and output counters, an
// output bound, no input bound) under ordinary concurrency.
const promReadmePlan = `version: 1
name: prom
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  dte:
    request: {method: POST, path: /api/dte/validate, json: {message: "validate {{seq}}"}}
    usage: {prometheus: {path: /metrics, input: 'claude_api_tokens_total{type="input"}', output: 'claude_api_tokens_total{type="output"}'}}
    expect: {input_tokens: 2500, output_tokens: 200, max_output_tokens: 400}
scenarios:
  s: {users: 10, duration: 3s, wait: {between: [50ms, 150ms]}}
`

// TestPrometheusNoFalseOverrun: requests within their bounds are never an overrun, however
// the counters' growth falls between scrapes; the meter ends equal to the counters.
func TestPrometheusNoFalseOverrun(t *testing.T) {
	t.Parallel()
	url, srv := startMock(t, func(cfg *mock.Config) { cfg.TimeScale = 0.1 })
	p := parsePlan(t, promReadmePlan, url, nil)
	budget := decimal.NewFromInt(50)
	var over atomic.Bool
	cfg := config(t, p, "s", url, &budget)
	cfg.OnProgress = func(pr summary.Progress) {
		if pr.Spent.Add(pr.Reserved).GreaterThan(budget) {
			over.Store(true)
		}
	}
	s := run(t, cfg)
	if s.StopReason != summary.StopCompleted || s.Meter.Overruns != 0 || !s.Meter.BoundsHeld {
		t.Fatalf("stop %s (%s), meter %+v", s.StopReason, s.StopDetail, s.Meter)
	}
	led := srv.Ledger().Snapshot()
	want := led.Tokens
	// Only the input and output counters are read.
	if s.Actual.Tokens.Input != want.Input || s.Actual.Tokens.Output != want.Output || !s.Meter.Reserved.IsZero() {
		t.Errorf("tokens %+v, ledger %+v, reserved %s", s.Actual.Tokens, want, s.Meter.Reserved)
	}
	if over.Load() {
		t.Errorf("spent + reserved went over the budget")
	}
}

// promFakePlan prices one step by a service's token counters: worst case 1,000 input and 10
// output tokens ($0.00315); each request below uses 800 and 10 ($0.00255).
const promFakePlan = `version: 1
name: promfake
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  t:
    request: {path: /x}
    usage: {prometheus: {path: /metrics, input: 'tok{type="input"}', output: 'tok{type="output"}'}}
    expect: {input_tokens: 800, max_input_tokens: 1000, output_tokens: 10, max_output_tokens: 10}
scenarios:
  s: {users: 1, duration: 1s}
`

// TestPrometheusBatches settles scrapes by hand: the growth of requests completed after the
// previous scrape (still pending) is not the batch's, and is carried forward, not an
// overrun; growth beyond everything not yet settled reserved, or left at the end, is.
func TestPrometheusBatches(t *testing.T) {
	t.Parallel()
	var in, out atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tok{type=\"input\"} %d\ntok{type=\"output\"} %d\n", in.Load(), out.Load())
	})).URL
	use := func(n int64) { in.Add(800 * n); out.Add(10 * n) }
	one := decimal.RequireFromString("0.00255")   // what a request used
	worst := decimal.RequireFromString("0.00315") // what it reserved
	ctx := context.Background()
	type step struct {
		complete int   // requests completed (reserved, counted, queued) before the scrape
		extra    int64 // input tokens counted that no request of ours reserved
		final    bool
	}
	tests := []struct {
		name    string
		steps   []step
		overrun bool
		spent   decimal.Decimal
	}{
		// 1 completes; scrape; 3 complete; scrape: the batch is the first alone, the growth
		// 4 requests' worth; final.
		{"carried forward", []step{{complete: 1}, {complete: 3}, {final: true}}, false, one.Mul(decimal.NewFromInt(4))},
		// The growth of two requests beyond all that is reserved: an overrun at once.
		{"beyond every reservation", []step{{complete: 1}, {complete: 1, extra: 2000}}, true, decimal.Zero},
		// Growth within the reservations, left at the end beyond them: an overrun at the end.
		{"left at the end", []step{{complete: 1}, {complete: 1, extra: 100}, {final: true, extra: 400}}, true, decimal.Zero},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in.Store(0)
			out.Store(0)
			p := parsePlan(t, promFakePlan, url, nil)
			budget := decimal.NewFromInt(1)
			r := testRunner(t, config(t, p, "s", url, &budget))
			s := r.tasks[0].steps[0]
			m := s.cost.prom
			if err := m.scraper.Baseline(ctx); err != nil {
				t.Fatal(err)
			}
			for _, st := range tc.steps {
				for range st.complete {
					res, err := r.ledger.Reserve(ctx, s.cost.worst)
					if err != nil || !res.Amount.Equal(worst) {
						t.Fatalf("reserve %s: %v", res.Amount, err)
					}
					m.begin(res)
					use(1)
					m.add(res, s, true)
				}
				in.Add(st.extra)
				m.scrape(ctx, r, st.final)
				snap := r.ledger.Snapshot()
				if snap.Overruns == 0 && snap.Spent.Add(snap.Reserved).GreaterThan(budget) {
					t.Errorf("spent %s + reserved %s over the budget", snap.Spent, snap.Reserved)
				}
			}
			snap := r.ledger.Snapshot()
			var c *stopCause
			errors.As(context.Cause(r.stopCtx), &c)
			if got := c != nil && c.reason == summary.StopOverrun; got != tc.overrun || (snap.Overruns > 0) != tc.overrun {
				t.Fatalf("overrun %v (%v), ledger overruns %d; want %v", got, c, snap.Overruns, tc.overrun)
			}
			if !tc.overrun && !snap.Spent.Equal(tc.spent) {
				t.Errorf("spent %s, want %s", snap.Spent, tc.spent)
			}
			// Nothing is left out: what was charged and what is still held for the requests
			// not yet settled is all the counters grew by ($3 and $15 per million tokens).
			growth := decimal.NewFromInt(in.Load()*3 + out.Load()*15).Shift(-6)
			if !snap.Spent.Add(snap.Reserved).Equal(growth) {
				t.Errorf("spent %s + reserved %s, the counters grew by %s", snap.Spent, snap.Reserved, growth)
			}
		})
	}
}
