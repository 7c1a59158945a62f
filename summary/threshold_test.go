package summary

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

func TestFormatPct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		share float64
		want  string
	}{
		{1.0 / 800, "0.13%"},       // 0.125% exactly: half away from zero
		{57.0 / 800, "7.13%"},      // 7.125%: 57/800 × 10,000 is 712.4999999999999 in floats
		{1.0 / 32, "3.13%"},        // 3.125%, exact in binary too: %.2f rounds it to even, 3.12
		{3.0 / 160, "1.88%"},       // 1.875%
		{1.0 / 124, "0.81%"},       // 0.806…%
		{1.0 / 3, "33.33%"},        // 33.333…%
		{2.0 / 3, "66.67%"},        // 66.666…%
		{0.005, "0.5%"},            // trailing zeros go
		{0, "0%"},                  //
		{1, "100%"},                //
		{0.99995, "100%"},          // 99.995% rounds up to 100
		{0.00004, "0%"},            // 0.004%
		{0.00005, "0.01%"},         // 0.005%: half away from zero
		{1.0 / 7, "14.29%"},        // 14.2857…%
		{1234.5 / 100000, "1.23%"}, // 1.2345%: only the second decimal's neighbour counts
	}
	for _, tc := range tests {
		if got := FormatPct(tc.share); got != tc.want {
			t.Errorf("FormatPct(%v) = %s, want %s", tc.share, got, tc.want)
		}
	}
	fixed := []struct {
		share  float64
		places int32
		want   string
	}{
		{1.0 / 800, 2, "0.13%"},
		{0, 2, "0.00%"},
		{0.5, 2, "50.00%"},
		{0.705, 0, "71%"}, // 70.5%
		{0.125, 0, "13%"}, // 12.5%: %.0f gives 12
		{0.0125, 1, "1.3%"},
	}
	for _, tc := range fixed {
		if got := FormatPctFixed(tc.share, tc.places); got != tc.want {
			t.Errorf("FormatPctFixed(%v, %d) = %s, want %s", tc.share, tc.places, got, tc.want)
		}
	}
}

// TestFormatPctExact: a share of two counts k/n is written as the exact fraction rounds half
// away from zero to hundredths of a percent, for every k ≤ n ≤ 200 and n of 800 and 1,600
// (ties included: 1 in 800, 57 in 800, 1 in 32, 3 in 160, ...).
func TestFormatPctExact(t *testing.T) {
	t.Parallel()
	var ns []int64
	for n := int64(1); n <= 200; n++ {
		ns = append(ns, n)
	}
	for _, n := range append(ns, 800, 1600) {
		for k := int64(0); k <= n; k++ {
			// hundredths of a percent: k/n × 10,000, rounded half up: (2·10,000·k + n) / 2n.
			h := (20000*k + n) / (2 * n)
			want := decimal.New(h, -2).String() + "%"
			if got := FormatPct(float64(k) / float64(n)); got != want {
				t.Fatalf("%d in %d: %s, want %s", k, n, got, want)
			}
		}
	}
}

