package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func noEnv(string) (string, bool) { return "", false }

func parse(t *testing.T, src string) (*Plan, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prompts.jsonl"), []byte(`{"text": "hi", "lang": "en"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return Parse(filepath.Join(dir, "plan.yaml"), []byte(src), Options{Env: noEnv})
}

const minimal = `version: 1
name: t
target: http://127.0.0.1:9
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}
scenarios:
  s: {users: 1, duration: 10s}
`

func TestExampleLoads(t *testing.T) {
	p, err := Load("../examples/ai-service.yaml", Options{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tasks) != 5 || len(p.Scenarios) != 4 || len(p.OnStart) != 1 {
		t.Fatalf("tasks %d scenarios %d on_start %d", len(p.Tasks), len(p.Scenarios), len(p.OnStart))
	}
	if p.Headers[0].Value != "Bearer demo-key" {
		t.Errorf("the ${VAR:-default} header did not expand to its default")
	}
	chat := p.Tasks[0].Steps[0]
	if chat.Cost.Kind != CostUsage || chat.Cost.Model != "claude-sonnet-4-5" || chat.Cost.Usage.Kind != UsageAnthropic {
		t.Errorf("chat_message cost rule %+v", chat.Cost)
	}
	if chat.Request.MaxTokens != 512 || chat.Expect.MaxOutputTokens != 512 {
		t.Errorf("max_tokens %d, max output %d", chat.Request.MaxTokens, chat.Expect.MaxOutputTokens)
	}
	if !chat.Expect.CacheHitRate.Equal(decimal.RequireFromString("0.7")) {
		t.Errorf("cache hit rate %s", chat.Expect.CacheHitRate)
	}
	if p.Tasks[4].Steps[0].Cost.Kind != CostFree {
		t.Errorf("health_check is not free")
	}
	peak := p.Scenario("peak")
	var rps *Threshold
	for i := range peak.Thresholds {
		if peak.Thresholds[i].Kind == ThRPS {
			rps = &peak.Thresholds[i]
		}
	}
	if rps == nil || rps.Ratio != 30 || len(peak.Thresholds) != 3 {
		t.Errorf("peak thresholds %+v", peak.Thresholds)
	}
	if smoke := p.Scenario("smoke"); smoke.Wait.Kind != WaitBetween || smoke.Wait.Mean() != time.Second {
		t.Errorf("smoke wait %+v", smoke.Wait)
	}
	if p.Scenario("normal").Wait.Kind != WaitPacing {
		t.Errorf("normal does not inherit the plan's pacing")
	}
}

func TestErrorsAreLocatedAndComplete(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // each must appear, in order, one per error
	}{
		{"three mistakes", strings.Replace(strings.Replace(strings.Replace(minimal,
			"    usage: anthropic", "    usgae: anthropic", 1),
			"users: 1,", "users: -5,", 1),
			"json: {max_tokens: 100}", "json: {max_tokens: 100, s: \"{{vars.sid}}\"}", 1),
			[]string{
				`plan.yaml:7:14: tasks.chat.request.json.s: {{vars.sid}} is never captured`,
				`plan.yaml:8:5: tasks.chat.usgae: unknown field; did you mean "usage"?`,
				`plan.yaml:11:14: scenarios.s.users: -5 is too small; give 1 or more`,
			}},
		{"arrival rate without unit", strings.Replace(minimal, "{users: 1, duration: 10s}", "{arrival_rate: 30, duration: 1m}", 1),
			[]string{`11:21: scenarios.s.arrival_rate: "30" has no unit; write 30/s or 30/min`}},
		{"users and arrival rate", strings.Replace(minimal, "{users: 1, duration: 10s}", "{users: 2, arrival_rate: 3/s, duration: 1m}", 1),
			[]string{`11:14: scenarios.s.users: an open-model scenario (arrival_rate) has no users`}},
		{"weights sum to zero", strings.Replace(minimal, "  chat:\n", "  chat:\n    weight: 0\n", 1),
			[]string{`tasks: the weights add up to 0`}},
		{"duration without unit", strings.Replace(minimal, "duration: 10s", "duration: 10", 1),
			[]string{`11:27: scenarios.s.duration: "10" has no unit; write 10s or 10m`}},
		{"unknown data field", strings.Replace(minimal, "tasks:", "data: {prompts: prompts.jsonl}\ntasks:", 1) +
			"", nil},
		{"data field misspelt", strings.Replace(strings.Replace(minimal, "tasks:", "data: {prompts: prompts.jsonl}\ntasks:", 1),
			"{max_tokens: 100}", "{max_tokens: 100, m: \"{{data.prompts.txt}}\"}", 1),
			[]string{`tasks.chat.request.json.m: {{data.prompts.txt}}: `, `has no field "txt"; did you mean "text"?`}},
		{"missing env var", strings.Replace(minimal, "name: t", "name: ${PLAN_NAME_THAT_IS_NOT_SET}", 1),
			[]string{`2:7: name: environment variable PLAN_NAME_THAT_IS_NOT_SET is not set`}},
		{"usage without model", strings.Replace(minimal, "pricing: {model: claude-sonnet-4-5}\n", "", 1),
			[]string{`priced by usage but no model is named`}},
		{"usage and price both", strings.Replace(minimal, "    usage: anthropic", "    usage: anthropic\n    price: 0.01", 1),
			[]string{`give one of usage or price, not both`}},
		{"version missing", strings.Replace(minimal, "version: 1\n", "", 1), []string{`version: missing; a plan starts with version: 1`}},
		{"bad yaml", "version: 1\ntasks: [\n", []string{`plan.yaml:2:1: invalid YAML`}},
		{"between reversed", strings.Replace(minimal, "duration: 10s}", "duration: 10s, wait: {between: [3s, 1s]}}", 1),
			[]string{`scenarios.s.wait.between: the most (1s) is less than the least (3s)`}},
		{"threshold unknown", minimal + "thresholds: {p96: 5s}\n", []string{`thresholds.p96: unknown field; did you mean "p90", "p95" or "p99"?`}},
		{"url host not allowed", strings.Replace(minimal, "path: /chat,", "url: \"https://evil.example.com/x\",", 1),
			[]string{`tasks.chat.request.url: host evil.example.com is not allowed; add it to allowed_hosts`}},
		{"url host allowed", strings.Replace(strings.Replace(minimal, "path: /chat,", "url: \"https://api.example.com/x\",", 1), "name: t", "name: t\nallowed_hosts: [api.example.com]", 1), nil},
		{"stages with users", strings.Replace(minimal, "{users: 1, duration: 10s}", "{users: 3, stages: [{duration: 1m, users: 10}]}", 1),
			[]string{`scenarios.s.users: a scenario with stages has no users`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.src)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			if es, ok := AsErrors(err); !ok || len(es) == 0 {
				t.Errorf("not located errors: %T", err)
			} else if strings.HasPrefix(tc.name, "three") && len(es) != len(tc.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(es), len(tc.want), msg)
			}
		})
	}
}

