package summary

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/planner"
	"github.com/shopspring/decimal"
)

// workerSummary is a summary of one worker whose request names saw the given latencies (µs).
func workerSummary(t *testing.T, start time.Time, lat map[string][]int64, cost map[string]string, spent []string) *Run {
	t.Helper()
	s := &Run{Schema: Schema, Plan: "p", Scenario: "s", StartedAt: start, EndedAt: start.Add(10 * time.Second),
		StopReason: StopCompleted, DurationS: 10, Pass: true, Target: "mock://", Estimate: []byte("null"),
		Budget: &Budget{Limit: decimal.RequireFromString("5"), Currency: "USD"}}
	for _, name := range []string{"a", "b"} {
		vals, ok := lat[name]
		if !ok {
			continue
		}
		h := NewHistogram()
		for _, v := range vals {
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		enc, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		c := decimal.RequireFromString(cost[name])
		n := int64(len(vals))
		cpr := c.Div(decimal.NewFromInt(n))
		s.Tasks = append(s.Tasks, TaskStats{Name: name, Method: "POST", Requests: n, Failures: 1, RPS: float64(n) / 10,
			Latency: PercentilesOf(h), Histogram: enc, Cost: c, CostPerRequest: &cpr, CostSource: "anthropic", AvgContentSize: 100})
		s.Actual.Requests += n
		s.Actual.Failures++
		s.Actual.Cost = s.Actual.Cost.Add(c)
	}
	for i, sp := range spent {
		s.Timeline = append(s.Timeline, TimelinePoint{T: float64(i + 1), Users: 2, RPS: 3, Spent: decimal.RequireFromString(sp)})
	}
	s.Thresholds = []ThresholdResult{{Name: "p95", Scope: "plan", Limit: "50ms", Pass: true}, {Name: "failure_rate", Scope: "task:a", Limit: "10%", Pass: true}}
	return s
}

func randomLatencies(seed uint64, n int, median float64) []int64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(median*(0.3+rng.ExpFloat64())) + 1
	}
	return out
}

