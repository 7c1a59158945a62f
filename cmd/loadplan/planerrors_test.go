package main

import (
	"strings"
	"testing"
)

const unknownModelsPlan = `version: 1
name: e
target: TARGET
pricing: {model: claude-nonexistent-9}
budget: 1
tasks:
  chat:
    request: {method: POST, path: /x, json: {max_tokens: 10}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10}
  summary:
    request: {method: POST, path: /y, json: {max_tokens: 10}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10}
  other:
    request: {method: POST, path: /x, json: {max_tokens: 10}}
    model: gpt-nonexistent
    usage: openai
    expect: {input_tokens: 10, output_tokens: 10}
scenarios:
  s: {users: 1, duration: 10s}
`

// TestPlanProblemsLocated: validate, estimate and run report the same problems, every one at
// its file:line:col; an unknown model where it is named (pricing.model once for the two
// tasks that use it, a task's model:), not at usage:.
func TestPlanProblemsLocated(t *testing.T) {
	t.Parallel()
	path := writePlan(t, unknownModelsPlan, "http://127.0.0.1:9")
	want := []string{
		path + " has 2 problems:",
		path + `:4:18: pricing.model: unknown model "claude-nonexistent-9"`,
		path + `:17:12: tasks.other.model: unknown model "gpt-nonexistent"`,
	}
	for _, args := range [][]string{{"validate", path}, {"estimate", path}, {"run", path, "--budget", "1"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%s: exit %d\n%s%s", args[0], code, stdout, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], w, stderr)
			}
		}
		if n := strings.Count(stderr, "unknown model"); n != 2 {
			t.Errorf("%s: %d unknown-model errors, want 2:\n%s", args[0], n, stderr)
		}
	}
	// Every plan problem, located, from estimate and run too; one typo, one error.
	bad := writePlan(t, strings.Replace(strings.Replace(unknownModelsPlan, "usage: openai", "usage: opneai", 1),
		"  s: {users: 1, duration: 10s}", "  s: {users: 1, duration: 10}", 1), "http://127.0.0.1:9")
	for _, cmd := range []string{"validate", "estimate", "run"} {
		_, _, stderr := runCLI(t, cmd, bad)
		for _, w := range []string{bad + " has 2 problems:", bad + `:18:12: tasks.other.usage: "opneai" is not a usage source`,
			bad + `:21:27: scenarios.s.duration: "10" has no unit`} {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, stderr)
			}
		}
	}
}
