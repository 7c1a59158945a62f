package planner

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func flatTask(name string, weight int, price string) *plan.Task {
	return &plan.Task{Name: name, Weight: weight, Steps: []*plan.Step{{Name: name, Cost: plan.CostRule{Kind: plan.CostFlat, Price: dec(price)}}}}
}

func usageStep(name, model string, e plan.Expect) *plan.Step {
	e.HasTokens = true
	if e.MaxInputTokens == 0 {
		e.MaxInputTokens = e.InputTokens.Mul(dec("2")).Ceil().IntPart()
	}
	return &plan.Step{Name: name, Cost: plan.CostRule{Kind: plan.CostUsage, Model: model, Usage: plan.UsageSource{Kind: plan.UsageAnthropic}}, Expect: e}
}

func estimate(t *testing.T, p *plan.Plan, s *plan.Scenario) *Scenario {
	t.Helper()
	e, err := EstimateScenario(p, s, pricing.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestRequestCounts(t *testing.T) {
	constant := func(d time.Duration) plan.Wait { return plan.Wait{Kind: plan.WaitConstant, Min: d, Max: d} }
	pacing := func(d time.Duration) plan.Wait { return plan.Wait{Kind: plan.WaitPacing, Min: d, Max: d} }
	cases := []struct {
		name     string
		scenario plan.Scenario
		tasks    []*plan.Task
		want     float64 // expected requests
		wantCost string  // expected cost
	}{
		// 10 users started at 2/s: the ramp takes 5 s, so the user-seconds are
		// 10*60 - 10*10/(2*2) = 575; one request a second each, plus half a request per user
		// (the first is sent at once; the period is fixed, so no variance term):
		// 575 + 10*0.5 = 580 requests at $0.01.
		{"ramp", plan.Scenario{Users: 10, SpawnRate: 2, Duration: time.Minute, Wait: constant(time.Second)},
			[]*plan.Task{flatTask("a", 1, "0.01")}, 580, "5.8"},
		// Up to 10 users over 1 m, 10 for 2 m, down to 0 over 1 m: 300 + 1200 + 300 = 1800
		// user-seconds; a request every 2 s: 900, plus 10 starts * 0.5 = 905.
		{"stages with a ramp-down", plan.Scenario{Stages: []plan.Stage{{Duration: time.Minute, Users: 10}, {Duration: 2 * time.Minute, Users: 10}, {Duration: time.Minute, Users: 0}}, Wait: constant(2 * time.Second)},
			[]*plan.Task{flatTask("a", 1, "0.002")}, 905, "1.81"},
		// Random periods start more tasks: a wait uniform in [0 s, 2 s] has mean 1 s and
		// variance 4/12 = 1/3, so one user for 60 s starts 60 + 0.5 + (1/3)/2 = 60.6667.
		{"renewal with a random wait", plan.Scenario{Users: 1, Duration: time.Minute, Wait: plan.Wait{Kind: plan.WaitBetween, Min: 0, Max: 2 * time.Second}},
			[]*plan.Task{flatTask("a", 1, "0.03")}, 60 + 0.5 + 1.0/6, "1.82"},
		// 3 users started at 1/s (at 1 s, 2 s, 3 s) paced at 20 s for 41 s: user 1 sends at 1 s
		// and 21 s, user 2 at 2 s and 22 s, user 3 at 3 s and 23 s: 6 requests (the
		// continuous formula would say 5.925).
		{"pacing counted discretely", plan.Scenario{Users: 3, SpawnRate: 1, Duration: 41 * time.Second, Wait: pacing(20 * time.Second)},
			[]*plan.Task{flatTask("a", 1, "0.5")}, 6, "3"},
		// The seed: 50 users at 3/min for 10 min, all at once: 30 each, 1500, at $0.003: $4.50.
		{"seed", plan.Scenario{Users: 50, Duration: 10 * time.Minute, Wait: pacing(20 * time.Second)},
			[]*plan.Task{flatTask("a", 1, "0.003")}, 1500, "4.5"},
		// Open model: 30/s for 5 min is 9000 iterations; half are a 2-step sequence at
		// $0.001 + $0.002, half a single free request: 9000 * (0.5*2 + 0.5*1) = 13500 requests,
		// 4500 * 0.003 = $13.50.
		{"open model with a sequence", plan.Scenario{ArrivalRate: plan.Rate{PerSecond: 30, Text: "30/s"}, Duration: 5 * time.Minute, MaxInFlight: 100},
			[]*plan.Task{
				{Name: "seq", Weight: 1, Sequence: true, Steps: []*plan.Step{
					{Name: "seq.0", Cost: plan.CostRule{Kind: plan.CostFlat, Price: dec("0.001")}},
					{Name: "seq.1", Cost: plan.CostRule{Kind: plan.CostFlat, Price: dec("0.002")}}}},
				{Name: "free", Weight: 1, Steps: []*plan.Step{{Name: "free", Cost: plan.CostRule{Kind: plan.CostFree}}}},
			}, 13500, "13.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.scenario
			s.Name = "s"
			p := &plan.Plan{Name: "p", Tasks: tc.tasks, Scenarios: []*plan.Scenario{&s}}
			e := estimate(t, p, &s)
			if !near(e.Requests.Expected.Float64(), tc.want) {
				t.Errorf("requests %v, want %v", *e.Requests.Expected, tc.want)
			}
			if !e.Cost.Expected.Round(9).Equal(dec(tc.wantCost)) { // counts are modelled floats
				t.Errorf("cost %s, want %s", e.Cost.Expected, tc.wantCost)
			}
		})
	}
}

func TestTokenCosts(t *testing.T) {
	cases := []struct {
		name                 string
		model                string
		expect               plan.Expect
		low, expected, worst string
	}{
		// Sonnet 4.5 ($3 in, $3.75 5m write, $6 1h write, $0.30 read, $15 out per MTok).
		// Expected: 1000 uncached*3 + 8100 read*0.30 + 900 written*3.75 + 500 out*15
		//         = 3000 + 2430 + 3375 + 7500 = 16305 micro-dollars.
		// Low: every prefix a hit: 3000 + 9000*0.30 + 7500 = 13200.
		// Worst: 20000 in (2x), the 9000 prefix written at the 1-hour rate, 1000 out:
		//        11000*3 + 9000*6 + 1000*15 = 102000.
		{"anthropic cache-heavy", "claude-sonnet-4-5",
			plan.Expect{InputTokens: dec("10000"), CacheableTokens: dec("9000"), CacheHitRate: dec("0.9"), OutputTokens: dec("500"), MaxOutputTokens: 1000},
			"0.0132", "0.016305", "0.102"},
		// A share of the writes at the 1-hour rate: 1000 misses, 40% at 1h:
		// 0 uncached + 0 read + 600*3.75 + 400*6 + 100*15 = 2250 + 2400 + 1500 = 6150.
		// Low: 1000 read*0.30 + 1500 = 1800. Worst: 2000 in, 1000 of them written at 1h:
		// 1000*3 + 1000*6 + 100*15 = 10500.
		{"anthropic 1-hour writes", "claude-sonnet-4-5",
			plan.Expect{InputTokens: dec("1000"), CacheableTokens: dec("1000"), CacheWrite1h: dec("0.4"), OutputTokens: dec("100"), MaxOutputTokens: 100},
			"0.0018", "0.00615", "0.0105"},
		// gpt-4o ($2.50 in, $1.25 cached, $10 out; no write surcharge). Expected:
		// 200*2.5 + 400*1.25 + 400*2.5 + 200*10 = 500 + 500 + 1000 + 2000 = 4000.
		// Low: 200*2.5 + 800*1.25 + 2000 = 3500. Worst: 1200*2.5 + 800*2.5 + 400*10 = 9000.
		{"openai cached input", "gpt-4o",
			plan.Expect{InputTokens: dec("1000"), CacheableTokens: dec("800"), CacheHitRate: dec("0.5"), OutputTokens: dec("200"), MaxOutputTokens: 400},
			"0.0035", "0.004", "0.009"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			low, exp, worst, err := StepCost(usageStep("x", tc.model, tc.expect), pricing.Default())
			if err != nil {
				t.Fatal(err)
			}
			if !low.Equal(dec(tc.low)) || !exp.Equal(dec(tc.expected)) || worst == nil || !worst.Equal(dec(tc.worst)) {
				t.Errorf("low %s expected %s worst %v; want %s %s %s", low, exp, worst, tc.low, tc.expected, tc.worst)
			}
		})
	}
}

