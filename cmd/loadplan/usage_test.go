package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/mock"
)

// usageCLIPlan prices its one task by the JSON paths USAGE of the mock's Anthropic-shaped
// usage.
const usageCLIPlan = `version: 1
name: usage
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  dte:
    request: {method: POST, path: /api/dte/validate, json: {message: "validate {{seq}}", max_tokens: 400}}
    usage: {json: {USAGE}}
    expect: {input_tokens: 2500, cacheable_tokens: 2000, cache_hit_rate: 80%, output_tokens: 200, max_input_tokens: 6000,
             latency: 20ms}
scenarios:
  capped: {users: 4, duration: 30s, wait: {constant: 10ms}}
`

const fullJSONUsage = `input: $.usage.input_tokens, cache_read: $.usage.cache_read_input_tokens, cache_write: $.usage.cache_creation_input_tokens`

func TestValidateUsageSource(t *testing.T) {
	t.Parallel()
	// No output path: refused, located.
	p := writePlan(t, strings.Replace(usageCLIPlan, "USAGE", fullJSONUsage, 1), "http://127.0.0.1:9")
	code, out, errOut := runCLI(t, "validate", p)
	if want := regexp.MustCompile(`plan\.yaml:8:19: tasks\.dte\.usage\.json\.output: missing: a request priced by usage needs the JSONPath of its output tokens`); code != exitUsage || !want.MatchString(errOut) {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	// No cache paths while the plan expects a cacheable prefix: valid, with a warning.
	p = writePlan(t, strings.Replace(usageCLIPlan, "USAGE", "input: $.usage.input_tokens, output: $.usage.output_tokens", 1), "http://127.0.0.1:9")
	code, out, errOut = runCLI(t, "validate", p)
	want := regexp.MustCompile(`warning: .*plan\.yaml:9:13: tasks\.dte\.expect: usage\.json maps no cache_read or cache_write`)
	if code != exitOK || !want.MatchString(errOut) || !strings.Contains(out, "valid (1 warning above)") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestRunIncompleteUsage: a capped run whose output path matches nothing warns once, naming
// the task and the path, stops at its budget with the service's bill within it, and says how
// many responses were charged at their bounds.
func TestRunIncompleteUsage(t *testing.T) {
	t.Parallel()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale = 5, 0.01
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	p := writePlan(t, strings.Replace(usageCLIPlan, "USAGE", fullJSONUsage+", output: $.usage.output_tokns", 1), url)
	js := filepath.Join(t.TempDir(), "out.json")
	code, out, errOut := runCLI(t, "run", p, "--budget", "0.10", "--allow-over-budget", "--json", js, "--quiet")
	if code != exitBudget {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "warning: dte: a response did not report all its usage: usage.json.output: $.usage.output_tokns matched nothing"); n != 1 {
		t.Errorf("%d warnings naming the task and the path:\n%s", n, errOut)
	}
	s := readSummary(t, js)
	led := srv.Ledger().Snapshot()
	budget := s.Budget.Limit
	if led.Cost.GreaterThan(budget) || s.Meter.Spent.LessThan(led.Cost) || s.Actual.IncompleteUsage == 0 || s.Tasks[0].IncompleteUsage != s.Actual.IncompleteUsage || !s.Meter.BoundsHeld {
		t.Errorf("budget %s, ledger %s, meter %s, incomplete_usage %d (task %d), meter %+v", budget, led.Cost, s.Meter.Spent,
			s.Actual.IncompleteUsage, s.Tasks[0].IncompleteUsage, s.Meter)
	}
}
