package planner

import (
	"errors"
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

func parsePlan(t *testing.T, src string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse("mc.yaml", []byte(src), plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Two flat-priced tasks of equal weight, 100 task iterations of the open model: the cost is
// 0.01·k + 0.03·(100 − k) with k ~ Binomial(100, ½): mean $2.00, standard deviation
// 0.02·√25 = $0.10, so P5 ≈ 2 − 1.645·0.1 ≈ $1.84 and P95 ≈ $2.16; P(cost > $2.00) =
// P(k < 50) ≈ 46 %.
const flatOpen = `version: 1
name: mc
target: mock://
tasks:
  cheap: {weight: 1, request: {path: /a}, price: 0.01}
  dear: {weight: 1, request: {path: /b}, price: 0.03}
scenarios:
  open: {arrival_rate: 10/s, duration: 10s}
`

func TestSimulateFlatOpenModel(t *testing.T) {
	t.Parallel()
	p := parsePlan(t, flatOpen)
	budget := dec("2.00")
	mc, err := Simulate(p, p.Scenarios[0], pricing.Default(), SimOptions{Seed: 7, Draws: 4000, Budget: &budget})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Requests.P5 != 100 || mc.Requests.P95 != 100 {
		t.Fatalf("requests %+v, want 100 in every draw", mc.Requests)
	}
	between := func(name string, got, lo, hi string) {
		if got := dec(got); got.LessThan(dec(lo)) || got.GreaterThan(dec(hi)) {
			t.Errorf("%s %s, want within [%s, %s]", name, got, lo, hi)
		}
	}
	between("P5", mc.Cost.P5.String(), "1.80", "1.88")
	between("P50", mc.Cost.P50.String(), "1.96", "2.04")
	between("P95", mc.Cost.P95.String(), "2.12", "2.20")
	// Exact money: every draw is a sum of cents.
	for _, d := range []string{mc.Cost.P5.String(), mc.Cost.P50.String(), mc.Cost.P95.String()} {
		if !dec(d).Equal(dec(d).Round(2)) {
			t.Errorf("cost %s is not a whole number of cents", d)
		}
	}
	if mc.OverBudget == nil || *mc.OverBudget < 0.40 || *mc.OverBudget > 0.52 {
		t.Fatalf("p_over_budget %v, want about 0.46", mc.OverBudget)
	}
	again, _ := Simulate(p, p.Scenarios[0], pricing.Default(), SimOptions{Seed: 7, Draws: 4000, Budget: &budget})
	if !again.Cost.P5.Equal(mc.Cost.P5) || !again.Cost.Mean.Equal(mc.Cost.Mean) || *again.OverBudget != *mc.OverBudget {
		t.Fatalf("the same seed gave %+v then %+v", mc.Cost, again.Cost)
	}
	other, _ := Simulate(p, p.Scenarios[0], pricing.Default(), SimOptions{Seed: 8, Draws: 4000})
	if other.Cost.Mean.Equal(mc.Cost.Mean) {
		t.Fatalf("seeds 7 and 8 gave the same mean %s", mc.Cost.Mean)
	}
	if other.OverBudget != nil {
		t.Fatalf("p_over_budget %v without a budget", *other.OverBudget)
	}
}

// One user, a fixed latency of 1 s and a constant wait of 1 s for 10 s: tasks start at 0, 2,
// 4, 6 and 8 s, five in every draw.
func TestSimulateClosedModelCountsIterations(t *testing.T) {
	t.Parallel()
	p := parsePlan(t, `version: 1
name: mc
target: mock://
tasks:
  t: {request: {path: /a}, price: 0.001, expect: {latency: {median: 1s, p95: 1s}}}
scenarios:
  s: {users: 1, duration: 10s, wait: {constant: 1s}}
  nowait: {users: 1, duration: 10s}
`)
	mc, err := Simulate(p, p.Scenarios[0], pricing.Default(), SimOptions{Seed: 1, Draws: 50})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Requests.P5 != 5 || mc.Requests.P95 != 5 || !mc.Cost.P50.Equal(dec("0.005")) {
		t.Fatalf("requests %+v cost %+v, want 5 and $0.005", mc.Requests, mc.Cost)
	}
	free := parsePlan(t, `version: 1
name: mc
target: mock://
tasks:
  t: {request: {path: /a}, price: 0.001}
scenarios:
  nowait: {users: 1, duration: 10s}
`)
	if _, err := Simulate(free, free.Scenarios[0], pricing.Default(), SimOptions{Seed: 1, Draws: 5}); !errors.Is(err, ErrNoBound) {
		t.Fatalf("no wait and no latency: %v, want ErrNoBound", err)
	}
}

// Tokens drawn from measured quantiles stay within them, and the cost is priced at the
// model's rates exactly: 100 requests of a prompt and output between min and max.
func TestSimulateMeasuredQuantiles(t *testing.T) {
	t.Parallel()
	p := parsePlan(t, `version: 1
name: mc
target: mock://
pricing: {model: claude-sonnet-4-5}
tasks:
  t: {request: {path: /a, json: {max_tokens: 100}}, usage: anthropic, expect: {input_tokens: 1000, output_tokens: 50}}
scenarios:
  open: {arrival_rate: 10/s, duration: 10s}
`)
	pct := []float64{0, 50, 100}
	ms := &Measured{Percents: pct, Steps: map[string]MeasuredStep{"t": {Prompt: []int64{1000, 1000, 1000}, Output: []int64{10, 10, 10}}}}
	mc, err := Simulate(p, p.Scenarios[0], pricing.Default(), SimOptions{Seed: 3, Draws: 20, Measured: ms})
	if err != nil {
		t.Fatal(err)
	}
	// 100 × (1000 input at $3/M + 10 output at $15/M) = 100 × $0.00315 = $0.315, every draw.
	if !mc.Cost.P5.Equal(dec("0.315")) || !mc.Cost.P95.Equal(dec("0.315")) || len(mc.Calibrated) != 1 {
		t.Fatalf("cost %+v calibrated %v, want $0.315", mc.Cost, mc.Calibrated)
	}
}