func TestLiteLLMPrices(t *testing.T) {
	cat, err := pricing.Parse("prices.json", []byte(`{
  "sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0},
  "my-model": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06, "litellm_provider": "anthropic", "mode": "chat"}}`))
	if err != nil {
		t.Fatal(err)
	}
	// 1000 in at 3e-06 + 100 out at 1.5e-05 = 0.003 + 0.0015.
	_, exp, _, err := StepCost(usageStep("x", "my-model", plan.Expect{InputTokens: dec("1000"), OutputTokens: dec("100")}), cat)
	if err != nil || !exp.Equal(dec("0.0045")) {
		t.Errorf("%s %v", exp, err)
	}
}

func TestWorstCaseAndGate(t *testing.T) {
	unbounded := usageStep("chat", "claude-sonnet-4-5", plan.Expect{InputTokens: dec("100"), OutputTokens: dec("10")})
	s := &plan.Scenario{Name: "s", Users: 1, Duration: time.Minute, Wait: plan.Wait{Kind: plan.WaitPacing, Min: time.Minute, Max: time.Minute}, Budget: new(dec("1"))}
	p := &plan.Plan{Name: "p", Tasks: []*plan.Task{{Name: "chat", Weight: 1, Steps: []*plan.Step{unbounded}}}, Scenarios: []*plan.Scenario{s}}
	e := estimate(t, p, s)
	if e.Cost.Worst != nil {
		t.Errorf("a task with no output bound has a worst case: %s", e.Cost.Worst)
	}
	if !strings.Contains(strings.Join(e.Warnings, "\n"), "no worst case") {
		t.Errorf("warnings %q", e.Warnings)
	}
	if e.WithinBudget == nil || !*e.WithinBudget {
		t.Errorf("the expected gate should pass")
	}
	w, err := EstimateScenario(p, s, pricing.Default(), Options{Gate: GateWorst})
	if err != nil {
		t.Fatal(err)
	}
	if w.WithinBudget == nil || *w.WithinBudget {
		t.Errorf("the worst gate with no worst case must fail closed")
	}
	if over, _ := EstimateScenario(p, s, pricing.Default(), Options{Budget: new(dec("0.0000001"))}); *over.WithinBudget {
		t.Errorf("a tiny --budget did not refuse")
	}
}

