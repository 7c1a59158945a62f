package planner

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// TestGateExactWorstCase: the worst case is exact, so a budget equal to it passes the gate
// and a budget a cent under it does not, even where a share or a count has no end in decimal.
func TestGateExactWorstCase(t *testing.T) {
	t.Parallel()
	constant := plan.Wait{Kind: plan.WaitConstant, Min: time.Second, Max: time.Second}
	cases := []struct {
		name     string
		scenario plan.Scenario
		tasks    []*plan.Task
		worst    string // the exact worst case
		requests string // worst-case requests of the first task
	}{
		// 4 users for 150 s, a task a second at worst: 600 user-seconds / 1 s + 4 = 604
		// iterations; task a has 2/5 of them, 241.6 at $0.01 = $2.416 (in floats
		// 604 × 0.4 = 241.60000000000002); task b 3/5, 362.4 at $0.005 = $1.812.
		// $2.416 + $1.812 = $4.228.
		{"the issue's 604 × 0.4", plan.Scenario{Users: 4, Duration: 150 * time.Second, Wait: constant},
			[]*plan.Task{flatTask("a", 2, "0.01"), flatTask("b", 3, "0.005")}, "4.228", "241.6"},
		// 10 users started at 3/s for 30 s: the ramp takes 10/3 s, so the user-seconds are
		// 10·30 − 10·(10/3)/2 = 850/3; the worst case is 850/3 + 10 = 880/3 iterations. Task a
		// has 1/3 of them, 880/9 (97.777...) at $0.009 = $0.88; task b 2/3, 1760/9 at
		// $0.0045 = $0.88. $0.88 + $0.88 = $1.76, although no count ends in decimal.
		{"thirds", plan.Scenario{Users: 10, SpawnRate: 3, Duration: 30 * time.Second, Wait: constant},
			[]*plan.Task{flatTask("a", 1, "0.009"), flatTask("b", 2, "0.0045")}, "1.76", "97.777777778"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.scenario
			s.Name = "s"
			p := &plan.Plan{Name: "p", Tasks: tc.tasks, Scenarios: []*plan.Scenario{&s}}
			worst := dec(tc.worst)
			for _, b := range []struct {
				budget decimal.Decimal
				within bool
			}{
				{worst, true},
				{worst.Sub(dec("0.01")), false},
				{worst.Sub(dec("0.000000000000000001")), false},
				{worst.Add(dec("0.01")), true},
			} {
				e, err := EstimateScenario(p, &s, pricing.Default(), Options{Gate: GateWorst, Budget: &b.budget})
				if err != nil {
					t.Fatal(err)
				}
				if !e.Cost.Worst.Equal(worst) {
					t.Fatalf("worst %s, want %s", e.Cost.Worst, worst)
				}
				if got := e.Tasks[0].Requests.Worst.Decimal(); !got.Equal(dec(tc.requests)) {
					t.Errorf("task %s: worst requests %s, want %s", e.Tasks[0].Name, got, tc.requests)
				}
				if *e.WithinBudget != b.within {
					t.Errorf("budget %s: within %v, want %v", b.budget, *e.WithinBudget, b.within)
				}
			}
		})
	}
}

// TestExpectedCaseExact: with a latency given by its median only, the expected case is exact
// too: 2 users for 60 s, a wait of 1 s and a latency of 1.5 s make a period of 2.5 s,
// 120/2.5 + 2·0.5 = 49 requests, at $0.03 = $1.47.
func TestExpectedCaseExact(t *testing.T) {
	t.Parallel()
	task := flatTask("a", 1, "0.03")
	task.Steps[0].Expect.Latency = plan.Dist{Median: 1500 * time.Millisecond}
	s := &plan.Scenario{Name: "s", Users: 2, Duration: time.Minute, Wait: plan.Wait{Kind: plan.WaitConstant, Min: time.Second, Max: time.Second}}
	e := estimate(t, &plan.Plan{Tasks: []*plan.Task{task}}, s)
	if !e.Requests.Expected.Decimal().Equal(dec("49")) || !e.Cost.Expected.Equal(dec("1.47")) {
		t.Errorf("requests %s, cost %s; want 49, 1.47", e.Requests.Expected, e.Cost.Expected)
	}
}