func threshold(t *testing.T, kind plan.ThresholdKind, scope, limit string) plan.Threshold {
	t.Helper()
	th, err := plan.ParseThreshold(kind, scope, limit)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func TestJudge(t *testing.T) {
	t.Parallel()
	lat := &Percentiles{P50: 0.85, P90: 1500, P95: 1834.4, P99: 5000}
	tests := []struct {
		name   string
		kind   plan.ThresholdKind
		scope  string
		limit  string
		f      Figures
		actual string
		pass   bool
	}{
		{"1 failure in 800", plan.ThFailureRate, "plan", "1%", Figures{Requests: 800, Failures: 1}, "0.13%", true},
		{"over the failure rate", plan.ThFailureRate, "plan", "0.1%", Figures{Requests: 800, Failures: 1}, "0.13%", false},
		{"at the failure rate", plan.ThFailureRate, "plan", "0.125%", Figures{Requests: 800, Failures: 1}, "0.13%", true},
		{"no requests", plan.ThFailureRate, "plan", "1%", Figures{}, NoData, false},
		{"sub-millisecond p50", plan.ThP50, "plan", "1ms", Figures{Requests: 1, Latency: lat}, "0.850ms", true},
		{"p95 to the millisecond", plan.ThP95, "plan", "2s", Figures{Requests: 1, Latency: lat}, "1.834s", true},
		{"p90 at its limit", plan.ThP90, "plan", "1.5s", Figures{Requests: 1, Latency: lat}, "1.5s", true},
		{"p99 over", plan.ThP99, "plan", "4s", Figures{Requests: 1, Latency: lat}, "5s", false},
		{"no latency", plan.ThP95, "plan", "4s", Figures{}, NoData, false},
		{"no stream", plan.ThTTFTP95, "plan", "1s", Figures{Requests: 3, Latency: lat}, NoData, false},
		{"ttft", plan.ThTTFTP50, "plan", "1s", Figures{Requests: 3, TTFT: lat}, "0.850ms", true},
		{"cache hit rate", plan.ThCacheHitRate, "scenario", "70%", Figures{Requests: 3, CacheHitRate: new(0.705)}, "70.5%", true},
		{"cache hit rate under", plan.ThCacheHitRate, "scenario", "70%", Figures{Requests: 3, CacheHitRate: new(0.69)}, "69%", false},
		{"no usage reported", plan.ThCacheHitRate, "scenario", "70%", Figures{Requests: 3}, NoData, false},
		// 250 requests in 8 s: 31.25/s.
		{"rps", plan.ThRPS, "plan", "30", Figures{Requests: 250, Seconds: 8}, "31.25/s", true},
		{"rps under", plan.ThRPS, "plan", "32/s", Figures{Requests: 250, Seconds: 8}, "31.25/s", false},
		{"rps of no time", plan.ThRPS, "plan", "1/s", Figures{Requests: 250}, NoData, false},
		// $0.0123 over 1,000 requests: $0.0000123 each.
		{"cost per request", plan.ThCostPerRequest, "plan", "0.00002", Figures{Requests: 1000, Cost: decimal.RequireFromString("0.0123")}, "0.0000123", true},
		{"no cost per request", plan.ThCostPerRequest, "plan", "0.01", Figures{}, NoData, false},
		{"total cost", plan.ThTotalCost, "plan", "$1", Figures{Cost: decimal.RequireFromString("1.0000004")}, "1", false},
		{"a task's", plan.ThFailureRate, "task:chat", "1%", Figures{Requests: 32, Failures: 1}, "3.13%", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Judge(threshold(t, tc.kind, tc.scope, tc.limit), tc.f)
			if res.Actual != tc.actual || res.Pass != tc.pass {
				t.Errorf("actual %q pass %v, want %q %v", res.Actual, res.Pass, tc.actual, tc.pass)
			}
			if res.Name != string(tc.kind) {
				t.Errorf("name %q", res.Name)
			}
		})
	}
	res := Judge(threshold(t, plan.ThFailureRate, "task:chat", "1%"), Figures{Requests: 1})
	if res.Scope != ScopeTask || res.Task != "chat" || res.ScopeText() != "task chat" || res.Limit != "1%" {
		t.Errorf("task scope: %+v", res)
	}
	if res := Judge(threshold(t, plan.ThRPS, "plan", "30"), Figures{}); res.Limit != "30/s" {
		t.Errorf("rps limit %q, want the plan's units", res.Limit)
	}
}

// TestJudgeSavedRuns: a saved summary judged again gives the verdicts its run wrote.
func TestJudgeSavedRuns(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"smoke.json", "worker1.json", "worker2.json"} {
		s := readTestdata(t, name)
		for _, saved := range s.Thresholds {
			th := threshold(t, plan.ThresholdKind(saved.Name), saved.Scope, saved.Limit)
			res, ok, err := s.Judge(th)
			if err != nil || !ok {
				t.Fatalf("%s %s: %v", name, saved.Name, err)
			}
			if res != saved {
				t.Errorf("%s: judged again %+v, saved %+v", name, res, saved)
			}
		}
	}
}

