package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
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
	url := lateOverrunServer(t, 2*time.Second)
	p := parsePlan(t, lateOverrunPlan, url, nil)
	budget := decimal.NewFromInt(5)
	for _, name := range []string{"short", "abort"} {
		t.Run(name, func(t *testing.T) {
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
	url := lateOverrunServer(t, 0)
	p := parsePlan(t, lateOverrunPlan, url, nil)
	r := testRunner(t, config(t, p, "short", url, nil))
	r.overrun(r.tasks[0].steps[0], decimal.RequireFromString("0.00035"), decimal.RequireFromString("0.000351"))
	var c *stopCause
	if !errors.As(context.Cause(r.stopCtx), &c) {
		t.Fatal("no stop cause")
	}
	if !strings.Contains(c.detail, "$0.000351") || !strings.Contains(c.detail, "$0.00035:") && !strings.Contains(c.detail, "$0.00035 ") {
		t.Errorf("detail %q", c.detail)
	}
}

const checkPlan = `version: 1
name: checks
target: TARGET
tasks:
  get: {request: {path: /id}, check: {json: {$.id: ok}}, price: free}
scenarios:
  s: {users: 1, duration: 1s}
`

// TestFailureKeys: a check failure is keyed on the check, not on the value it met (one row
// with a sample value), and a request name's distinct failures are capped.
func TestFailureKeys(t *testing.T) {
	var n atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id": "cap-%d"}`, n.Add(1))
	})).URL
	p := parsePlan(t, checkPlan, url, nil)
	r := testRunner(t, config(t, p, "s", url, nil))
	u := testUser(t, r, 1)
	st := r.tasks[0].steps[0]
	for range 50 {
		r.runStep(u, st)
	}
	fs := r.stats.failureList()
	if len(fs) != 1 || fs[0].Occurrences != 50 || fs[0].Error != "check failed: $.id expected ok, e.g. got cap-1" {
		t.Fatalf("failures %+v", fs)
	}
	for i := range maxFailureKeys + 500 {
		r.stats.fail(st.stat, fmt.Sprintf("error %d", i), "")
	}
	fs = r.stats.failureList()
	other := int64(0)
	for _, f := range fs {
		if f.Error == otherErrors {
			other = f.Occurrences
		}
	}
	if len(fs) != maxFailureKeys+1 || other != 501 {
		t.Errorf("%d failure rows, %d other errors; want %d and 501", len(fs), other, maxFailureKeys+1)
	}
}

// TestConfigError: a plan the executor cannot compile is a *ConfigError, before anything is
// sent.
func TestConfigError(t *testing.T) {
	var hits atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })).URL
	p := parsePlan(t, checkPlan, url, nil)
	p.Tasks[0].Steps[0].Request.Path = "http://evil.example.com/x"
	_, err := Run(context.Background(), config(t, p, "s", url, nil))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "evil.example.com is not allowed") {
		t.Errorf("error %v (%T)", err, err)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent", hits.Load())
	}
}

// TestUnreachableTaskURL: a task's own URL that refuses connections is named, not the target.
func TestUnreachableTaskURL(t *testing.T) {
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).URL
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	p := parsePlan(t, strings.Replace(checkPlan, "path: /id", "url: "+refused+"/x", 1), url, nil)
	s := run(t, config(t, p, "s", url, nil))
	if s.StopReason != summary.StopError || !strings.Contains(s.StopDetail, refused+" (the url of get) unreachable: connection refused") || strings.Contains(s.StopDetail, url) {
		t.Errorf("stop %s (%s)", s.StopReason, s.StopDetail)
	}
}

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
					m.add(res, s.stat, false)
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

// TestTaskThresholdScope: a task's threshold has scope task and names its task (DESIGN.md's
// scopes are plan, scenario and task).
func TestTaskThresholdScope(t *testing.T) {
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id": "ok"}`) })).URL
	p := parsePlan(t, strings.Replace(checkPlan, "price: free}", "price: free, thresholds: {failure_rate: 0%}}", 1), url, nil)
	s := run(t, config(t, p, "s", url, nil))
	if len(s.Thresholds) != 1 {
		t.Fatalf("thresholds %+v", s.Thresholds)
	}
	th := s.Thresholds[0]
	if th.Scope != "task" || th.Task != "get" || th.ScopeText() != "task get" || !th.Pass {
		t.Errorf("%+v", th)
	}
}

// TestEarlyProjection: in the first pacing period of a paced run (everyone sends at once) the
// projection leans on the estimate, not on the burst; after it, on what was seen.
func TestEarlyProjection(t *testing.T) {
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).URL
	p := parsePlan(t, strings.Replace(checkPlan, "s: {users: 1, duration: 1s}", "s: {users: 50, duration: 10m, wait: {pacing: 20s}}", 1), url, nil)
	cfg := config(t, p, "s", url, nil)
	expected := decimal.RequireFromString("10.62")
	cfg.ExpectedCost = &expected
	r := testRunner(t, cfg)
	// 50 users sent their first request at once: $0.50 in the first second.
	r.timeline = []summary.TimelinePoint{{T: 0, Spent: decimal.Zero}, {T: 1, Spent: decimal.RequireFromString("0.5")}}
	tot := total(nil, nil, true)
	perSec := func(int64) float64 { return 0 }
	snap := r.ledger.Snapshot()
	snap.Spent = decimal.RequireFromString("0.5")
	pr := r.progress(time.Second, nil, &tot, snap, perSec)
	// Unblended: $0.50 + $0.50/s × 599 s = $300. Blended (1 s of a 60 s warm-up): about $16.
	if !pr.ProjectedEarly || pr.Projected.GreaterThan(decimal.NewFromInt(20)) || pr.Projected.LessThan(expected) {
		t.Errorf("at 1 s: projected %s (early %v)", pr.Projected, pr.ProjectedEarly)
	}
	// After the warm-up (60 s: a tenth of 10 m, longer than the 20 s pacing) the rate seen
	// alone: $0.50 a minute for the 9 minutes left.
	r.timeline = []summary.TimelinePoint{{T: 0, Spent: decimal.Zero}, {T: 60, Spent: decimal.RequireFromString("0.5")}}
	pr = r.progress(time.Minute, nil, &tot, snap, perSec)
	if pr.ProjectedEarly || pr.Projected.Sub(decimal.NewFromInt(5)).Abs().GreaterThan(decimal.New(1, -9)) {
		t.Errorf("at 60 s: projected %s (early %v)", pr.Projected, pr.ProjectedEarly)
	}
}