func TestMoneyAndQuantity(t *testing.T) {
	t.Parallel()
	cases := []struct {
		num, den  int64
		money     string // exact when it ends, else up at 18 places
		quantity_ string // half to even at 9 places
	}{
		{2416, 1000, "2.416", "2.416"},
		{1, 3, "0.333333333333333334", "0.333333333"},
		{2, 3, "0.666666666666666667", "0.666666667"},
		{1, 1 << 30, "0.000000000931322574615478515625", "0.000000001"}, // 2^-30 ends after 30 places
		{5, 10_000_000_000, "0.0000000005", "0"},                        // half: to even (0)
		{15, 10_000_000_000, "0.0000000015", "0.000000002"},             // half: to even (2)
		{-1, 3, "-0.333333333333333333", "-0.333333333"},                // up is toward +∞
	}
	for _, tc := range cases {
		r := big.NewRat(tc.num, tc.den)
		if got := money(r); !got.Equal(dec(tc.money)) {
			t.Errorf("money(%s) = %s, want %s", r, got, tc.money)
		}
		if got := quantity(r); !got.Decimal().Equal(dec(tc.quantity_)) {
			t.Errorf("quantity(%s) = %s, want %s", r, got, tc.quantity_)
		}
	}
}

// TestQuantityJSON: counts are JSON numbers, read back exactly.
func TestQuantityJSON(t *testing.T) {
	t.Parallel()
	q := Quantity(dec("241.6"))
	b, err := q.MarshalJSON()
	if err != nil || string(b) != "241.6" {
		t.Fatalf("%s %v", b, err)
	}
	var back Quantity
	for _, in := range []string{"241.6", `"241.6"`, "2.416e2"} {
		if err := back.UnmarshalJSON([]byte(in)); err != nil || !back.Decimal().Equal(dec("241.6")) {
			t.Errorf("%s: %s %v", in, back, err)
		}
	}
	if err := back.UnmarshalJSON([]byte(`"many"`)); err == nil {
		t.Error("a word read as a quantity")
	}
}

func TestBudgetPrecedence(t *testing.T) {
	t.Parallel()
	flag, own := dec("3"), dec("7")
	withOwn := &plan.Scenario{Name: "s", Budget: &own} // the scenario's, or the plan's folded in
	none := &plan.Scenario{Name: "s"}
	cases := []struct {
		name string
		opts Options
		s    *plan.Scenario
		want string // "": none
		err  error
	}{
		{"the scenario's (or the plan's)", Options{}, withOwn, "7", nil},
		{"--budget wins", Options{Budget: &flag}, withOwn, "3", nil},
		{"--budget without one in the plan", Options{Budget: &flag}, none, "3", nil},
		{"--no-budget: none, whatever the plan says", Options{NoBudget: true}, withOwn, "", nil},
		{"none anywhere", Options{}, none, "", nil},
		{"both flags", Options{Budget: &flag, NoBudget: true}, withOwn, "", ErrBudgetAndNoBudget},
	}
	for _, tc := range cases {
		got, err := tc.opts.BudgetFor(tc.s)
		switch {
		case !errors.Is(err, tc.err):
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
		case tc.want == "" && got != nil, tc.want != "" && (got == nil || !got.Equal(dec(tc.want))):
			t.Errorf("%s: budget %v, want %q", tc.name, got, tc.want)
		}
	}
}

const boundsPlan = `version: 1
name: bounds
target: mock://
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {message: hi, max_tokens: 50}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 20}
  written:
    request: {method: POST, path: /chat}
    usage: anthropic
    expect: {input_tokens: 100, cacheable_tokens: 40, output_tokens: 20, max_input_tokens: 300, max_output_tokens: 60}
  unbounded:
    request: {method: POST, path: /chat}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 20}
  ping: {request: {path: /health}, price: 0.001}
scenarios:
  s: {users: 1, duration: 1m, wait: {constant: 1s}}
`