func TestRunFigures(t *testing.T) {
	t.Parallel()
	s := readTestdata(t, "smoke.json")
	f, ok, err := s.Figures("plan")
	if err != nil || !ok || f.Requests != s.Actual.Requests || f.Latency == nil || f.CacheHitRate == nil || f.Seconds != s.DurationS {
		t.Fatalf("run figures %+v %v %v", f, ok, err)
	}
	// chat_stream is one row; conversation is two steps (conversation.1 and conversation.2:
	// chat_message's and dte_validation's rows renamed), their percentiles from the merge of
	// their histograms.
	for i := range s.Tasks {
		switch s.Tasks[i].Name {
		case "chat_message":
			s.Tasks[i].Name = "conversation.1"
		case "dte_validation":
			s.Tasks[i].Name = "conversation.2"
		}
	}
	for _, task := range []string{"chat_stream", "conversation"} {
		f, ok, err := s.Figures("task:" + task)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", task, ok, err)
		}
		var n, failed int64
		for _, row := range s.Tasks {
			if row.Name == task || len(row.Name) > len(task) && row.Name[:len(task)+1] == task+"." {
				n += row.Requests
				failed += row.Failures
			}
		}
		if n == 0 || f.Requests != n || f.Failures != failed || f.Latency == nil {
			t.Errorf("%s: figures %+v, want %d requests, %d failed", task, f, n, failed)
		}
	}
	conv, _, _ := s.Figures("task:conversation")
	var encs []string
	for _, row := range s.Tasks {
		if row.Name == "conversation.1" || row.Name == "conversation.2" {
			encs = append(encs, row.Histogram)
		}
	}
	h, err := MergeHistograms(encs)
	if err != nil {
		t.Fatal(err)
	}
	if want := PercentilesOf(h).P95; conv.Latency.P95 != min(max(want, conv.Latency.Min), conv.Latency.Max) {
		t.Errorf("conversation p95 %v, want %v from the merge of its steps", conv.Latency.P95, want)
	}
	if f, _, _ := s.Figures("task:chat_stream"); f.TTFT == nil {
		t.Error("chat_stream streams: no TTFT")
	}
	if _, ok, _ := s.Figures("task:nope"); ok {
		t.Error("a task with no row has figures")
	}
	if _, ok, _ := s.Figures("galaxy"); ok {
		t.Error("an unknown scope has figures")
	}
}

// ExampleFormatPct shows the rounding every percentage of a share follows.
func ExampleFormatPct() {
	fmt.Println(FormatPct(1.0/800), FormatPctFixed(0, 2), strconv.FormatFloat(0.125, 'f', 2, 64)+"% (%.2f)")
	// Output: 0.13% 0.00% 0.12% (%.2f)
}

// TestJudgeGoodput: the goodput thresholds judge good requests, their rate, the cost of 1,000
// of them and the wasted share; with no goodput figures (an old summary) each is no data.
func TestJudgeGoodput(t *testing.T) {
	t.Parallel()
	good := int64(190)
	f := Figures{Requests: 200, Seconds: 10, Cost: decimal.RequireFromString("0.38"),
		Good: &good, WastedCost: decimal.RequireFromString("0.019")}
	tests := []struct {
		kind        plan.ThresholdKind
		limit, want string // want: the actual
		pass        bool
	}{
		{plan.ThSLOAttainment, "95%", "95%", true}, // 190/200: a floor met exactly
		{plan.ThSLOAttainment, "96%", "95%", false},
		{plan.ThGoodput, "19/s", "19.00/s", true},
		{plan.ThGoodput, "20", "19.00/s", false},
		{plan.ThCostPer1kGood, "2", "2", true}, // 0.38 × 1000 / 190
		{plan.ThCostPer1kGood, "1.99", "2", false},
		{plan.ThWastedCostShare, "5%", "5%", true}, // 0.019 / 0.38
		{plan.ThWastedCostShare, "4.9%", "5%", false},
	}
	for _, tc := range tests {
		th, err := plan.ParseThreshold(tc.kind, "plan", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		res := Judge(th, f)
		if res.Actual != tc.want || res.Pass != tc.pass {
			t.Errorf("%s %s: actual %s pass %v, want %s %v", tc.kind, tc.limit, res.Actual, res.Pass, tc.want, tc.pass)
		}
		old := Judge(th, Figures{Requests: 200, Seconds: 10, Cost: f.Cost})
		if old.Actual != NoData || old.Pass {
			t.Errorf("%s without goodput: %+v", tc.kind, old)
		}
	}
	for _, bad := range []struct {
		kind  plan.ThresholdKind
		limit string
	}{{plan.ThSLOAttainment, "fast"}, {plan.ThGoodput, "-1/s"}, {plan.ThCostPer1kGood, "1e400"}, {plan.ThWastedCostShare, "NaN"}} {
		if _, err := plan.ParseThreshold(bad.kind, "plan", bad.limit); err == nil {
			t.Errorf("%s %q accepted", bad.kind, bad.limit)
		}
	}
}
