package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// The mock serves /api/chat/message in exactly 200 ms with 4 workers: its capacity is
// 4 / 0.2 s = 20 requests/s. Arrivals are evenly spaced, so below 20/s no request waits
// (10/s keeps 2 in flight: a late burst of 2 more still finds a worker) and above it the line
// grows by the excess each second: at 35/s, 15 more a second, so a request arriving at t
// waits 0.75·t s, and those arriving after 1.07 s (nearly half) take more than the plan's
// 1 s p95. The threshold is far above the 200 ms of a step that holds, so that a busy machine's
// stalls do not break it.
const testPlan = `version: 1
name: sweep-test
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: hi, max_tokens: 50}}
    usage: anthropic
    expect: {input_tokens: 20, output_tokens: 10, max_input_tokens: 40, latency: {median: 200ms}}
scenarios:
  steady: {arrival_rate: 4/s, duration: 2s, max_in_flight: 200}
  closed: {users: 1, duration: 2s, wait: {constant: 1ms}}
  tight: {arrival_rate: 4/s, duration: 2s, max_in_flight: 2}
thresholds:
  p95: 1s
`

// startMock starts the embedded mock with 4 workers and a fixed 200 ms latency.
func startMock(t *testing.T) (string, *mock.Server) {
	t.Helper()
	cfg := mock.Config{Model: mock.DefaultModel, TimeScale: 1, Seed: 5, Capacity: 4, Endpoints: map[string]mock.Endpoint{
		mock.PathChatMessage: {Latency: mock.Latency{Median: 200 * time.Millisecond}, InputTokens: 20, MaxInputTokens: 40,
			OutputTokens: 10, MaxOutputTokens: 50},
	}}
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, srv
}