func TestMergeHistogramsExactly(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	a1, a2 := randomLatencies(1, 700, 20000), randomLatencies(2, 300, 45000)
	b1, b2 := randomLatencies(3, 50, 3000), randomLatencies(4, 900, 9000)
	w1 := workerSummary(t, t0, map[string][]int64{"a": a1, "b": b1}, map[string]string{"a": "1.234567891", "b": "0.1"}, []string{"0.5", "1.0", "1.334567891"})
	w2 := workerSummary(t, t0.Add(time.Second), map[string][]int64{"a": a2, "b": b2}, map[string]string{"a": "0.000000009", "b": "2.2"}, []string{"0.7", "2.200000009"})
	m, err := Merge(planner.MergeEstimates, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	all := func(vals ...[]int64) *hdrhistogram.Histogram {
		h := NewHistogram()
		for _, vs := range vals {
			for _, v := range vs {
				_ = h.RecordValue(v)
			}
		}
		return h
	}
	want := map[string]*hdrhistogram.Histogram{"a": all(a1, a2), "b": all(b1, b2)}
	for _, task := range m.Tasks {
		h, err := DecodeHistogram(task.Histogram)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Equals(want[task.Name]) {
			t.Errorf("%s: the merged histogram is not the histogram of all the values", task.Name)
		}
		wp := PercentilesOf(want[task.Name])
		if task.Latency.P50 != wp.P50 || task.Latency.P95 != wp.P95 || task.Latency.P99 != wp.P99 || task.Latency.P99_9 != wp.P99_9 {
			t.Errorf("%s: percentiles %+v, want those of all values %+v", task.Name, task.Latency, wp)
		}
		if task.Requests != want[task.Name].TotalCount() {
			t.Errorf("%s: %d requests, want %d", task.Name, task.Requests, want[task.Name].TotalCount())
		}
	}
	// The run's percentiles are those of every value of every worker and task.
	every := all(a1, a2, b1, b2)
	if got, w := m.Actual.Latency.P95, float64(every.ValueAtQuantile(95))/1000; got != w {
		t.Errorf("aggregated p95 %v, want %v from all values", got, w)
	}
	// An average of the workers' p95 would be another number: the merge did not average.
	if avg := (w1.Actual.Latency.P95 + w2.Actual.Latency.P95) / 2; avg == m.Actual.Latency.P95 && avg != 0 {
		t.Log("coincidence: the average equals the merged p95")
	}
	if want := decimal.RequireFromString("3.534567900"); !m.Actual.Cost.Equal(want) {
		t.Errorf("cost %s, want %s (decimal sum)", m.Actual.Cost, want)
	}
	if m.Actual.Requests != int64(len(a1)+len(a2)+len(b1)+len(b2)) || m.Actual.Failures != 4 {
		t.Errorf("requests %d failures %d", m.Actual.Requests, m.Actual.Failures)
	}
	if !m.Budget.Limit.Equal(decimal.RequireFromString("5")) {
		t.Errorf("a shared budget is kept: %s", m.Budget.Limit)
	}
	// Timelines: w2 started a second later; a worker that has ended counts with its last spent.
	wantSpent := []string{"0.5", "1.7", "3.534567900"}
	if len(m.Timeline) != 3 {
		t.Fatalf("timeline %+v", m.Timeline)
	}
	for i, w := range wantSpent {
		if !m.Timeline[i].Spent.Equal(decimal.RequireFromString(w)) {
			t.Errorf("t=%v spent %s, want %s", m.Timeline[i].T, m.Timeline[i].Spent, w)
		}
	}
	if m.Timeline[1].Users != 4 || m.Timeline[0].Users != 2 {
		t.Errorf("users %d, %d", m.Timeline[0].Users, m.Timeline[1].Users)
	}
	// Thresholds are judged again on the merged figures.
	for _, th := range m.Thresholds {
		switch th.Name {
		case "p95":
			if th.Pass || th.Actual == "" {
				t.Errorf("p95 under 50ms: %+v (the merged p95 is %v ms)", th, m.Actual.Latency.P95)
			}
		case "failure_rate":
			if !th.Pass || th.Actual != "0.2%" {
				t.Errorf("task a failure rate: %+v", th)
			}
		}
	}
	if m.Pass || m.ExitCode != 1 {
		t.Errorf("pass %v exit %d, want a failed threshold: exit 1", m.Pass, m.ExitCode)
	}
}

func TestMergeTestdataWorkers(t *testing.T) {
	t.Parallel()
	w1, w2 := readTestdata(t, "worker1.json"), readTestdata(t, "worker2.json")
	m, err := MergeFiles(planner.MergeEstimates, "testdata/worker1.json", "testdata/worker2.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Actual.Requests != w1.Actual.Requests+w2.Actual.Requests {
		t.Errorf("requests %d", m.Actual.Requests)
	}
	if !m.Actual.Cost.Equal(w1.Actual.Cost.Add(w2.Actual.Cost)) {
		t.Errorf("cost %s", m.Actual.Cost)
	}
	sum := decimal.Zero
	for _, task := range m.Tasks {
		sum = sum.Add(task.Cost)
		h, err := DecodeHistogram(task.Histogram)
		if err != nil {
			t.Fatal(err)
		}
		if h.TotalCount() != task.Requests {
			t.Errorf("%s: histogram of %d values, %d requests", task.Name, h.TotalCount(), task.Requests)
		}
		if task.Name == "chat_stream" && (task.TTFT == nil || task.TTFTHistogram == "") {
			t.Error("chat_stream lost its TTFT in the merge")
		}
	}
	if !sum.Equal(m.Actual.Cost) {
		t.Errorf("tasks add up to %s, actual %s", sum, m.Actual.Cost)
	}
	est, e1, e2 := estimateOf(t, m), estimateOf(t, w1), estimateOf(t, w2)
	if !est.Cost.Expected.Equal(e1.Cost.Expected.Add(*e2.Cost.Expected)) || est.MaxUsers != 50 {
		t.Errorf("estimate %s for %d users", est.Cost.Expected, est.MaxUsers)
	}
	// The merge is a valid summary: it reads back.
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("merged.json", b); err != nil {
		t.Fatal(err)
	}
}

func TestMergeRefusesOtherScenarios(t *testing.T) {
	t.Parallel()
	_, err := MergeFiles(planner.MergeEstimates, "testdata/worker1.json", "testdata/smoke.json")
	if err == nil || !strings.Contains(err.Error(), "testdata/smoke.json") || !strings.Contains(err.Error(), "scenario normal") {
		t.Errorf("err = %v", err)
	}
	if _, err := Merge(planner.MergeEstimates); err == nil {
		t.Error("merge of nothing: no error")
	}
}

func TestMergeStopReason(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	mk := func(r StopReason) *Run {
		s := workerSummary(t, t0, map[string][]int64{"a": {1000, 2000}}, map[string]string{"a": "0.01"}, nil)
		s.Thresholds = nil
		s.StopReason = r
		s.Actual.Failures = 0 // no failure: the implicit failure_rate passes
		return s
	}
	for _, tc := range []struct {
		parts []StopReason
		want  StopReason
		code  int
	}{
		{[]StopReason{StopCompleted, StopCompleted}, StopCompleted, 0},
		{[]StopReason{StopCompleted, StopBudgetExhausted}, StopBudgetExhausted, 4},
		{[]StopReason{StopInterrupted, StopBudgetExhausted}, StopInterrupted, 130},
		{[]StopReason{StopThresholdAbort, StopError}, StopError, 5},
	} {
		var parts []*Run
		for _, r := range tc.parts {
			parts = append(parts, mk(r))
		}
		m, err := Merge(planner.MergeEstimates, parts...)
		if err != nil {
			t.Fatal(err)
		}
		if m.StopReason != tc.want || m.ExitCode != tc.code {
			t.Errorf("%v: %s exit %d, want %s exit %d", tc.parts, m.StopReason, m.ExitCode, tc.want, tc.code)
		}
	}
}

// TestMergeProgress: the live view of several workers: counts add, percentiles come from the
// merged histograms, spent is the shared ledger's (not added), the projection adds what each
// worker projects beyond it.
func TestMergeProgress(t *testing.T) {
	t.Parallel()
	enc := func(ms ...int) string {
		h := NewHistogram()
		for _, v := range ms {
			RecordDuration(h, time.Duration(v)*time.Millisecond)
		}
		s, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	spent := decimal.RequireFromString("1.5")
	a := Progress{Users: 3, Spent: spent, Projected: decimal.RequireFromString("2.0"), Tasks: []TaskProgress{
		{Name: "chat", Method: "POST", Requests: 2, Cost: decimal.RequireFromString("0.5"), Histogram: enc(100, 200)}}}
	b := Progress{Users: 2, Spent: spent, Projected: decimal.RequireFromString("1.75"), Tasks: []TaskProgress{
		{Name: "chat", Method: "POST", Requests: 2, Cost: decimal.RequireFromString("0.25"), Histogram: enc(300, 400)}}}
	m, err := MergeProgress([]Progress{a, b})
	if err != nil {
		t.Fatal(err)
	}
	// 4 requests of 100..400 ms: max 400 ms (HDR: within 0.1 %); min 100 ms.
	if m.Users != 5 || m.Total.Requests != 4 || !m.Total.Cost.Equal(decimal.RequireFromString("0.75")) ||
		m.Total.Latency.Max < 399 || m.Total.Latency.Max > 401 || m.Total.Latency.Min < 99 || m.Total.Latency.Min > 101 {
		t.Errorf("merged: %d users, %d requests, cost %s, latency %+v", m.Users, m.Total.Requests, m.Total.Cost, m.Total.Latency)
	}
	// Spent 1.5 (shared); projected 1.5 + (2.0 - 1.5) + (1.75 - 1.5) = 2.25.
	if !m.Spent.Equal(spent) || !m.Projected.Equal(decimal.RequireFromString("2.25")) {
		t.Errorf("spent %s, projected %s; want 1.5 and 2.25", m.Spent, m.Projected)
	}
	if m.GoodKnown {
		t.Error("goodput known, though neither worker counted it")
	}
	// Goodput adds when every worker counted it; a recovered summary carries it.
	a.GoodKnown, b.GoodKnown = true, true
	a.Tasks[0].Good, a.Tasks[0].WastedCost = 1, decimal.RequireFromString("0.25")
	b.Tasks[0].Good, b.Tasks[0].WastedCost = 2, decimal.Zero
	m, err = MergeProgress([]Progress{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !m.GoodKnown || m.Total.Good != 3 || !m.Total.WastedCost.Equal(decimal.RequireFromString("0.25")) || m.Tasks[0].Good != 3 {
		t.Errorf("merged goodput: known %v, %d good, wasted %s", m.GoodKnown, m.Total.Good, m.Total.WastedCost)
	}
	m.Elapsed = 10 * time.Second
	r := FromProgress("p", "s", time.Now(), m)
	if g := r.Actual.Goodput; g == nil || g.Good != 3 || g.GoodputRPS != 0.3 || *g.SLOAttainment != 0.75 ||
		!g.CostPerGoodRequest.Equal(decimal.RequireFromString("0.25")) || r.Tasks[0].Goodput == nil {
		t.Errorf("summary from progress: goodput %+v", g)
	}
}

// TestMergeEstimateElapsed: workers that all stopped early merge their estimates for what
// ran (summed), and the merged cost is judged against that; with one worker that ran its
// schedule there is none.
func TestMergeEstimateElapsed(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	f := func(x float64) *float64 { return &x }
	mk := func(elapsed float64, exp string) *Run {
		s := workerSummary(t, t0, map[string][]int64{"a": {1000, 2000}}, map[string]string{"a": "0.01"}, nil)
		s.StopReason, s.Partial = StopBudgetExhausted, true
		s.SetEstimateElapsed(&ElapsedEstimate{ElapsedS: elapsed, Requests: ElapsedRequests{Low: f(1), Expected: f(2), Worst: nil},
			Cost: ElapsedCost{Low: d("0.005"), Expected: d(exp), Worst: nil}})
		return s
	}
	m, err := Merge(planner.MergeEstimates, mk(29.6, "0.02"), mk(30.1, "0.03"))
	if err != nil {
		t.Fatal(err)
	}
	e := m.EstimateElapsed
	// 0.02 + 0.03 = 0.05 expected for what ran; the cost 0.01 + 0.01 = 0.02: -60 %.
	if e == nil || !e.Cost.Expected.Equal(decimal.RequireFromString("0.05")) || e.ElapsedS != 30.1 || *e.Requests.Expected != 4 || e.Cost.Worst != nil {
		t.Fatalf("merged estimate_elapsed %+v", e)
	}
	if p := m.Actual.EstimateErrorPct; p == nil || *p != -60 {
		t.Errorf("estimate_error_pct %v, want -60", p)
	}
	done := workerSummary(t, t0, map[string][]int64{"a": {1000}}, map[string]string{"a": "0.01"}, nil)
	if m, err := Merge(planner.MergeEstimates, mk(29.6, "0.02"), done); err != nil || m.EstimateElapsed != nil {
		t.Errorf("with a completed worker: %v %+v", err, m.EstimateElapsed)
	}
}