func parse(t *testing.T, text string) *plan.Plan {
	t.Helper()
	p, err := plan.Parse("plan.yaml", []byte(text), plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBounds: each step's bound is its worst case, with the declared limits it follows from
// and where each came from; a capped run refuses a priced step with none.
func TestBounds(t *testing.T) {
	t.Parallel()
	p := parse(t, boundsPlan)
	step := func(name string) *plan.Step {
		for _, tk := range p.Tasks {
			if tk.Name == name {
				return tk.Steps[0]
			}
		}
		t.Fatalf("no task %s", name)
		return nil
	}
	_, err := Bounds(p, pricing.Default(), true)
	var nw *NoWorstCaseError
	if !errors.As(err, &nw) || nw.Step != "unbounded" {
		t.Fatalf("capped: %v, want unbounded has no worst case", err)
	}
	bounds, err := Bounds(p, pricing.Default(), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bounds[step("unbounded")]; ok {
		t.Error("an unbounded step has a bound")
	}
	// Sonnet 4.5: $3 input, $6 1-hour write, $15 output per MTok.
	// chat: 200 input (2 × 100) + 50 output = 600 + 750 = 1350 µ$.
	// written: 260 input + 40 written at 1 h + 60 output = 780 + 240 + 900 = 1920 µ$.
	want := map[string]struct {
		cost   string
		limits []string
	}{
		"chat": {"0.00135", []string{"max_input_tokens 200 default: 2 × input_tokens", "max_output_tokens 50 plan.yaml:7:74, the request's max_tokens",
			"cacheable_tokens 0 default: 0, no cacheable prefix"}},
		"written": {"0.00192", []string{"max_input_tokens 300 plan.yaml:13:92", "max_output_tokens 60 plan.yaml:13:116", "cacheable_tokens 40 plan.yaml:13:51"}},
		"ping":    {"0.001", nil},
	}
	for name, w := range want {
		b := bounds[step(name)]
		var got []string
		for _, l := range b.Limits {
			got = append(got, strings.Join([]string{l.Name, decimal.NewFromInt(l.Tokens).String(), l.From}, " "))
		}
		if !b.Cost.Equal(dec(w.cost)) || strings.Join(got, "|") != strings.Join(w.limits, "|") {
			t.Errorf("%s: cost %s limits %q; want %s %q", name, b.Cost, got, w.cost, w.limits)
		}
	}
	over := pricing.Usage{Input: 500, Output: 10}
	if br := bounds[step("chat")].Broken(over); len(br) != 1 || br[0].Name != "max_input_tokens" {
		t.Errorf("broken by %+v: %+v", over, br)
	}
}

// TestPlanRun: a run gets its budget, its estimate gated on the expected cost and its bounds
// from one call; it refuses a run without a budget unless asked to run uncapped.
func TestPlanRun(t *testing.T) {
	t.Parallel()
	p := parse(t, strings.Replace(boundsPlan, "  unbounded:\n    request: {method: POST, path: /chat}\n    usage: anthropic\n    expect: {input_tokens: 100, output_tokens: 20}\n", "", 1))
	s := p.Scenarios[0]
	var nb *NoBudgetError
	if _, err := PlanRun(p, s, pricing.Default(), Options{}); !errors.As(err, &nb) || !strings.Contains(err.Error(), "--no-budget") {
		t.Errorf("no budget: %v", err)
	}
	budget := dec("2")
	rp, err := PlanRun(p, s, pricing.Default(), Options{Budget: &budget, Gate: GateWorst})
	if err != nil {
		t.Fatal(err)
	}
	if !rp.Budget.Equal(budget) || rp.Estimate.Gate != GateExpected || rp.Estimate.Budget == nil || len(rp.Bounds) != 3 {
		t.Errorf("budget %v, gate %s, estimate budget %v, %d bounds", rp.Budget, rp.Estimate.Gate, rp.Estimate.Budget, len(rp.Bounds))
	}
	rp, err = PlanRun(p, s, pricing.Default(), Options{NoBudget: true})
	if err != nil || rp.Budget != nil || rp.Estimate.Budget != nil || rp.Estimate.WithinBudget != nil {
		t.Errorf("uncapped: %v %+v", err, rp)
	}
}

// TestAssumptionsNameDefaults: the estimate says the values deciding money that the plan does
// not write.
func TestAssumptionsNameDefaults(t *testing.T) {
	t.Parallel()
	p := parse(t, boundsPlan)
	e := estimate(t, p, p.Scenarios[0])
	all := strings.Join(e.Assumptions, "\n")
	for _, want := range []string{
		"expect.max_input_tokens (default: 2 × input_tokens): chat 200, unbounded 200",
		"expect.max_output_tokens (the request's max_tokens): chat 50",
		"expect.cache_hit_rate (default: every cacheable prefix a miss, written to the cache): written 0%",
		"no expect.latency for chat, written, unbounded, ping: its latency is taken as 0",
		"spawn_rate: none (default: its one user starts at once)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("assumptions lack %q:\n%s", want, all)
		}
	}
}