func TestEnvExpansion(t *testing.T) {
	env := func(k string) (string, bool) {
		m := map[string]string{"KEY": "s3cret", "BUDGET": "7.50"}
		v, ok := m[k]
		return v, ok
	}
	src := strings.Replace(minimal, "name: t", "name: t\nbudget: ${BUDGET}\nheaders: {Authorization: \"Bearer ${KEY}\", X-Lit: \"$${NOT}\"}", 1)
	p, err := Parse("plan.yaml", []byte(src), Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Budget.Equal(decimal.RequireFromString("7.5")) {
		t.Errorf("budget %s", p.Budget)
	}
	if p.Headers[0].Value != "Bearer s3cret" || p.Headers[1].Value != "${NOT}" {
		t.Errorf("headers %+v", p.Headers)
	}
	// A value from the environment is never echoed in an error about it.
	_, err = Parse("plan.yaml", []byte(strings.Replace(src, "budget: ${BUDGET}", "budget: \"${KEY}\"", 1)), Options{Env: env})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "${KEY}") {
		t.Errorf("error %v", err)
	}
	// A missing variable is named, and no value of any variable is printed.
	_, err = Parse("plan.yaml", []byte(strings.Replace(src, "${KEY}", "${KEY} ${MISSING}", 1)), Options{Env: env})
	if err == nil || !strings.Contains(err.Error(), "MISSING") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v", err)
	}
}