// setup is a sweep of the test plan against a fresh mock, metered by a ledger of budget.
func setup(t *testing.T, budget *decimal.Decimal, levels ...float64) (Config, *mock.Server) {
	t.Helper()
	url, srv := startMock(t)
	p, err := plan.Parse(filepath.Join(t.TempDir(), "plan.yaml"), []byte(strings.ReplaceAll(testPlan, "TARGET", url)),
		plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	cat := pricing.Default()
	ledger := meter.New(budget)
	bounds, err := planner.Bounds(p, cat, budget != nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Plan: p, Scenario: p.Scenario("steady"), Catalog: cat, Levels: levels, StepDuration: 2 * time.Second,
		Options: planner.Options{Budget: budget, NoBudget: budget == nil}, Ledger: ledger}
	cfg.RunStep = func(ctx context.Context, st StepRun) (*summary.Run, error) {
		est, _ := json.Marshal(st.Estimate)
		return executor.Run(ctx, executor.Config{Plan: p, Scenario: st.Scenario, Target: url, Catalog: cat, Ledger: ledger,
			Capped: budget != nil, Bounds: bounds, Seed: uint64(st.Index), StopTimeout: 10 * time.Second,
			Estimate: est, ExpectedCost: st.Estimate.Cost.Expected})
	}
	return cfg, srv
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// brokeText says why each step that did not hold broke, for a failure message.
func brokeText(res *Result) string {
	var b strings.Builder
	for _, st := range res.Steps {
		fmt.Fprintf(&b, "%s: %d requests, p95 %.0f ms, stop %s, broke %v; ", st.Text, st.Requests, st.P95MS, st.StopReason, st.Broke)
	}
	return b.String()
}

func levelsOf(steps []Step) []float64 {
	var out []float64
	for _, s := range steps {
		out = append(out, s.Level)
	}
	return out
}

// TestSweepFindsTheKnee: 5/s and 10/s hold, 60/s breaks (p95) and the sweep stops there;
// one refine step at 35/s breaks too, so the knee is 10/s, with the break at 35/s.
func TestSweepFindsTheKnee(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, nil, 5, 10, 60, 80)
	cfg.Refine = 1
	res := run(t, cfg)
	if got := levelsOf(res.Steps); len(got) != 4 || got[0] != 5 || got[1] != 10 || got[2] != 60 || got[3] != 35 {
		t.Fatalf("steps run at %v, want 5, 10, 60 (the first to break: 80 never runs) and 35 (refine); %s", got, brokeText(res))
	}
	for i, held := range []bool{true, true, false, false} {
		st := res.Steps[i]
		if st.Held == nil || *st.Held != held {
			t.Errorf("step %s: held %v, want %v (p95 %.0f ms, broke %v)", st.Text, st.Held, held, st.P95MS, st.Broke)
		}
	}
	if !res.Steps[3].Refine || res.Steps[2].Refine {
		t.Errorf("refine flags: %v, %v", res.Steps[2].Refine, res.Steps[3].Refine)
	}
	if res.StopReason != StopBroke || res.ExitCode != 0 {
		t.Errorf("stop %s, exit %d; want slo_broken, 0", res.StopReason, res.ExitCode)
	}
	if res.Knee == nil || res.Knee.Level != 10 || res.Knee.Below == nil || *res.Knee.Below != 35 {
		t.Fatalf("knee %+v, want 10/s, broken at 35/s", res.Knee)
	}
	if res.Knee.CostPer1kGood == nil || !res.Knee.CostPer1kGood.IsPositive() {
		t.Errorf("knee's cost per 1k good: %v", res.Knee.CostPer1kGood)
	}
	// Without the summary's goodput, attainment is the share of requests that did not fail.
	if a := res.Steps[1].SLOAttainment; a == nil || *a != 1 || res.Steps[1].Good != res.Steps[1].Requests {
		t.Errorf("10/s: attainment %v, good %d of %d", a, res.Steps[1].Good, res.Steps[1].Requests)
	}
	var sum decimal.Decimal
	for _, st := range res.Steps {
		sum = sum.Add(st.Cost)
	}
	if !res.Totals.Cost.Equal(sum) || res.Totals.Steps != 4 {
		t.Errorf("totals %+v, steps' cost %s", res.Totals, sum)
	}
}

// TestSweepStopsAtFirstBadStep: a ladder that breaks at its first step runs that step only,
// has no knee and exits 1.
func TestSweepStopsAtFirstBadStep(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, nil, 60, 80)
	cfg.Refine = 2
	res := run(t, cfg)
	if len(res.Steps) != 1 || res.Knee != nil || res.StopReason != StopBroke || res.ExitCode != summary.ExitThresholds {
		t.Fatalf("steps %v, knee %+v, stop %s, exit %d; %s", levelsOf(res.Steps), res.Knee, res.StopReason, res.ExitCode, brokeText(res))
	}
	if !strings.Contains(strings.Join(res.Steps[0].Broke, ";"), "p95") {
		t.Errorf("broke: %v", res.Steps[0].Broke)
	}
}

// TestSweepOneLedger: the budget covers about a step and a half of 10/s (20 requests at
// about $0.00021 each, $0.0042 a step): the second step runs with what the first left and
// the sweep stops there (budget_exhausted, exit 4), the third never runs, and neither the
// meter nor the mock billed more than the budget.
func TestSweepOneLedger(t *testing.T) {
	t.Parallel()
	budget := decimal.RequireFromString("0.006")
	cfg, srv := setup(t, &budget, 10, 10, 10)
	res := run(t, cfg)
	if res.StopReason != StopBudget || res.ExitCode != summary.ExitBudget || len(res.Steps) != 2 {
		t.Fatalf("stop %s (%s), exit %d, %d steps; want budget_exhausted, 4, 2", res.StopReason, res.StopDetail, res.ExitCode, len(res.Steps))
	}
	if res.Steps[1].Held != nil {
		t.Errorf("the step the budget stopped was judged: %v", *res.Steps[1].Held)
	}
	spent := cfg.Ledger.Snapshot().Spent
	billed := srv.Ledger().Snapshot().Cost
	if spent.GreaterThan(budget) || billed.GreaterThan(budget) || !res.Totals.Cost.Equal(spent) {
		t.Errorf("meter spent %s, mock billed %s, totals %s; budget %s", spent, billed, res.Totals.Cost, budget)
	}
	if !res.Totals.Cost.GreaterThan(decimal.RequireFromString("0.0042")) {
		t.Errorf("the sweep spent %s: the second step did not run on what the first left", res.Totals.Cost)
	}
	if res.Budget == nil || !res.Budget.Limit.Equal(budget) {
		t.Errorf("budget %+v", res.Budget)
	}
}