func TestWarnings(t *testing.T) {
	// The seed's contradiction: 200 users at 3 requests/min cannot reach 30 requests/s.
	s := &plan.Scenario{Name: "peak", Users: 200, SpawnRate: 50, Duration: 5 * time.Minute,
		Wait:       plan.Wait{Kind: plan.WaitPacing, Min: 20 * time.Second, Max: 20 * time.Second},
		Thresholds: []plan.Threshold{{Kind: plan.ThRPS, Ratio: 30, Text: "30/s"}}}
	p := &plan.Plan{Name: "p", Tasks: []*plan.Task{{Name: "chat", Weight: 1, Steps: []*plan.Step{usageStep("chat", "claude-sonnet-4-5",
		plan.Expect{InputTokens: dec("2000"), OutputTokens: dec("500"), MaxOutputTokens: 1000})}}},
		RateLimit: plan.RateLimit{TPM: 100000}, Scenarios: []*plan.Scenario{s}}
	e := estimate(t, p, s)
	all := strings.Join(e.Warnings, "\n")
	// 10 requests/s * 2500 tokens * 60 = 1,500,000 tokens/min.
	for _, want := range []string{"threshold rps 30/s cannot be reached", "at most 10.00 requests/s", "1500000 tokens/min", "100000 tpm"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}

func TestRateLimitWarnings(t *testing.T) {
	t.Parallel()
	// 1 user every 6 s: 10 requests/min; each 2000 input tokens of which 1000 cacheable,
	// read from the cache half the time, and 500 output: per minute 20000 input (5000 of them
	// cache reads, 5000 cache writes, 10000 uncached) and 5000 output.
	s := &plan.Scenario{Name: "s", Users: 1, SpawnRate: 1, Duration: 5 * time.Minute,
		Wait: plan.Wait{Kind: plan.WaitPacing, Min: 6 * time.Second, Max: 6 * time.Second}}
	step := usageStep("chat", "claude-sonnet-4-5", plan.Expect{InputTokens: dec("2000"), CacheableTokens: dec("1000"),
		CacheHitRate: dec("0.5"), OutputTokens: dec("500"), MaxOutputTokens: 1000})
	for _, c := range []struct {
		rl         plan.RateLimit
		want, none []string
	}{
		{plan.RateLimit{RPM: 9, ITPM: 14000, OTPM: 5000}, []string{"10 requests/min at full load is above the plan's rate_limit of 9 rpm",
			"about 15000 input tokens/min at full load is above the plan's rate_limit of 14000 itpm"}, []string{"otpm", " tpm:"}},
		{plan.RateLimit{ITPM: 16000, OTPM: 4999}, []string{"about 5000 output tokens/min at full load is above the plan's rate_limit of 4999 otpm"}, []string{"itpm", "rpm"}},
		{plan.RateLimit{ITPM: 16000, CacheReadsCount: true}, []string{"about 20000 input tokens/min at full load is above the plan's rate_limit of 16000 itpm"}, []string{"otpm"}},
		{plan.RateLimit{TPM: 24999}, []string{"about 25000 tokens/min at full load is above the plan's rate_limit of 24999 tpm"}, []string{"itpm"}},
		{plan.RateLimit{RPM: 10, TPM: 25000, ITPM: 20000, OTPM: 5000, CacheReadsCount: true}, nil, []string{"rate_limit"}},
	} {
		p := &plan.Plan{Name: "p", Tasks: []*plan.Task{{Name: "chat", Weight: 1, Steps: []*plan.Step{step}}},
			RateLimit: c.rl, Scenarios: []*plan.Scenario{s}}
		all := strings.Join(estimate(t, p, s).Warnings, "\n")
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("%+v: warnings lack %q:\n%s", c.rl, w, all)
			}
		}
		for _, w := range c.none {
			if strings.Contains(all, w) {
				t.Errorf("%+v: warnings name %q:\n%s", c.rl, w, all)
			}
		}
	}
}