func TestSequenceAndCaptures(t *testing.T) {
	src := strings.Replace(minimal, `  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}`, `  conversation:
    weight: 2
    usage: anthropic
    steps:
      - {name: first, request: {method: POST, path: /chat, json: {max_tokens: 100}}, capture: {turn: $.id},
         expect: {input_tokens: 800, output_tokens: 100}}
      - {request: {method: POST, path: "/chat/{{vars.turn}}", json: {max_tokens: 100}}, expect: {input_tokens: 1600, output_tokens: 100}}
  health: {request: {path: /health}, price: free}`, 1)
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	conv := p.Tasks[0]
	if !conv.Sequence || len(conv.Steps) != 2 || conv.Steps[0].Name != "conversation.first" || conv.Steps[1].Name != "conversation.1" {
		t.Fatalf("sequence %+v", conv)
	}
	if conv.Steps[1].Cost.Kind != CostUsage || conv.Steps[1].Cost.Usage.Kind != UsageAnthropic {
		t.Errorf("the task's usage did not pass to its steps: %+v", conv.Steps[1].Cost)
	}
	if p.TotalWeight() != 3 {
		t.Errorf("weights %d", p.TotalWeight())
	}
}

func TestOverrides(t *testing.T) {
	s := &Scenario{Name: "s", Users: 10, Duration: time.Minute}
	users, runTime, spawn := 50, 10*time.Minute, 5.0
	got, err := Overrides{Users: &users, RunTime: &runTime, SpawnRate: &spawn}.Apply(s)
	if err != nil || got.Users != 50 || got.Duration != 10*time.Minute || got.SpawnRate != 5 || s.Users != 10 {
		t.Fatalf("%+v %v", got, err)
	}
	five := 5
	if _, err := (Overrides{Users: &five}).Apply(&Scenario{Name: "r", Stages: []Stage{{time.Minute, 5}}}); err == nil {
		t.Error("--users on a stages scenario should be refused")
	}
	open, err := Overrides{ArrivalRate: &Rate{PerSecond: 3, Text: "3/s"}}.Apply(s)
	if err != nil || !open.Open() || open.Users != 0 {
		t.Errorf("closed to open: %+v %v", open, err)
	}
}

func TestUnits(t *testing.T) {
	if d, err := ParseDuration("1h30m"); err != nil || d != 90*time.Minute {
		t.Error(d, err)
	}
	if r, err := ParseRate("3/min"); err != nil || r.PerSecond != 0.05 {
		t.Error(r, err)
	}
	if v, err := ParseRatio("70%"); err != nil || !v.Equal(decimal.RequireFromString("0.7")) {
		t.Error(v, err)
	}
	if _, err := ParseRatio("170%"); err == nil {
		t.Error("170% accepted")
	}
	for in, want := range map[string]string{"5": "5", "$5.00": "5", "0.003": "0.003", "$ 2": "2"} {
		if m, err := ParseMoney(in); err != nil || !m.Equal(decimal.RequireFromString(want)) {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ParseMoney("-1"); err == nil {
		t.Error("negative money accepted")
	}
	if FormatDuration(10*time.Minute) != "10m" || FormatDuration(1500*time.Millisecond) != "1.5s" || FormatDuration(time.Hour) != "1h" {
		t.Error(FormatDuration(10*time.Minute), FormatDuration(time.Hour))
	}
}

func TestTemplates(t *testing.T) {
	parts, err := ParseTemplate("a {{ seq }}-{{data.prompts.text}}/{{vars.sid}}{{uuid}}{{user}}")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []RefKind{0, RefSeq, 0, RefData, 0, RefVar, RefUUID, RefUser}
	if len(parts) != len(kinds) {
		t.Fatalf("%+v", parts)
	}
	for i, k := range kinds {
		if parts[i].Ref != k {
			t.Errorf("part %d: %+v", i, parts[i])
		}
	}
	if _, err := ParseTemplate("{{env.X}}"); err == nil {
		t.Error("unknown template accepted")
	}
	if _, err := ParseTemplate("{{seq"); err == nil {
		t.Error("unclosed template accepted")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), Options{})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v", err)
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"http://127.0.0.1:8002":                     "http://127.0.0.1:8002",
		"http://u:sk-secret@host/x?k=sk-secret&a=1": "http://u:xxxxx@host/x?a=xxxxx&k=xxxxx",
		"https://sk-secret@host":                    "https://xxxxx@host",
		"mock://?profile=flaky":                     "mock://?profile=flaky",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want || strings.Contains(got, "sk-secret") {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
