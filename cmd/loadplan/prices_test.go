package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// tiersYAML prices claude-sonnet-4-5 with its former long-context tier (prices.md: above 200K
// tokens 6 / 7.50 / 12 / 0.60 / 22.50) and a priority tier at twice the input and output.
const tiersYAML = `as_of: 2026-11-27
source: tier test
models:
  - id: claude-sonnet-4-5
    provider: anthropic
    input: 3
    output: 15
    above: [{tokens: 200k, input: 6, cache_write_5m: 7.50, cache_write_1h: 12, cache_read: 0.60, output: 22.50}]
    service_tiers:
      priority: {input: 6, output: 30}
`

func writeTestFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tierMock starts the mock, pricing with cat, stopped at the test's end.
func tierMock(t *testing.T, cat *pricing.Catalog, model string) *mock.Server {
	t.Helper()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale, cfg.Prices, cfg.Model = 11, 0.001, cat, model
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// perMTok is what tokens cost at prices per million tokens: input, cache read, cache write
// (5-minute: the default profile writes no 1-hour cache), output.
func perMTok(tk pricing.Tokens, in, read, write, out string) decimal.Decimal {
	return decimal.NewFromInt(tk.Input).Mul(d(in)).Add(decimal.NewFromInt(tk.CacheRead).Mul(d(read))).
		Add(decimal.NewFromInt(tk.CacheWrite).Mul(d(write))).Add(decimal.NewFromInt(tk.Output).Mul(d(out))).Shift(-6)
}

const tierPlan = `version: 1
name: tiers
target: TARGET
budget: 50
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
tasks:
  tiers:
    steps:
      # The mock reports a prompt of 250,000 tokens plus its 1,000-token cacheable prefix.
      - name: long
        request: {method: POST, path: /api/chat/message, headers: {X-Mock-Input-Tokens: "250000"}, json: {message: "a long document", max_tokens: 100}}
        expect: {input_tokens: 251000, cacheable_tokens: 1000, output_tokens: 50, max_input_tokens: 260000}
      - name: priority
        request: {method: POST, path: /v1/messages, json: {model: claude-sonnet-4-5, max_tokens: 100, service_tier: priority, messages: [{role: user, content: "hello there"}]}}
        expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 50, max_input_tokens: 1200}
scenarios:
  s: {users: 1, duration: 300ms, wait: {constant: 50ms}}
`

// A long prompt is charged at its prompt-size tier and a priority response at priority
// rates, exactly what the mock's ledger billed; the reservation of a request whose
// max_input_tokens crosses the threshold is at the tier's rates.
func TestRunChargesPriceTiers(t *testing.T) {
	t.Parallel()
	prices := writeTestFile(t, "tiers.yaml", tiersYAML)
	cat, err := pricing.Load(prices)
	if err != nil {
		t.Fatal(err)
	}
	srv := tierMock(t, pricing.Default().Merge(cat), "claude-sonnet-4-5")
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, tierPlan, srv.URL()), "--prices", prices, "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	led := srv.Ledger().Snapshot()
	if !s.Actual.Cost.Equal(led.Cost) || !s.Actual.CostEstimated.IsZero() {
		t.Errorf("meter %s (estimated %s), mock ledger %s", s.Actual.Cost, s.Actual.CostEstimated, led.Cost)
	}
	long, pri := s.Tasks[0], s.Tasks[1]
	if long.Name != "tiers.long" || pri.Name != "tiers.priority" || long.Requests == 0 || pri.Requests == 0 {
		t.Fatalf("tasks %s %d, %s %d", long.Name, long.Requests, pri.Name, pri.Requests)
	}
	// Every token of the long prompts at the tier above 200k: 6, 0.60, 7.50, 22.50.
	if want := perMTok(long.Tokens, "6", "0.60", "7.50", "22.50"); !long.Cost.Equal(want) {
		t.Errorf("long: charged %s, want %s for %+v at the tier above 200k", long.Cost, want, long.Tokens)
	}
	// Priority: input 6, its cache prices scaled with it (0.60, 7.50), output 30.
	if want := perMTok(pri.Tokens, "6", "0.60", "7.50", "30"); !pri.Cost.Equal(want) {
		t.Errorf("priority: charged %s, want %s for %+v at priority rates", pri.Cost, want, pri.Tokens)
	}
	// The long task's worst usage: 259,000 input, its 1,000-token prefix written at the
	// 1-hour rate, 100 output, at the dearest rates it may be billed at (not pinned to a
	// tier: priority above 200k, derived as priority x above-200k / standard: input
	// 6*6/3 = 12, 1-hour write 12*12/6 = 24, output 30*22.5/15 = 45):
	// 259000*12 + 1000*24 + 100*45 = 3108000 + 24000 + 4500 micro-dollars.
	if !s.Meter.LargestWorstCase.Equal(d("3.1365")) || !s.Meter.BoundsHeld {
		t.Errorf("largest worst case %s, bounds held %v; want 3.1365, true", s.Meter.LargestWorstCase, s.Meter.BoundsHeld)
	}
}

