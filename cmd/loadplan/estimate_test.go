package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

const example = "../../examples/ai-service.yaml"

func TestEstimateAdHocSeed(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "estimate", "--users", "50", "--duration", "10m", "--rate", "3/min", "--price", "0.003", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var e struct {
		Schema    string
		Plan      string
		Scenarios []struct {
			Name     string
			Requests struct{ Expected float64 }
			Cost     struct{ Expected decimal.Decimal }
		}
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	s := e.Scenarios[0]
	if e.Schema != "loadplan.estimate/v1" || e.Plan != "ad-hoc" || s.Name != "ad-hoc" || s.Requests.Expected != 1500 || !s.Cost.Expected.Equal(decimal.RequireFromString("4.50")) {
		t.Errorf("%+v", e)
	}
	if !strings.Contains(out, `"expected": "4.5"`) {
		t.Errorf("money is not a decimal string in JSON:\n%s", out)
	}
}

func TestEstimateExampleGolden(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "estimate", example, "--all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "threshold rps 30/s cannot be reached") {
		t.Errorf("the peak warning is missing")
	}
	golden(t, "estimate_all.golden", []byte(out))

	code, out, errOut = runCLI(t, "estimate", example, "--scenario", "normal", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "estimate_normal.json.golden", []byte(out))
}

func TestEstimateGate(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "estimate", example, "--scenario", "normal", "--budget", "0.01", "--output", "json")
	if code != exitGate {
		t.Fatalf("exit %d, want 3: %s", code, errOut)
	}
	if !json.Valid([]byte(out)) || !strings.Contains(out, `"within_budget": false`) {
		t.Errorf("the JSON is not printed on refusal:\n%s", out)
	}
	for _, want := range []string{"over the budget $0.01 by", "--allow-over-budget", "--budget"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message lacks %q:\n%s", want, errOut)
		}
	}
	// The worst gate fails closed on a task with no output bound.
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	os.WriteFile(p, []byte(`version: 1
name: nobound
target: mock://
pricing: {model: claude-haiku-4-5}
budget: 100
tasks:
  chat: {request: {method: POST, path: /v1/messages}, usage: anthropic, expect: {input_tokens: 100, output_tokens: 50}}
scenarios:
  s: {users: 1, duration: 1m, wait: {constant: 1s}}
`), 0o644)
	if code, _, errOut := runCLI(t, "estimate", p, "--gate", "worst"); code != exitGate || !strings.Contains(errOut, "unknown") {
		t.Errorf("worst gate on an unbounded task: exit %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "estimate", p); code != 0 {
		t.Errorf("expected gate: exit %d", code)
	}
}

func TestEstimateUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`version: 1
name: bad
target: mock://
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    wieght: 3
    request: {method: POST, path: /api/chat, json: {max_tokens: 10}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}
scenarios:
  s1: {users: -5, duration: 30s}
  s2: {arrival_rate: 30, duration: 1m}
`), 0o644)
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"three mistakes", []string{"estimate", bad, "--all"}, []string{"has 3 problems", "bad.yaml:7:5: tasks.chat.wieght", "bad.yaml:12:15: scenarios.s1.users", "bad.yaml:13:22: scenarios.s2.arrival_rate"}},
		{"several scenarios, none picked", []string{"estimate", example}, []string{"has 4 scenarios", "smoke, normal, peak, endurance"}},
		{"unknown scenario", []string{"estimate", example, "--scenario", "nope"}, []string{`no scenario "nope"`}},
		{"bad gate", []string{"estimate", example, "--all", "--gate", "best"}, []string{"valid: expected, worst"}},
		{"ad-hoc without price", []string{"estimate", "--users", "5", "--run-time", "1m", "--rate", "1/s"}, []string{"price the requests"}},
		{"unknown flag", []string{"estimate", "--userz", "5"}, []string{"unknown flag"}},
		{"unknown model", []string{"estimate", "--users", "5", "--run-time", "1m", "--rate", "1/s", "--model", "gpt-9", "--input-tokens", "5", "--output-tokens", "5"}, []string{"unknown model"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestValidateAndPrices(t *testing.T) {
	t.Parallel()
	if code, out, errOut := runCLI(t, "validate", example); code != 0 || !strings.Contains(out, "valid") {
		t.Errorf("validate: %d %s %s", code, out, errOut)
	}
	code, out, _ := runCLI(t, "prices", "claude-sonnet-4-5-20250929")
	if code != 0 || !strings.Contains(out, "claude-sonnet-4-5") || !strings.Contains(out, "$3.00") || !strings.Contains(out, "as of") {
		t.Errorf("prices: %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "prices", "no-such-model"); code != exitUsage {
		t.Errorf("prices of an unknown model: exit %d", code)
	}
	if code, out, _ := runCLI(t, "version"); code != 0 || !strings.Contains(out, "loadplan") {
		t.Errorf("version: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "completion", "bash"); code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("completion: %d", code)
	}
}
