package executor

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestTaskThresholdScope: a task's threshold has scope task and names its task (DESIGN.md's
// scopes are plan, scenario and task).
func TestTaskThresholdScope(t *testing.T) {
	t.Parallel()
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

// TestJudgeRows: the executor judges its own counters with summary.Judge. A task's threshold
// sees the task's rows only; a latency threshold reads their merged histograms; a share is
// written as everywhere else (1 failure in 800 is 0.13%).
func TestJudgeRows(t *testing.T) {
	t.Parallel()
	chat, ping := newHist(), newHist()
	for i := range 800 {
		summary.RecordDuration(chat, time.Duration(i+1)*time.Millisecond) // 1 ms to 800 ms
	}
	for range 200 {
		summary.RecordDuration(ping, 2*time.Millisecond)
	}
	rows := []rowSnap{
		{name: "chat", task: "chat", requests: 800, failures: 1, lat: chat, ttft: newHist(), reported: 800, cacheHits: 564,
			cost: decimal.RequireFromString("8")},
		{name: "ping", task: "ping", requests: 200, lat: ping, ttft: newHist()},
	}
	tests := []struct {
		kind          plan.ThresholdKind
		scope, limit  string
		actual        string
		pass          bool
		inScope       int64
		latencyActual bool
	}{
		{plan.ThFailureRate, "task:chat", "1%", "0.13%", true, 800, false},
		{plan.ThFailureRate, "plan", "0.05%", "0.1%", false, 1000, false}, // 1 in 1,000
		{plan.ThCacheHitRate, "task:chat", "70%", "70.5%", true, 800, false},
		{plan.ThCacheHitRate, "task:ping", "70%", summary.NoData, false, 200, false}, // no usage reported
		{plan.ThTTFTP95, "plan", "1s", summary.NoData, false, 1000, false},
		{plan.ThRPS, "plan", "100/s", "100.00/s", true, 1000, false}, // 1,000 requests in 10 s
		{plan.ThCostPerRequest, "task:chat", "0.01", "0.01", true, 800, false},
		{plan.ThTotalCost, "plan", "7.99", "8", false, 1000, false},
		{plan.ThP95, "task:ping", "2ms", "2ms", true, 200, true},
		{plan.ThP95, "task:chat", "700ms", "", false, 800, true}, // about 760 ms
	}
	for _, tc := range tests {
		th, err := plan.ParseThreshold(tc.kind, tc.scope, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		res, n := judge(th, rows, 10*time.Second)
		if n != tc.inScope || res.Pass != tc.pass || tc.actual != "" && res.Actual != tc.actual {
			t.Errorf("%s %s %s: %q pass %v, %d in scope; want %q %v, %d", tc.kind, tc.scope, tc.limit, res.Actual, res.Pass, n, tc.actual, tc.pass, tc.inScope)
		}
		if tc.latencyActual && !strings.HasSuffix(res.Actual, "ms") {
			t.Errorf("%s %s: actual %q, want milliseconds", tc.kind, tc.scope, res.Actual)
		}
	}
}
