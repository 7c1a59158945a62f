package plan

import (
	"strings"
	"testing"
	"time"
)

// TestSLOScopes: the task's slo overrides the scenario's, which overrides the plan's, key by key.
func TestSLOScopes(t *testing.T) {
	t.Parallel()
	src := strings.Replace(minimal, "tasks:", "slo: {latency: 5s, ttft: 1.5s, min_output_tokens_per_s: 20}\ntasks:", 1)
	src = strings.Replace(src, "    usage: anthropic\n", "    usage: anthropic\n    slo: {ttft: 500ms}\n", 1)
	src = strings.Replace(src, "  s: {users: 1, duration: 10s}", "  s: {users: 1, duration: 10s, slo: {latency: 2s}}\n  plain: {users: 1, duration: 10s}", 1)
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SLO; got.Latency != 5*time.Second || got.TTFT != 1500*time.Millisecond || got.MinOutputTokensPerS != 20 {
		t.Errorf("plan slo %+v", got)
	}
	s, plain, task := p.Scenarios[0], p.Scenarios[1], p.Tasks[0]
	if s.SLO.Latency != 2*time.Second || s.SLO.TTFT != 1500*time.Millisecond || s.SLO.MinOutputTokensPerS != 20 {
		t.Errorf("scenario slo %+v", s.SLO)
	}
	got := SLOFor(s, task)
	if got.Latency != 2*time.Second || got.TTFT != 500*time.Millisecond || got.MinOutputTokensPerS != 20 {
		t.Errorf("task in s: %+v", got)
	}
	if got := SLOFor(plain, task); got.Latency != 5*time.Second || got.TTFT != 500*time.Millisecond {
		t.Errorf("task in plain: %+v", got)
	}
	if got.String() != "latency 2s, ttft 500ms, min_output_tokens_per_s 20" {
		t.Errorf("String %q", got.String())
	}
	if (SLO{}).String() != "none" || (SLO{}).Set() {
		t.Error("zero SLO")
	}
}

// TestSLOErrors: each wrong value is one located error naming the field and what is valid.
func TestSLOErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ slo, want string }{
		{"{latency: 0s}", "plan.yaml:5:16: slo.latency: must be more than 0"},
		{"{latency: -1s}", "slo.latency: \"-1s\" is negative"},
		{"{ttft: 5}", "slo.ttft: \"5\" has no unit"},
		{"{latency: 2y}", "slo.latency: \"2y\" is not a duration"},
		{"{latency: 9000h}", "longer than a year"},
		{"{min_output_tokens_per_s: .nan}", "slo.min_output_tokens_per_s: \".nan\" is not a number"},
		{"{min_output_tokens_per_s: .inf}", "is not a number"},
		{"{min_output_tokens_per_s: 0}", "must be more than 0"},
		{"{min_output_tokens_per_s: -3}", "is negative"},
		{"{latncy: 5s}", "slo.latncy"},
		{"{}", "slo: empty; give latency, ttft or min_output_tokens_per_s"},
	}
	for _, c := range cases {
		t.Run(c.slo, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(minimal, "tasks:", "slo: "+c.slo+"\ntasks:", 1)
			_, err := parse(t, src)
			es, ok := AsErrors(err)
			if !ok || len(es) != 1 {
				t.Fatalf("want one error, got %d:\n%v", len(es), err)
			}
			if !strings.Contains(es[0].Error(), c.want) {
				t.Errorf("error\n%s\nwant\n%s", es[0].Error(), c.want)
			}
		})
	}
	// At task and scenario scope too, with the path of the scope.
	src := strings.Replace(minimal, "    usage: anthropic\n", "    usage: anthropic\n    slo: {ttft: 0ms}\n", 1)
	src = strings.Replace(src, "duration: 10s}", "duration: 10s, slo: {latency: nope}}", 1)
	_, err := parse(t, src)
	for _, want := range []string{"tasks.chat.slo.ttft: must be more than 0", `scenarios.s.slo.latency: "nope" is not a duration`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant %s", err, want)
		}
	}
}
