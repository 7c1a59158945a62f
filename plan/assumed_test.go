package plan

import (
	"strings"
	"testing"
	"time"
)

// TestAssumedDefaults: every value deciding money that the plan does not write is listed,
// with its rule, and the bounds say where they came from.
func TestAssumedDefaults(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: t
target: http://127.0.0.1:9
pricing: {model: claude-sonnet-4-5}
on_start:
  - {name: login, request: {path: /login}, price: free}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, cacheable_tokens: 60}
  written:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10, max_input_tokens: 150, max_output_tokens: 20,
             cache_hit_rate: 0%, latency: 1s}
scenarios:
  s: {users: 3, duration: 10s}
  open: {arrival_rate: 2/s, duration: 10s}
  paced: {users: 2, spawn_rate: 1, duration: 10s, wait: {pacing: 5s}}
`
	p, err := Parse("plan.yaml", []byte(src), Options{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Assumed() {
		got = append(got, a.Of+": "+a.String())
	}
	want := []string{
		"chat: tasks.chat.expect.max_output_tokens: 100 (the request's max_tokens at plan.yaml:9:61)",
		"chat: tasks.chat.expect.max_input_tokens: 200 (default: 2 × input_tokens)",
		"chat: tasks.chat.expect.output_tokens: 0 (default: not given)",
		"chat: tasks.chat.expect.cache_hit_rate: 0% (default: every cacheable prefix a miss, written to the cache)",
		"chat: tasks.chat.expect.cache_write_1h: 0% (default: cache writes at the 5-minute rate)",
		"chat: tasks.chat.expect.latency: 0s (default: not given; the estimate takes it as 0, the most requests the waits allow)",
		"s: scenarios.s.spawn_rate: none (default: all 3 users start at once)",
		"s: scenarios.s.wait: none (default: each user starts its next task as soon as one ends)",
		"open: scenarios.open.max_in_flight: 100 (default: at most 100 requests in flight, and as many virtual users run on_start)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("assumed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	chat, written := p.Tasks[0].Steps[0].Expect, p.Tasks[1].Steps[0].Expect
	for _, c := range []struct {
		what string
		o    Origin
		want string
	}{
		{"chat's input bound", chat.MaxInputFrom, "default: 2 × input_tokens"},
		{"chat's output bound", chat.MaxOutputFrom, "plan.yaml:9:61, the request's max_tokens"},
		{"written's input bound", written.MaxInputFrom, "plan.yaml:15:70"},
		{"written's output bound", written.MaxOutputFrom, "plan.yaml:15:94"},
	} {
		if got := c.o.In(p.File); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
	if chat.MaxInputTokens != 200 || chat.MaxOutputTokens != 100 || written.MaxInputTokens != 150 || written.MaxOutputTokens != 20 {
		t.Errorf("bounds: chat %d/%d, written %d/%d", chat.MaxInputTokens, chat.MaxOutputTokens, written.MaxInputTokens, written.MaxOutputTokens)
	}
}

// TestOverridesMeanWhatTheySay: a flag given as 0 is refused, never taken as "not given"; a
// flag the scenario cannot take is refused; what the flags give is no longer assumed.
func TestOverridesMeanWhatTheySay(t *testing.T) {
	t.Parallel()
	zero, zeroF, zeroD := 0, 0.0, time.Duration(0)
	closed := &Scenario{Name: "c", Users: 10, Duration: time.Minute,
		Assumed: []Assumed{{Of: "c", Key: "spawn_rate", Field: "scenarios.c.spawn_rate", Value: "none", Rule: "default"}}}
	open := &Scenario{Name: "o", ArrivalRate: Rate{PerSecond: 3, Text: "3/s"}, Duration: time.Minute, MaxInFlight: 10}
	cases := []struct {
		name string
		o    Overrides
		s    *Scenario
		want string // an error's text; "" for none
	}{
		{"--users 0", Overrides{Users: &zero}, closed, "--users 0: give 1 or more users"},
		{"--spawn-rate 0", Overrides{SpawnRate: &zeroF}, closed, "--spawn-rate 0: give users started per second, more than 0"},
		{"--run-time 0s", Overrides{RunTime: &zeroD}, closed, "--run-time 0s: give a duration of more than 0s"},
		{"--arrival-rate 0/s", Overrides{ArrivalRate: &Rate{Text: "0/s"}}, closed, "--arrival-rate 0/s: give a rate of more than 0"},
		{"--users on an open model", Overrides{Users: new(5)}, open, "is an open model"},
		{"--users and --arrival-rate", Overrides{Users: new(5), ArrivalRate: &Rate{PerSecond: 1, Text: "1/s"}}, closed, "not both"},
		{"nothing", Overrides{}, closed, ""},
	}
	for _, tc := range cases {
		_, err := tc.o.Apply(tc.s)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	spawn := 2.0
	got, err := Overrides{SpawnRate: &spawn}.Apply(closed)
	if err != nil || got.SpawnRate != 2 || len(got.Assumed) != 0 || len(closed.Assumed) != 1 {
		t.Errorf("--spawn-rate 2: %+v %v (the scenario's own: %+v)", got, err, closed.Assumed)
	}
	turned, err := Overrides{ArrivalRate: &Rate{PerSecond: 2, Text: "2/s"}}.Apply(closed)
	if err != nil || !turned.Open() || turned.MaxInFlight != DefaultMaxInFlight || len(turned.Assumed) != 1 || turned.Assumed[0].Key != "max_in_flight" {
		t.Errorf("closed to open: %+v %v", turned, err)
	}
}

// TestAdHoc: the seed's ad-hoc load is one task of one request paced at --rate; its problems
// name the flags.
func TestAdHoc(t *testing.T) {
	t.Parallel()
	p, err := AdHoc{Users: 50, RunTime: 10 * time.Minute, Rate: "3/min", Price: "0.003"}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	s, st := p.Scenarios[0], p.Tasks[0].Steps[0]
	if p.Name != AdHocName || s.Users != 50 || s.Wait.Kind != WaitPacing || s.Wait.Min != 20*time.Second || st.Cost.Kind != CostFlat || len(s.Assumed) != 1 {
		t.Errorf("plan %+v, scenario %+v, step %+v", p, s, st)
	}
	m, err := AdHoc{Users: 5, RunTime: time.Minute, Rate: "1/s", Model: "claude-haiku-4-5", InputTokens: 300, OutputTokens: 50, MaxOutputTokens: 100}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	e := m.Tasks[0].Steps[0].Expect
	if e.MaxInputTokens != 600 || e.MaxInputFrom.In("") != "default: 2 × --input-tokens" || e.MaxOutputFrom.In("") != "--max-output-tokens" {
		t.Errorf("expect %+v", e)
	}
	for _, tc := range []struct {
		a    AdHoc
		want string
	}{
		{AdHoc{RunTime: time.Minute, Rate: "1/s", Price: "1"}, "give --users, --run-time"},
		{AdHoc{Users: 1, RunTime: time.Minute, Rate: "1", Price: "1"}, "--rate:"},
		{AdHoc{Users: 1, RunTime: time.Minute, Rate: "0/s", Price: "1"}, "--rate: must be more than 0"},
		{AdHoc{Users: 1, RunTime: time.Minute, Rate: "1/s", Price: "1", Model: "m"}, "not both"},
		{AdHoc{Users: 1, RunTime: time.Minute, Rate: "1/s"}, "price the requests"},
		{AdHoc{Users: 1, RunTime: time.Minute, Rate: "1/s", Model: "m"}, "--input-tokens"},
	} {
		if _, err := tc.a.Plan(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.a, err, tc.want)
		}
	}
}