const unpricedTierPlan = `version: 1
name: unpriced
target: TARGET
budget: 5
pricing: {model: claude-sonnet-4-5}
tasks:
  batch:
    request: {method: POST, path: /v1/messages, json: {model: claude-sonnet-4-5, max_tokens: 100, service_tier: batch, messages: [{role: user, content: "hello there"}]}}
    usage: anthropic
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 50, max_input_tokens: 1200}
scenarios:
  s: {users: 1, duration: 500ms, wait: {constant: 20ms}}
`

// A response served at a tier the catalog has no price for is charged its reservation,
// flagged estimated, never the standard rate.
func TestRunChargesUnpricedTierItsReservation(t *testing.T) {
	t.Parallel()
	prices := writeTestFile(t, "tiers.yaml", tiersYAML)
	cat, err := pricing.Load(prices)
	if err != nil {
		t.Fatal(err)
	}
	srv := tierMock(t, pricing.Default().Merge(cat), "claude-sonnet-4-5")
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, unpricedTierPlan, srv.URL()), "--prices", prices, "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	n := s.Actual.Requests
	// The reservation: worst usage 200 input, 1000 written at 1h, 100 output; the batch
	// tier has no price, so at the dearest priced tier, priority (input 6, 1h write 12,
	// output 30): 200*6 + 1000*12 + 100*30 = 1200 + 12000 + 3000 = 16200 micro-dollars.
	want := d("0.0162").Mul(decimal.NewFromInt(n))
	if n == 0 || s.Actual.Failures != 0 || !s.Actual.Cost.Equal(want) || !s.Actual.CostEstimated.Equal(want) {
		t.Errorf("%d requests: cost %s, estimated %s; want both %s", n, s.Actual.Cost, s.Actual.CostEstimated, want)
	}
	if led := srv.Ledger().Snapshot(); !led.Cost.LessThan(s.Actual.Cost) {
		t.Errorf("the ledger (standard rates) %s is not below the reservations charged %s", led.Cost, s.Actual.Cost)
	}
}

const inlinePlan = `version: 1
name: inline
target: TARGET
budget: 5
pricing: {input: 2, output: 10, cache_read: 0.20, cache_write_5m: 2.50, cache_write_1h: 4}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: "hi", max_tokens: 512}}
    usage: anthropic
    expect: {input_tokens: 1200, cacheable_tokens: 1000, cache_hit_rate: 70%, output_tokens: 300, max_input_tokens: 4000}
  cheap:
    request: {method: POST, path: /v1/messages, json: {model: plan:tasks.cheap.model, max_tokens: 100, messages: [{role: user, content: "hello there"}]}}
    usage: anthropic
    model: {input: 0.5, output: 1}
    expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: 50, max_input_tokens: 1200}
scenarios:
  s: {users: 2, duration: 1s, wait: {constant: 20ms}}
`

