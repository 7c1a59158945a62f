package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mock:// target with ?config=FILE starts the embedded mock from that file (relative to
// the plan): here its rate limit, whose headers the run's summary reports.
func TestMockTargetConfigFile(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, `version: 1
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
tasks:
  ask:
    request: {method: POST, path: /v1/messages, json: {model: claude-sonnet-4-5, max_tokens: 400, messages: [{role: user, content: hi}]}}
    expect: {input_tokens: 1010, cacheable_tokens: 1000, cache_hit_rate: 50%, output_tokens: 250, max_input_tokens: 1200}
scenarios:
  s: {arrival_rate: 20/s, duration: 1s, max_in_flight: 20, budget: 1}
`, "mock://?config=mock.yaml")
	if err := os.WriteFile(filepath.Join(filepath.Dir(plan), "mock.yaml"), []byte("profile: default\nrate_limit: {rpm: 7}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCLI(t, "run", plan, "--quiet", "--json", out, "--exit-code-on-error", "0")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	rl := s.RateLimits
	if rl == nil || rl.Requests == nil || rl.Requests.Limit == nil || *rl.Requests.Limit != 7 {
		t.Fatalf("rate_limits from the mock's config: %+v", rl)
	}
	if s.Actual.RateLimited == 0 {
		t.Errorf("20 requests a second against 7 a minute: no 429 (%d requests)", s.Actual.Requests)
	}

	bad := writePlan(t, strings.Replace(mustRead(t, plan), "mock://?config=mock.yaml", "mock://?config=missing.yaml", 1), "")
	code, _, stderr = runCLI(t, "run", bad, "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("a missing mock config: exit %d, %s", code, stderr)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