// TestSweepInterrupted: a context cancelled before the sweep stops it at once, with the
// result written (interrupted, 130).
func TestSweepInterrupted(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, nil, 5, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, cfg)
	if err != nil || res.StopReason != StopInterrupted || res.ExitCode != summary.ExitInterrupted || len(res.Steps) != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
}

// TestSweepClosedModel: users that send back to back never wait with 4 users on 4 workers
// (200 ms each); 30 share them, so each request takes about 30 / 4 × 200 ms = 1.5 s, over the
// 1 s p95. The knee is 4 users.
func TestSweepClosedModel(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, nil, 4, 30)
	cfg.Scenario, cfg.Closed = cfg.Plan.Scenario("closed"), true
	res := run(t, cfg)
	if res.Model != "closed" || len(res.Steps) != 2 || res.Knee == nil || res.Knee.Level != 4 || res.Knee.Text != "4 users" {
		t.Fatalf("model %s, steps %v, knee %+v; %s", res.Model, levelsOf(res.Steps), res.Knee, brokeText(res))
	}
	if st := res.Steps[1]; st.Held == nil || *st.Held || st.P95MS < 1000 {
		t.Errorf("30 users: held %v, p95 %.0f ms", st.Held, st.P95MS)
	}
}

// TestSweepBudgetDuringRefine: the ladder breaks at 60/s, and the budget runs out during the
// refine steps: the sweep says budget_exhausted (exit 4), not slo_broken, keeps the knee found
// so far, and neither the meter nor the mock went over the budget.
func TestSweepBudgetDuringRefine(t *testing.T) {
	t.Parallel()
	// 5, 10 and 60/s for 2 s are at most 150 requests at $0.00021 (20 input and 10 output
	// tokens): $0.0315; $0.04 leaves room for about 40 more, and the three refine steps
	// between 10/s and 60/s would send over 100.
	budget := decimal.RequireFromString("0.04")
	cfg, srv := setup(t, &budget, 5, 10, 60)
	cfg.Refine = 3
	res := run(t, cfg)
	if res.StopReason != StopBudget || res.ExitCode != summary.ExitBudget || res.Knee == nil || res.Knee.Level < 10 {
		t.Fatalf("stop %s (%s), exit %d, knee %+v, total %s over %d requests; %s", res.StopReason, res.StopDetail,
			res.ExitCode, res.Knee, res.Totals.Cost, res.Totals.Requests, brokeText(res))
	}
	if last := res.Steps[len(res.Steps)-1]; !last.Refine || last.Held != nil {
		t.Errorf("the last step: %+v", last)
	}
	spent, billed := cfg.Ledger.Snapshot().Spent, srv.Ledger().Snapshot().Cost
	if spent.GreaterThan(budget) || billed.GreaterThan(budget) {
		t.Errorf("meter spent %s, mock billed %s: over the budget %s", spent, billed, budget)
	}
}

// TestSweepMaxInFlight: with 2 users for the open model and 200 ms requests, the generator
// starts at most 10 a second: 5/s holds; at 40/s the users are both busy, most arrivals never
// start, and the step does not hold although no request waited at the mock (2 of its 4
// workers) and p95 stays near 200 ms.
func TestSweepMaxInFlight(t *testing.T) {
	t.Parallel()
	cfg, _ := setup(t, nil, 5, 40)
	cfg.Scenario = cfg.Plan.Scenario("tight")
	res := run(t, cfg)
	if len(res.Steps) != 2 || res.Knee == nil || res.Knee.Level != 5 {
		t.Fatalf("steps %v, knee %+v; %s", levelsOf(res.Steps), res.Knee, brokeText(res))
	}
	st := res.Steps[1]
	if len(st.Broke) != 1 || !strings.Contains(st.Broke[0], "arrivals never started (all 2 max_in_flight users busy)") {
		t.Errorf("40/s broke: %v (p95 %.0f ms)", st.Broke, st.P95MS)
	}
}