// Prices written in the plan price its estimate and its run; the meter equals the mock's
// ledger, which bills the same prices.
func TestRunInlinePrices(t *testing.T) {
	t.Parallel()
	path := writePlan(t, inlinePlan, "http://127.0.0.1:9")
	p, err := loadPlan(&IO{Env: func(string) (string, bool) { return "", false }}, path)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := planner.WithPlanPrices(pricing.Default(), p)
	if err != nil {
		t.Fatal(err)
	}
	srv := tierMock(t, cat, p.Model)
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", path, "--host", srv.URL(), "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	if led := srv.Ledger().Snapshot(); !s.Actual.Cost.Equal(led.Cost) || s.Actual.Cost.IsZero() {
		t.Errorf("meter %s, mock ledger %s", s.Actual.Cost, led.Cost)
	}
	chat, cheap := s.Tasks[0], s.Tasks[1]
	if want := perMTok(chat.Tokens, "2", "0.20", "2.50", "10"); !chat.Cost.Equal(want) {
		t.Errorf("chat: %s, want %s at the plan's prices", chat.Cost, want)
	}
	// No provider: the cache prices left out take the dearest rule: read = input 0.5,
	// 5-minute write = 1.25 x 0.5 = 0.625.
	if want := perMTok(cheap.Tokens, "0.5", "0.5", "0.625", "1"); !cheap.Cost.Equal(want) {
		t.Errorf("cheap: %s, want %s at the task's prices", cheap.Cost, want)
	}
	// The estimate and the reservations priced them too. chat's worst: 3000 input, its
	// 1000-token prefix written at 1h, 512 output: 3000*2 + 1000*4 + 512*10 = 6000 + 4000 +
	// 5120 = 15120 micro-dollars (cheap's: 200*0.5 + 1000*1 + 100*1 = 1200, 1-hour write
	// 2 x 0.5 by the dearest rule).
	code, stdout, _ = runCLI(t, "estimate", path, "--output", "json")
	var est planner.Estimate
	if err := json.Unmarshal([]byte(stdout), &est); code != exitOK || err != nil {
		t.Fatalf("estimate: exit %d, %v", code, err)
	}
	if w := est.Scenarios[0].WorstPerRequest; w == nil || !w.Equal(d("0.01512")) || !s.Meter.LargestWorstCase.Equal(d("0.01512")) {
		t.Errorf("worst per request %v, the meter's largest worst case %s; want 0.01512", w, s.Meter.LargestWorstCase)
	}
}

// litellmFile is a LiteLLM price file without the example's model, and one that prices it at
// half the embedded catalog's rates.
const (
	litellmOther = `{"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
  "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"}}`
	litellmHalf = `{"claude-sonnet-4-5": {"input_cost_per_token": 1.5e-06, "output_cost_per_token": 7.5e-06,
  "cache_read_input_token_cost": 1.5e-07, "cache_creation_input_token_cost": 1.875e-06,
  "cache_creation_input_token_cost_above_1hr": 3e-06, "litellm_provider": "anthropic", "mode": "chat"}}`
)

