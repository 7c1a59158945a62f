package calibration

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

func loadPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Load("testdata/plan.yaml", plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run is a summary whose chat row measured prompts of 1000 + 10·i tokens (a 1000-token
// prefix, read on even i), outputs of 100·i and latencies of i seconds, i = 1..n.
func run(t *testing.T, n int, extra ...string) *summary.Run {
	t.Helper()
	var rec summary.TokenRecorder
	lat := summary.NewHistogram()
	for i := 1; i <= n; i++ {
		u := pricing.Usage{Input: int64(10 * i), Output: int64(100 * i)}
		if i%2 == 0 {
			u.CacheRead = 1000
		} else {
			u.CacheWrite5m = 1000
		}
		rec.Record(u)
		_ = lat.RecordValue(int64(i) * 1_000_000)
	}
	d, err := rec.Dist()
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := summary.EncodeHistogram(lat)
	r := &summary.Run{Plan: "cal-test", Tasks: []summary.TaskStats{{Name: "chat", Requests: int64(n), Histogram: enc, TokenDist: d}}}
	for _, name := range extra {
		r.Tasks = append(r.Tasks, summary.TaskStats{Name: name, Requests: 1, Histogram: enc})
	}
	return r
}

func TestFromRunsPoolsWritesAndApplies(t *testing.T) {
	t.Parallel()
	p := loadPlan(t)
	c, err := FromRuns(p, []Source{{Name: "a.json", Run: run(t, 10)}, {Name: "b.json", Run: run(t, 10, "gone")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Steps) != 1 || c.Steps[0].Name != "chat" {
		t.Fatalf("steps %+v", c.Steps)
	}
	s := c.Steps[0]
	// Pooled: 20 responses; prompt mean = 1000 + 10·5.5 = 1055, output mean 550, half hits.
	if s.Samples != 20 || s.Requests != 20 || !s.Prompt.Mean.Equal(decimal.NewFromInt(1055)) ||
		!s.Output.Mean.Equal(decimal.NewFromInt(550)) || !s.CacheHitRate.Equal(decimal.RequireFromString("0.5")) {
		t.Fatalf("pooled %+v prompt %+v output %+v hit %v", s, s.Prompt, s.Output, s.CacheHitRate)
	}
	if s.Prompt.Max() != 1100 || s.Output.Max() != 1000 || s.Cacheable.Quantiles[0] != 1000 {
		t.Fatalf("quantiles prompt %v output %v cacheable %v", s.Prompt.Quantiles, s.Output.Quantiles, s.Cacheable.Quantiles)
	}
	if s.Latency == nil || s.Latency.Median.Seconds() < 4.9 || s.Latency.Median.Seconds() > 5.1 || s.Latency.P95.Seconds() < 9.9 {
		t.Fatalf("latency %+v", s.Latency)
	}
	if strings.Join(c.Unmatched, ",") != "gone" || strings.Join(c.NoData, ",") != "stream" {
		t.Fatalf("unmatched %v no data %v", c.Unmatched, c.NoData)
	}

	var b bytes.Buffer
	if err := Write(&b, c); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("cal.yaml", b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	bs := back.Lookup("chat")
	if bs == nil || !bs.Prompt.Mean.Equal(s.Prompt.Mean) || bs.Output.Max() != 1000 || *bs.Latency != *s.Latency || !bs.CacheHitRate.Equal(*s.CacheHitRate) {
		t.Fatalf("round trip %+v\n%s", bs, b.String())
	}

	ws := back.Apply(p)
	e := p.Tasks[0].Steps[0].Expect
	if !e.InputTokens.Equal(decimal.NewFromInt(1055)) || !e.OutputTokens.Equal(decimal.NewFromInt(550)) ||
		!e.CacheHitRate.Equal(decimal.RequireFromString("0.5")) || e.Latency != *s.Latency {
		t.Fatalf("applied %+v", e)
	}
	// max_input_tokens 1300 stays (above the largest prompt 1100): a bound is never lowered.
	if e.MaxInputTokens != 1300 {
		t.Fatalf("max_input_tokens %d, want 1300", e.MaxInputTokens)
	}
	var said []string
	for _, a := range p.Tasks[0].Steps[0].Assumed {
		said = append(said, a.Key+"="+a.Value+" ("+a.Rule+")")
	}
	if got := strings.Join(said, "; "); !strings.Contains(got, "input_tokens=1055 (n=20) (calibration cal.yaml)") ||
		!strings.Contains(got, "cache_hit_rate=50% (n=20)") {
		t.Fatalf("assumed: %s", got)
	}
	if len(ws) != 1 || !strings.Contains(ws[0], "no data for stream") {
		t.Fatalf("warnings %q", ws)
	}
}

func TestApplyRaisesInputBoundAndWarnsOfAnotherPlan(t *testing.T) {
	t.Parallel()
	p := loadPlan(t)
	c, err := Parse("other.yaml", []byte(`version: 1
schema: loadplan.calibration/v1
plan: other
runs: []
tasks:
  chat:
    requests: 3
    samples: 3
    input_tokens: {mean: 1500, min: 1000, p10: 1000, p25: 1000, p50: 1500, p75: 2000, p90: 2000, p95: 2000, p99: 2000, max: 2000}
  login:
    requests: 1
    samples: 0
`))
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Apply(p)
	if e := p.Tasks[0].Steps[0].Expect; e.MaxInputTokens != 2000 || !strings.Contains(e.MaxInputFrom.Rule, "largest prompt measured") {
		t.Fatalf("max_input_tokens %d from %q, want 2000 raised", e.MaxInputTokens, e.MaxInputFrom.Rule)
	}
	all := strings.Join(ws, "\n")
	if !strings.Contains(all, `of plan "other", not "cal-test"`) || !strings.Contains(all, "measured login, which the plan does not have") {
		t.Fatalf("warnings:\n%s", all)
	}
	// Nothing at all matching: the warning asks whether it is another plan's.
	p2 := loadPlan(t)
	c2, _ := Parse("x.yaml", []byte("version: 1\nschema: loadplan.calibration/v1\ntasks:\n  nope: {requests: 1, samples: 0}\n"))
	if ws := strings.Join(c2.Apply(p2), "\n"); !strings.Contains(ws, "is it a calibration of another plan?") {
		t.Fatalf("warnings:\n%s", ws)
	}
}

func TestParseLocatesProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data, want string
	}{
		{"unknown key", "version: 1\ntasks:\n  chat:\n    samples: 3\n    input: 4\n", "bad.yaml:5:5: tasks.chat.input: unknown key; valid: requests, samples"},
		{"bad share", "version: 1\ntasks:\n  chat: {cache_hit_rate: lots}\n", "bad.yaml:3:26: tasks.chat.cache_hit_rate: \"lots\" is not a share"},
		{"falling quantiles", "version: 1\ntasks:\n  chat:\n    output_tokens: {mean: 5, min: 1, p10: 2, p25: 3, p50: 4, p75: 5, p90: 6, p95: 7, p99: 3, max: 9}\n",
			"bad.yaml:4:20: tasks.chat.output_tokens.p99: 3 is less than p95 7; quantiles rise"},
		{"missing quantile", "version: 1\ntasks:\n  chat:\n    output_tokens: {mean: 5}\n", "tasks.chat.output_tokens.min: missing"},
		{"bad latency", "version: 1\ntasks:\n  chat:\n    latency: {median: 2, p95: 1s}\n", "bad.yaml:4:23: tasks.chat.latency.median: \"2\" has no unit"},
		{"wrong schema", "version: 1\nschema: loadplan.run/v1\ntasks: {}\n", "bad.yaml:2:9: schema:"},
		{"no tasks", "version: 1\n", "tasks: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
