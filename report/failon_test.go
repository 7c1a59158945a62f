package report

import (
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestJudgeRules: relative and absolute rules of each unit, on the rise and the fall; a change
// from zero; a metric a run lacks breaks its rule.
func TestJudgeRules(t *testing.T) {
	t.Parallel()
	run := func(cost string, p95, att float64, good bool) *summary.Run {
		r := &summary.Run{DurationS: 10, Actual: summary.Actual{Requests: 100, Cost: decimal.RequireFromString(cost),
			Latency: summary.Percentiles{P95: p95}}}
		cpr := r.Actual.Cost.Div(decimal.NewFromInt(100))
		r.Actual.CostPerRequest = &cpr
		if good {
			g := &summary.Goodput{Good: int64(att * 100), GoodputRPS: att * 10}
			summary.DeriveGoodput(g, 100, r.Actual.Cost)
			r.Actual.Goodput = g
		}
		return r
	}
	base, next := run("1.00", 1000, 0.97, true), run("1.12", 1150, 0.94, true)
	tests := []struct {
		rule   string
		broken bool
		change string
	}{
		{"cost_per_request>+10%", true, "+12.0%"},
		{"cost_per_request>+15%", false, "+12.0%"},
		{"cost>+$0.10", true, "+$0.12"},
		{"cost>0.2$", false, "+$0.12"},
		{"p95>+20%", false, "+15.0%"},
		{"p95>+100ms", true, "+150 ms"},
		{"p95>+0.2s", false, "+150 ms"},
		{"slo_attainment<-2pp", true, "-3.00pp"},
		{"slo_attainment<-5pp", false, "-3.00pp"},
		{"goodput<-5%", false, "-3.1%"},
		{"goodput<-0.2/s", true, "-0.30/s"},
		{"good<-2", true, "-3"},
		{"cost_per_1k_good>+10%", true, "+15.6%"},
	}
	for _, tc := range tests {
		rules, err := ParseFailOn(tc.rule)
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		res := JudgeRules(rules, base, next)[0]
		if res.Broken != tc.broken || res.Change != tc.change {
			t.Errorf("%s: broken %v change %s, want %v %s", tc.rule, res.Broken, res.Change, tc.broken, tc.change)
		}
	}
	rules, _ := ParseFailOn("slo_attainment<-2pp, wasted_cost>+10%")
	res := JudgeRules(rules, run("1", 1000, 0.97, false), next)
	if !res[0].Broken || res[0].Verdict != "BROKEN (no data)" {
		t.Errorf("no goodput in base: %+v", res[0])
	}
	if !res[1].Broken { // from $0 wasted to $0 in next: 0 → 0 holds; base lacks it: no data
		t.Errorf("wasted_cost without base goodput: %+v", res[1])
	}
	z := run("0", 1000, 0.9, true)
	res = JudgeRules([]Rule{{Text: "cost>+10%", Metric: "cost", Up: true, Limit: 10, Relative: true}}, z, next)
	if !res[0].Broken || res[0].Change != "+∞%" {
		t.Errorf("from $0: %+v", res[0])
	}
	for _, bad := range []string{"", "p95", "p95>", "p95>fast", "cost>+10pp", "failure_rate>+5ms", "p95>NaN%", "rps>+1e400%", "nope<1%"} {
		if _, err := ParseFailOn(bad); err == nil || !strings.Contains(err.Error(), "--fail-on") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestJudgeTaskRules: task:NAME.METRIC judges one request name's row (a name with dots too);
// a run without that request name has no data, which breaks the rule.
func TestJudgeTaskRules(t *testing.T) {
	t.Parallel()
	run := func(chatP95, streamP95 float64, withStream bool) *summary.Run {
		r := &summary.Run{DurationS: 10, Actual: summary.Actual{Requests: 200, Latency: summary.Percentiles{P95: 1000}}}
		r.Tasks = []summary.TaskStats{{Name: "chat", Requests: 100, Latency: summary.Percentiles{P95: chatP95}}}
		if withStream {
			r.Tasks = append(r.Tasks, summary.TaskStats{Name: "flow.stream", Requests: 100, Failures: 5,
				Latency: summary.Percentiles{P95: streamP95}})
		}
		return r
	}
	base, next := run(800, 2000, true), run(1200, 2100, true)
	rules, err := ParseFailOn("task:chat.p95>+20%, task:flow.stream.p95>+20%, p95>+20%, task:flow.stream.failure_rate>+1pp")
	if err != nil {
		t.Fatal(err)
	}
	res := JudgeRules(rules, base, next)
	want := []struct {
		broken bool
		change string
	}{{true, "+50.0%"}, {false, "+5.0%"}, {false, "0.0%"}, {false, "0.00pp"}}
	for i, w := range want {
		if res[i].Broken != w.broken || res[i].Change != w.change {
			t.Errorf("%s: broken %v change %s, want %v %s", res[i].Rule, res[i].Broken, res[i].Change, w.broken, w.change)
		}
	}
	res = JudgeRules(rules[1:2], base, run(800, 0, false))
	if !res[0].Broken || res[0].Verdict != "BROKEN (no data)" {
		t.Errorf("no flow.stream in the new run: %+v", res[0])
	}
	for _, bad := range []string{"task:p95>+20%", "task:.p95>+20%", "task:chat.nope>+20%"} {
		if _, err := ParseFailOn(bad); err == nil || !strings.Contains(err.Error(), "--fail-on") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