// --prices FILE adds to the embedded catalog (the file's rows win); --prices-only FILE
// replaces it, and a model it lacks is an error that says how to price it.
func TestPricesFlags(t *testing.T) {
	t.Parallel()
	other := writeTestFile(t, "other.json", litellmOther)
	half := writeTestFile(t, "half.json", litellmHalf)
	expected := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"estimate", example, "--scenario", "normal", "--output", "json"}, args...)...)
		if code != exitOK {
			return code, stdout, stderr
		}
		var est planner.Estimate
		if err := json.Unmarshal([]byte(stdout), &est); err != nil {
			t.Fatal(err)
		}
		return code, est.Scenarios[0].Cost.Expected.String(), stderr
	}
	// The embedded catalog: the golden figure, 10.6228125.
	if code, cost, stderr := expected(t); code != exitOK || cost != "10.6228125" {
		t.Fatalf("embedded: exit %d, %s %s", code, cost, stderr)
	}
	// A file without the plan's model adds to the embedded catalog: the same estimate.
	if code, cost, stderr := expected(t, "--prices", other); code != exitOK || cost != "10.6228125" {
		t.Errorf("--prices without the model: exit %d, %s %s", code, cost, stderr)
	}
	// The file's row wins: every price halved, so the estimate is halved, 10.6228125 / 2.
	if code, cost, stderr := expected(t, "--prices", half); code != exitOK || !d(cost).Equal(d("5.31140625")) {
		t.Errorf("--prices with the model at half price: exit %d, %s %s", code, cost, stderr)
	}
	if code, cost, stderr := expected(t, "--prices-only", half); code != exitOK || !d(cost).Equal(d("5.31140625")) {
		t.Errorf("--prices-only with the model: exit %d, %s %s", code, cost, stderr)
	}
	// Without the embedded catalog the model is unknown, and the error says what to do.
	code, _, stderr := expected(t, "--prices-only", other)
	if code != exitUsage || !strings.Contains(stderr, `unknown model "claude-sonnet-4-5"`) || !strings.Contains(stderr, "--prices FILE") {
		t.Errorf("--prices-only without the model: exit %d, %s", code, stderr)
	}
	if code, _, stderr := expected(t, "--prices", other, "--prices-only", other); code != exitUsage || !strings.Contains(stderr, "not both") {
		t.Errorf("both flags: exit %d, %s", code, stderr)
	}
	// Every command that prices takes the flags.
	for _, args := range [][]string{
		{"validate", example, "--prices-only", other},
		{"prices", "claude-sonnet-4-5", "--prices-only", other},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, "--prices FILE") {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
	if code, stdout, stderr := runCLI(t, "validate", example, "--prices", other); code != exitOK {
		t.Errorf("validate --prices: exit %d, %s %s", code, stdout, stderr)
	}
}

// estimate and run warn when the prices of a plan's models are older than 90 days, and say
// how to refresh them.
func TestStalePricesWarning(t *testing.T) {
	t.Parallel()
	old := writeTestFile(t, "old.yaml", `as_of: 2025-01-15
source: an old contract
models:
  - {id: claude-sonnet-4-5, provider: anthropic, input: 3, output: 15}
`)
	code, stdout, _ := runCLI(t, "estimate", example, "--scenario", "normal", "--prices-only", old, "--output", "json")
	var est planner.Estimate
	if err := json.Unmarshal([]byte(stdout), &est); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	warns := strings.Join(est.Scenarios[0].Warnings, "\n")
	for _, want := range []string{"the prices of claude-sonnet-4-5 are from --prices-only an old contract, as of 2025-01-15",
		"refresh them with --prices model_prices_and_context_window.json"} {
		if !strings.Contains(warns, want) {
			t.Errorf("warnings lack %q:\n%s", want, warns)
		}
	}
	// The embedded catalog: no warning within 90 days of its date, one after.
	p, err := loadPlan(&IO{Env: func(string) (string, bool) { return "", false }}, example)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := (&priceFlags{}).catalog()
	if err != nil {
		t.Fatal(err)
	}
	asOf, _ := time.Parse(time.DateOnly, pc.cat.AsOf)
	if w := pc.staleWarnings(p, asOf.Add(pricing.StaleAfter)); len(w) != 0 {
		t.Errorf("at 90 days: %q", w)
	}
	w := pc.staleWarnings(p, asOf.Add(pricing.StaleAfter+24*time.Hour))
	if len(w) != 1 || !strings.Contains(w[0], "the prices of claude-sonnet-4-5 are from the embedded catalog, as of "+pc.cat.AsOf+" (91 days ago)") {
		t.Errorf("at 91 days: %q", w)
	}
	// Rows a --prices file gives are its own: the file's date counts for them.
	fresh := writeTestFile(t, "fresh.yaml", "as_of: "+asOf.Add(80*24*time.Hour).Format(time.DateOnly)+
		"\nsource: fresh\nmodels:\n  - {id: claude-sonnet-4-5, provider: anthropic, input: 3, output: 15}\n")
	pc, err = (&priceFlags{add: fresh}).catalog()
	if err != nil {
		t.Fatal(err)
	}
	if w := pc.staleWarnings(p, asOf.Add(pricing.StaleAfter+24*time.Hour)); len(w) != 0 {
		t.Errorf("priced by a fresh --prices file: %q", w)
	}
}
