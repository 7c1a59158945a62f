package executor

import (
	"strings"
	"sync"
	"testing"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// checkGoodput checks the derived figures of g against the row's requests and cost.
func checkGoodput(t *testing.T, name string, g *summary.Goodput, requests int64, cost decimal.Decimal) {
	t.Helper()
	if g == nil {
		t.Fatalf("%s: no goodput", name)
	}
	if g.SLOAttainment == nil || *g.SLOAttainment != float64(g.Good)/float64(requests) {
		t.Errorf("%s: attainment %v of %d/%d", name, g.SLOAttainment, g.Good, requests)
	}
	if g.Good > 0 && (g.CostPerGoodRequest == nil || !g.CostPerGoodRequest.Equal(cost.Div(decimal.NewFromInt(g.Good)))) {
		t.Errorf("%s: cost per good %v, cost %s, good %d", name, g.CostPerGoodRequest, cost, g.Good)
	}
	if g.Good == 0 && g.CostPerGoodRequest != nil {
		t.Errorf("%s: cost per good %v with none good", name, g.CostPerGoodRequest)
	}
	if g.WastedCost.IsNegative() || g.WastedCost.GreaterThan(cost) {
		t.Errorf("%s: wasted %s of %s", name, g.WastedCost, cost)
	}
}

// TestGoodputSLO: against the mock, a task whose SLO no request can meet (a TTFT of 1 ns on
// a stream, 10^9 output tokens/s on a plain request) has no good request and all its cost
// wasted; a task whose SLO every request meets (latency 1 h, from the plan) has every request
// good and nothing wasted; the run's figures are the sums. The TTFT criterion does not apply
// to a request that is not a stream.
// Not parallel: see main_test.go.
func TestGoodputSLO(t *testing.T) {
	url, srv := startMock(t, nil)
	src := strings.Replace(costPlan, "tasks:\n", "slo: {latency: 1h}\ntasks:\n", 1)
	src = strings.Replace(src, "    expect: {input_tokens: 1500,", "    slo: {ttft: 1ns}\n    expect: {input_tokens: 1500,", 1)
	src = strings.Replace(src, "    expect: {input_tokens: 1200,", "    slo: {min_output_tokens_per_s: 1000000000}\n    expect: {input_tokens: 1200,", 1)
	src = strings.Replace(src, "  messages:\n", "  messages:\n    slo: {ttft: 1ns}\n    thresholds: {cost_per_1k_good: 1000}\n", 1)
	src = strings.Replace(src, "  stream:\n", "  stream:\n    thresholds: {wasted_cost_share: 99%}\n", 1)
	src = strings.Replace(src, "tasks:\n", "thresholds: {slo_attainment: 10%}\ntasks:\n", 1)
	src = strings.Replace(src, "wait: {constant: 5ms}}", "wait: {constant: 5ms}, thresholds: {goodput: 1000000/s}}", 1)
	p := parsePlan(t, src, url, nil)
	cfg := config(t, p, "s", url, nil)
	var mu sync.Mutex
	var last summary.Progress
	cfg.OnProgress = func(pr summary.Progress) {
		mu.Lock()
		last = pr
		mu.Unlock()
	}
	s := run(t, cfg)
	if led := srv.Ledger().Snapshot(); !s.Actual.Cost.Equal(led.Cost) {
		t.Fatalf("cost %s, ledger %s", s.Actual.Cost, led.Cost)
	}
	var good int64
	wasted := decimal.Zero
	for _, tk := range s.Tasks {
		if tk.Requests == 0 || tk.Failures != 0 {
			t.Fatalf("%s: %d requests, %d failures", tk.Name, tk.Requests, tk.Failures)
		}
		checkGoodput(t, tk.Name, tk.Goodput, tk.Requests, tk.Cost)
		switch tk.Name {
		case "stream", "chat":
			if tk.Good != 0 || !tk.WastedCost.Equal(tk.Cost) {
				t.Errorf("%s: %d good, wasted %s of %s; want none good, all wasted", tk.Name, tk.Good, tk.WastedCost, tk.Cost)
			}
		default: // messages: ttft does not apply to a plain response
			if tk.Good != tk.Requests || !tk.WastedCost.IsZero() {
				t.Errorf("%s: %d good of %d, wasted %s; want all good", tk.Name, tk.Good, tk.Requests, tk.WastedCost)
			}
		}
		good += tk.Good
		wasted = wasted.Add(tk.WastedCost)
	}
	checkGoodput(t, "run", s.Actual.Goodput, s.Actual.Requests, s.Actual.Cost)
	if s.Actual.Good != good || !s.Actual.WastedCost.Equal(wasted) || good == 0 || good == s.Actual.Requests {
		t.Errorf("run: %d good, wasted %s; tasks: %d good, wasted %s", s.Actual.Good, s.Actual.WastedCost, good, wasted)
	}
	// Judged at each scope: the plan's floor holds, the scenario's rate cannot, the stream
	// wasted all it cost, the messages' good requests were cheap.
	want := map[string]bool{"plan slo_attainment": true, "scenario goodput": false,
		"task stream wasted_cost_share": false, "task messages cost_per_1k_good": true}
	for _, th := range s.Thresholds {
		k := th.Scope + " " + th.Task + " " + th.Name
		k = strings.ReplaceAll(k, "  ", " ")
		if pass, ok := want[k]; ok {
			if th.Pass != pass || th.Actual == summary.NoData {
				t.Errorf("%s %s: actual %s pass %v", k, th.Limit, th.Actual, th.Pass)
			}
			delete(want, k)
		}
	}
	if len(want) > 0 {
		t.Errorf("not judged: %v (got %+v)", want, s.Thresholds)
	}
	if s.Actual.GoodputRPS <= 0 || s.Actual.GoodputRPS >= s.Actual.RPS {
		t.Errorf("goodput %v/s, rps %v", s.Actual.GoodputRPS, s.Actual.RPS)
	}
	// The live progress counts them as it goes: at its last report, some good and some not,
	// never more than the end's.
	mu.Lock()
	defer mu.Unlock()
	if tot := last.Total; last.Tasks != nil && (!last.GoodKnown || tot.Good > s.Actual.Good || tot.Good > tot.Requests ||
		tot.WastedCost.GreaterThan(s.Actual.WastedCost) || tot.Requests > 0 && tot.Good == tot.Requests) {
		t.Errorf("progress: known %v, %d good of %d, wasted %s (end: %d good, wasted %s)", last.GoodKnown, tot.Good, tot.Requests,
			tot.WastedCost, s.Actual.Good, s.Actual.WastedCost)
	}
}

// TestGoodputFailures: with no SLO, every successful request is good, and what the failed
// ones cost (cut streams are billed for what they produced) is the wasted cost: the cost of
// the good requests plus the wasted cost is the whole cost, which is the mock's bill.
// Not parallel: see main_test.go.
func TestGoodputFailures(t *testing.T) {
	url, srv := startMock(t, func(cfg *mock.Config) {
		cfg.Faults = mock.Faults{StreamCut: 0.2, Status500: 0.05, RateLimited: 0.05}
	})
	p := parsePlan(t, costPlan, url, nil)
	s := run(t, config(t, p, "s", url, nil))
	led := srv.Ledger().Snapshot()
	if s.Actual.Cost.LessThan(led.Cost) {
		t.Fatalf("cost %s under the ledger %s", s.Actual.Cost, led.Cost)
	}
	for _, tk := range s.Tasks {
		checkGoodput(t, tk.Name, tk.Goodput, tk.Requests, tk.Cost)
		if tk.Good != tk.Requests-tk.Failures {
			t.Errorf("%s: %d good of %d requests, %d failed", tk.Name, tk.Good, tk.Requests, tk.Failures)
		}
		if tk.Failures == 0 && !tk.WastedCost.IsZero() {
			t.Errorf("%s: wasted %s without a failure", tk.Name, tk.WastedCost)
		}
	}
	st := row(s, "stream")
	if st.Failures == 0 || !st.WastedCost.IsPositive() {
		t.Errorf("stream: %d failures, wasted %s; want cut streams billed and wasted", st.Failures, st.WastedCost)
	}
	if s.Actual.Good != s.Actual.Requests-s.Actual.Failures || !s.Actual.WastedCost.IsPositive() {
		t.Errorf("run: %d good of %d (%d failed), wasted %s", s.Actual.Good, s.Actual.Requests, s.Actual.Failures, s.Actual.WastedCost)
	}
}