func TestPrometheusOverlapWarning(t *testing.T) {
	promStep := usageStep("dte", "claude-sonnet-4-5", plan.Expect{InputTokens: dec("100"), OutputTokens: dec("10"), MaxOutputTokens: 20})
	promStep.Cost.Usage = plan.UsageSource{Kind: plan.UsagePrometheus, Path: "/metrics", Fields: map[string]string{"input": "t{type=\"input\"}"}}
	chat := usageStep("chat", "claude-sonnet-4-5", plan.Expect{InputTokens: dec("100"), OutputTokens: dec("10"), MaxOutputTokens: 20})
	s := &plan.Scenario{Name: "s", Users: 1, Duration: time.Minute, Wait: plan.Wait{Kind: plan.WaitConstant, Min: time.Second, Max: time.Second}}
	alone := &plan.Plan{Name: "p", Tasks: []*plan.Task{{Name: "dte", Weight: 1, Steps: []*plan.Step{promStep}}}, Scenarios: []*plan.Scenario{s}}
	if w := strings.Join(estimate(t, alone, s).Warnings, "\n"); strings.Contains(w, "charged twice") {
		t.Errorf("one Prometheus step alone: %s", w)
	}
	both := &plan.Plan{Name: "p", Tasks: []*plan.Task{{Name: "dte", Weight: 1, Steps: []*plan.Step{promStep}}, {Name: "chat", Weight: 1, Steps: []*plan.Step{chat}}}, Scenarios: []*plan.Scenario{s}}
	if w := strings.Join(estimate(t, both, s).Warnings, "\n"); !strings.Contains(w, "dte is priced by the service's Prometheus counters, which also count the usage of chat") {
		t.Errorf("warnings: %s", w)
	}
}
