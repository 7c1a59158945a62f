package executor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// The property test of the budget cap (issue 5, "Done when", second bullet): many runs against
// the mock with random budgets, concurrency, latency and faults, each checked against what
// DESIGN.md ("Metering", "Exit codes") promises:
//
//	(a) spent + reserved <= budget at every instant while no overrun: checked on a snapshot
//	    after every Reserve, Settle and Release (checkedLedger), on every OnProgress sample and
//	    on every timeline point;
//	(b) at the end actual.cost <= budget;
//	(c) the stop reason is budget_exhausted iff the budget ran out (a reservation did not fit
//	    with nothing priced in flight: spent + that worst case > budget), else completed; the
//	    exit code (summary.StopReason.ExitCode, which cmd uses) is 4 for a budget stop, 0 else;
//	(d) a run stopped by the budget spent at least budget - the largest single worst case;
//	(e) the meter never undercounts the mock's ledger, and overcounts it by no more than the
//	    part flagged estimated (actual.cost_estimated), in decimal.
//
// The draws come from math/rand/v2 seeded with propertySeed+i (LOADPLAN_PROPERTY_SEED
// overrides the base); the interleavings are the scheduler's, so a run's figures vary from
// one execution to the next but its parameters do not.

const (
	propertyRuns = 24 // 6 with -short
	propertySeed = 20260305
)

// propTask is one task of a drawn plan.
type propTask struct {
	name string
	yaml string // the task's value in the plan's tasks map
}

// propRun is one drawn run.
type propRun struct {
	seed       uint64
	open       bool // open model: users is max_in_flight
	users      int
	rate       int // arrivals per second (open model)
	duration   time.Duration
	budgetKind string  // none, tiny (below the largest worst case), small, medium, generous
	budgetMult float64 // the budget in units of the largest worst case
	timeScale  float64
	mockLimit  int // the mock's MaxInFlight (0: none)
	faults     mock.Faults
	oaiFaults  *mock.Faults // the OpenAI endpoint's own faults, when drawn
	tasks      []propTask
}

func (pr *propRun) plan() string {
	var b strings.Builder
	b.WriteString("version: 1\nname: property\ntarget: TARGET\npricing: {model: claude-sonnet-4-5}\ndefaults: {usage: anthropic}\ntasks:\n")
	for _, t := range pr.tasks {
		fmt.Fprintf(&b, "  %s: %s\n", t.name, t.yaml)
	}
	b.WriteString("scenarios:\n")
	d := pr.duration.Milliseconds()
	if pr.open {
		fmt.Fprintf(&b, "  s: {arrival_rate: %d/s, duration: %dms, max_in_flight: %d}\n", pr.rate, d, pr.users)
	} else {
		fmt.Fprintf(&b, "  s: {users: %d, duration: %dms%s}\n", pr.users, d, pr.closedExtras())
	}
	return b.String()
}

// closedExtras are the closed model's spawn rate and wait, drawn from the seed again so that
// they need no fields of their own.
func (pr *propRun) closedExtras() string {
	rng := rand.New(rand.NewPCG(pr.seed, 2))
	s := ""
	if rng.IntN(2) == 0 {
		s += fmt.Sprintf(", spawn_rate: %d", 20+rng.IntN(200))
	}
	switch rng.IntN(3) {
	case 0:
		s += fmt.Sprintf(", wait: {constant: %dms}", 1+rng.IntN(10))
	case 1:
		s += fmt.Sprintf(", wait: {between: [0ms, %dms]}", 2+rng.IntN(20))
	}
	return s
}

func (pr *propRun) taskNames() string {
	names := make([]string, len(pr.tasks))
	for i, t := range pr.tasks {
		names[i] = t.name
	}
	return strings.Join(names, ",")
}

// drawRun draws run seed's parameters.
func drawRun(seed uint64) *propRun {
	rng := rand.New(rand.NewPCG(seed, 1))
	pr := &propRun{seed: seed, users: 1 + rng.IntN(40)}
	pr.duration = time.Duration(1000+rng.IntN(1000)) * time.Millisecond
	if rng.IntN(5) == 0 {
		pr.open = true
		pr.rate = 20 + rng.IntN(400)
	}
	// Latencies of the default profile (medians of 0.6 to 2.5 s) scaled to 0.2 to 25 ms.
	pr.timeScale = math.Exp(math.Log(0.0001) + rng.Float64()*(math.Log(0.01)-math.Log(0.0001)))
	if rng.IntN(4) == 0 {
		pr.mockLimit = 2 + rng.IntN(20)
	}
	pr.faults = drawFaults(rng)
	if rng.IntN(3) == 0 {
		f := drawFaults(rng)
		pr.oaiFaults = &f
	}
	switch k := rng.IntN(20); {
	case k < 2:
		pr.budgetKind = "none"
	case k < 5:
		pr.budgetKind, pr.budgetMult = "tiny", 0.3+0.7*rng.Float64()
	case k < 11:
		pr.budgetKind, pr.budgetMult = "small", math.Exp(rng.Float64()*math.Log(40))
	case k < 17:
		pr.budgetKind, pr.budgetMult = "medium", 40*math.Exp(rng.Float64()*math.Log(25))
	default:
		pr.budgetKind, pr.budgetMult = "generous", 1e6
	}
	pr.tasks = drawTasks(rng)
	return pr
}

// drawFaults draws a mix of the mock's faults: each kind with probability 1/2, at up to 8 %.
func drawFaults(rng *rand.Rand) mock.Faults {
	var f mock.Faults
	for _, r := range []*float64{&f.Status500, &f.Status502, &f.Status503, &f.RateLimited, &f.Overloaded,
		&f.SlowBody, &f.StreamCut, &f.StreamError, &f.Reset, &f.InvalidJSON} {
		if rng.IntN(2) == 0 {
			*r = float64(1+rng.IntN(80)) / 1000
		}
	}
	f.SlowBodyDelay = time.Duration(100+rng.IntN(2900)) * time.Millisecond // scaled by the mock
	return f
}

func faultsText(f mock.Faults) string {
	var parts []string
	for _, x := range []struct {
		name string
		rate float64
	}{{"500", f.Status500}, {"502", f.Status502}, {"503", f.Status503}, {"429", f.RateLimited},
		{"529", f.Overloaded}, {"slow", f.SlowBody}, {"cut", f.StreamCut}, {"err", f.StreamError},
		{"rst", f.Reset}, {"badjson", f.InvalidJSON}} {
		if x.rate > 0 {
			parts = append(parts, fmt.Sprintf("%s=%g", x.name, x.rate))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// drawTasks draws a non-empty set of tasks, at least one priced by usage: both providers'
// APIs and the service's endpoints, plain and streamed, with random max_tokens (every step has
// a worst case), weights, retries and timeouts; sometimes a flat-priced and a free request and
// a two-step sequence.
func drawTasks(rng *rand.Rand) []propTask {
	maxTokens := func() int { return 50 + rng.IntN(950) }
	extras := func() string {
		s := ""
		if rng.IntN(3) == 0 {
			s += fmt.Sprintf(", retry: {on: [429, 503, 529], max: %d, backoff: %dms}", 1+rng.IntN(2), 1+rng.IntN(20))
		}
		return s
	}
	timeout := func() string {
		if rng.IntN(6) == 0 {
			return fmt.Sprintf(", timeout: %dms", 5+rng.IntN(100))
		}
		return ""
	}
	messages := func(stream bool) string {
		m := maxTokens()
		st := ""
		if stream {
			st = "stream: true, "
		}
		return fmt.Sprintf(`request: {method: POST, path: /v1/messages%s, %sjson: {model: claude-sonnet-4-5, max_tokens: %d, %smessages: [{role: user, content: "hello there {{seq}}"}]}}, `+
			`expect: {input_tokens: 1010, cacheable_tokens: 1000, output_tokens: %d, max_input_tokens: 1200}`,
			timeout(), st, m, st, min(250, m))
	}
	openai := func(stream bool) string {
		m := maxTokens()
		st, body := "", ""
		if stream {
			st, body = "stream: true, ", "stream: true, "
			if rng.IntN(4) != 0 { // else the stream carries no usage: charged its reservation, estimated
				body += "stream_options: {include_usage: true}, "
			}
		}
		return fmt.Sprintf(`request: {method: POST, path: /v1/chat/completions%s, %sjson: {model: gpt-4o, max_tokens: %d, %smessages: [{role: user, content: "hello there {{seq}}"}]}}, `+
			`usage: openai, model: gpt-4o, expect: {input_tokens: 1030, cacheable_tokens: 1024, output_tokens: %d, max_input_tokens: 1300}`,
			timeout(), st, m, body, min(250, m))
	}
	service := func(stream bool) string {
		m := maxTokens()
		if stream {
			return fmt.Sprintf(`request: {method: POST, path: /api/chat/stream%s, stream: true, json: {message: "hello {{seq}}", max_tokens: %d}}, `+
				`expect: {input_tokens: 1500, cacheable_tokens: 1000, output_tokens: %d, max_input_tokens: 4000}`, timeout(), m, min(400, m))
		}
		return fmt.Sprintf(`request: {method: POST, path: /api/chat/message%s, json: {message: "hello {{seq}}", max_tokens: %d}}, `+
			`expect: {input_tokens: 1200, cacheable_tokens: 1000, output_tokens: %d, max_input_tokens: 4000}`, timeout(), m, min(300, m))
	}
	pool := []struct {
		name string
		body func() string
	}{
		{"messages", func() string { return messages(false) }},
		{"messages_stream", func() string { return messages(true) }},
		{"openai", func() string { return openai(false) }},
		{"openai_stream", func() string { return openai(true) }},
		{"chat", func() string { return service(false) }},
		{"chat_stream", func() string { return service(true) }},
		{"conversation", func() string {
			return fmt.Sprintf("{steps: [{name: ask, %s}, {name: follow, %s}]}", messages(rng.IntN(2) == 0), openai(rng.IntN(2) == 0))
		}},
	}
	var tasks []propTask
	for len(tasks) == 0 {
		for _, p := range pool {
			if rng.IntN(2) == 0 {
				continue
			}
			body := p.body()
			if p.name != "conversation" {
				body = "{" + body + extras() + "}"
			}
			body = strings.Replace(body, "{", fmt.Sprintf("{weight: %d, ", 1+rng.IntN(5)), 1)
			tasks = append(tasks, propTask{p.name, body})
		}
	}
	if rng.IntN(3) == 0 {
		tasks = append(tasks, propTask{"flat", fmt.Sprintf("{weight: 1, request: {method: GET, path: /health}, price: 0.000%d}", 1+rng.IntN(9))})
	}
	if rng.IntN(3) == 0 {
		tasks = append(tasks, propTask{"free", "{weight: 1, request: {method: GET, path: /health}, price: free}"})
	}
	return tasks
}

// checkedLedger wraps the run's ledger and checks the invariant on a snapshot after every
// Reserve, Settle and Release; it also checks each charge against its reservation and keeps
// what it saw when the budget ran out.
type checkedLedger struct {
	inner *meter.Local

	mu         sync.Mutex
	violations []string // the first few
	nViolate   int
	maxUsed    decimal.Decimal // the largest spent + reserved seen
	granted    int64
	settled    int64
	released   int64
	amounts    map[uint64]decimal.Decimal // reservations granted and not yet settled or released
	exhausted  *exhaustion
	// refused is the largest worst case refused with ErrBudgetExhausted: the request that
	// found the budget exhausted is among them.
	refused decimal.Decimal
}

// exhaustion is the first ErrBudgetExhausted the run's requests got.
type exhaustion struct {
	snap    meter.Snapshot // just after it: nothing priced is in flight or granted from then on
	at      time.Time
	stopped bool // the run had already stopped starting requests (its stop context was done)
}

var _ meter.Ledger = (*checkedLedger)(nil)

func newCheckedLedger(budget *decimal.Decimal) *checkedLedger {
	return &checkedLedger{inner: meter.New(budget), amounts: map[uint64]decimal.Decimal{}}
}

func (l *checkedLedger) violate(format string, args ...any) {
	l.nViolate++
	if len(l.violations) < 5 {
		l.violations = append(l.violations, fmt.Sprintf(format, args...))
	}
}

// check checks a snapshot taken after op. l.mu is held.
func (l *checkedLedger) check(op string, s meter.Snapshot) {
	used := s.Spent.Add(s.Reserved)
	if used.GreaterThan(l.maxUsed) {
		l.maxUsed = used
	}
	if s.Reserved.IsNegative() || s.Spent.IsNegative() || s.Estimated.IsNegative() || s.Estimated.GreaterThan(s.Spent) {
		l.violate("after %s: spent %s, reserved %s, estimated %s", op, s.Spent, s.Reserved, s.Estimated)
	}
	if s.Budget != nil && s.Overruns == 0 && used.GreaterThan(*s.Budget) {
		l.violate("after %s: spent %s + reserved %s = %s, over the budget %s", op, s.Spent, s.Reserved, used, s.Budget)
	}
}

func (l *checkedLedger) Reserve(ctx context.Context, worst decimal.Decimal) (meter.Reservation, error) {
	r, err := l.inner.Reserve(ctx, worst)
	stopped := ctx.Err() != nil
	s := l.inner.Snapshot()
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err == nil:
		l.granted++
		if !r.Amount.Equal(worst) || r.ID == 0 {
			l.violate("reserve %s: granted %+v", worst, r)
		}
		if _, dup := l.amounts[r.ID]; dup {
			l.violate("reservation %d granted twice", r.ID)
		}
		l.amounts[r.ID] = r.Amount
	case errors.Is(err, meter.ErrBudgetExhausted):
		if worst.GreaterThan(l.refused) {
			l.refused = worst
		}
		if l.exhausted == nil {
			l.exhausted = &exhaustion{snap: s, at: time.Now(), stopped: stopped}
		}
		if !s.Reserved.IsZero() {
			l.violate("budget exhausted with %s still reserved", s.Reserved)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	default:
		l.violate("reserve %s: %v", worst, err)
	}
	l.check("reserve", s)
	return r, err
}

func (l *checkedLedger) Settle(r meter.Reservation, c meter.Charge) error {
	err := l.inner.Settle(r, c)
	s := l.inner.Snapshot()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settled++
	amount, ok := l.amounts[r.ID]
	delete(l.amounts, r.ID)
	switch {
	case !ok:
		l.violate("settle of reservation %d, not in flight", r.ID)
	case c.Estimated.IsNegative() || c.Estimated.GreaterThan(c.Actual):
		l.violate("settle %d: charge %s with estimated part %s", r.ID, c.Actual, c.Estimated)
	case c.Actual.GreaterThan(amount):
		// The plan's bounds hold on the mock: a charge above its reservation is the meter's.
		l.violate("settle %d: charge %s (estimated %s) above its reservation %s", r.ID, c.Actual, c.Estimated, amount)
	case err != nil:
		l.violate("settle %d: %v", r.ID, err)
	}
	l.check("settle", s)
	return err
}

func (l *checkedLedger) Release(r meter.Reservation) {
	l.inner.Release(r)
	s := l.inner.Snapshot()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released++
	if _, ok := l.amounts[r.ID]; !ok {
		l.violate("release of reservation %d, not in flight", r.ID)
	}
	delete(l.amounts, r.ID)
	l.check("release", s)
}

func (l *checkedLedger) Snapshot() meter.Snapshot { return l.inner.Snapshot() }

// propResult is one run's line of the table.
type propResult struct {
	pr                      *propRun
	budget                  *decimal.Decimal
	largest                 decimal.Decimal
	stop                    summary.StopReason
	exit                    int
	spent, ledger, estimate decimal.Decimal
	requests, failures      int64
	elapsed                 time.Duration
	lateExhaustion          bool // completed, the budget running out only after the run stopped
	failureKinds            map[string]int64
}

func (r *propResult) line() string {
	model := fmt.Sprintf("users=%d", r.pr.users)
	if r.pr.open {
		model = fmt.Sprintf("open=%d/s,%d", r.pr.rate, r.pr.users)
	}
	budget := "none"
	if r.budget != nil {
		budget = fmt.Sprintf("%s(%s×%.3g)", r.budget, r.pr.budgetKind, r.pr.budgetMult)
	}
	faults := faultsText(r.pr.faults)
	if r.pr.oaiFaults != nil {
		faults += " | openai: " + faultsText(*r.pr.oaiFaults)
	}
	if r.pr.mockLimit > 0 {
		faults += fmt.Sprintf(" | limit=%d", r.pr.mockLimit)
	}
	stop := string(r.stop)
	if r.lateExhaustion {
		stop += "(exhausted-after-stop)"
	}
	return fmt.Sprintf("seed=%d budget=%s largest=%s %s dur=%s scale=%.2g stop=%s exit=%d spent=%s ledger=%s estimated=%s req=%d fail=%d took=%s tasks=%s faults=[%s]",
		r.pr.seed, budget, r.largest.StringFixed(6), model, r.pr.duration, r.pr.timeScale, stop, r.exit,
		r.spent, r.ledger, r.estimate, r.requests, r.failures, r.elapsed.Round(time.Millisecond), r.pr.taskNames(), faults)
}

// TestPropertyBudgetCap: over many random runs against the mock, the budget cap holds at
// every instant and at the end, every run stops for the right reason with the right exit
// code, a run stopped by the budget used it up to less than one worst case, and the meter
// agrees with the mock's ledger.
func TestPropertyBudgetCap(t *testing.T) {
	t.Parallel()
	base := uint64(propertySeed)
	if v := os.Getenv("LOADPLAN_PROPERTY_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("LOADPLAN_PROPERTY_SEED: %v", err)
		}
		base = n
	}
	runs := propertyRuns
	if testing.Short() {
		runs = 6
	}
	var mu sync.Mutex
	results := make([]*propResult, runs)
	start := time.Now()
	t.Cleanup(func() {
		// After every (parallel) run: the whole table, in seed order, and what the runs went
		// through, which the default draws must cover.
		var b strings.Builder
		stops := map[summary.StopReason]int{}
		failures := map[string]int64{}
		for _, r := range results {
			if r == nil {
				continue
			}
			b.WriteString("\n" + r.line())
			stops[r.stop]++
			for k, n := range r.failureKinds {
				failures[k] += n
			}
		}
		t.Logf("%d runs in %s, stops %v, failures %v:%s", runs, time.Since(start).Round(time.Millisecond), stops, failures, b.String())
		if t.Failed() || runs != propertyRuns || base != propertySeed {
			return
		}
		for _, k := range []string{"stream cut", "stream error: overloaded_error", "connection reset", "HTTP 429 (rate limited)",
			"HTTP 529 (overloaded)", "HTTP 500", "HTTP 503", "invalid JSON", "timeout"} {
			if failures[k] == 0 {
				t.Errorf("no run saw %q: the draws no longer cover it", k)
			}
		}
		if stops[summary.StopBudgetExhausted] < 3 || stops[summary.StopCompleted] < 3 {
			t.Errorf("stops %v: the draws should give both outcomes", stops)
		}
	})
	// GOMAXPROCS runs at once, whatever -parallel (TestMain raises it for the tests that only
	// wait): a run computes, and the failures the draws must cover need its throughput. The
	// runs are subtests run from as many goroutines (t.Run may be called concurrently), not
	// parallel subtests, so that they take no place of -parallel's but their parent's.
	seeds := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range seeds {
				pr := drawRun(base + uint64(i))
				t.Run(fmt.Sprintf("seed=%d", pr.seed), func(t *testing.T) {
					res := propertyRun(t, pr)
					mu.Lock()
					results[i] = res
					mu.Unlock()
				})
			}
		}()
	}
	for i := range runs {
		seeds <- i
	}
	close(seeds)
	wg.Wait()
}

// propertyRun runs pr against a mock of its own and checks (a) to (e).
func propertyRun(t *testing.T, pr *propRun) *propResult {
	mcfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	mcfg.Seed, mcfg.TimeScale, mcfg.MaxInFlight, mcfg.Faults = pr.seed, pr.timeScale, pr.mockLimit, pr.faults
	if pr.oaiFaults != nil {
		e := mcfg.Endpoints[mock.PathCompletions]
		e.Faults = pr.oaiFaults
		mcfg.Endpoints[mock.PathCompletions] = e
	}
	srv, err := mock.New(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stopMock, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopMock)

	planText := pr.plan()
	p := parsePlan(t, planText, url, nil)
	cfg := config(t, p, "s", url, nil)
	cfg.Seed = pr.seed
	// The largest single worst case of the plan, and the budget in units of it.
	largest := decimal.Zero
	for _, st := range allSteps(p) {
		b, ok := cfg.Bounds[st]
		if !ok {
			t.Fatalf("a step without a worst case:\n%s", planText)
		}
		largest = decimal.Max(largest, b.Cost)
	}
	var budget *decimal.Decimal
	if pr.budgetKind != "none" {
		b := largest.Mul(decimal.NewFromFloat(pr.budgetMult)).Round(6)
		budget = &b
	}
	led := newCheckedLedger(budget)
	cfg.Ledger, cfg.Capped = led, budget != nil
	var progMu sync.Mutex
	var progress []string // samples that broke the invariant
	cfg.OnProgress = func(p summary.Progress) {
		progMu.Lock()
		defer progMu.Unlock()
		if p.Budget != nil && led.inner.Snapshot().Overruns == 0 && p.Spent.Add(p.Reserved).GreaterThan(*p.Budget) {
			progress = append(progress, fmt.Sprintf("at %s: spent %s + reserved %s > budget %s", p.Elapsed, p.Spent, p.Reserved, p.Budget))
		}
	}

	began := time.Now()
	s := run(t, cfg)
	elapsed := time.Since(began)
	stopMock() // graceful: every handler that may bill has finished and written the ledger
	ledger := srv.Ledger().Snapshot()
	final := led.inner.Snapshot()

	res := &propResult{pr: pr, budget: budget, largest: largest, stop: s.StopReason, exit: s.StopReason.ExitCode(s.Pass),
		spent: s.Meter.Spent, ledger: ledger.Cost, estimate: s.Actual.CostEstimated,
		requests: s.Actual.Requests, failures: s.Actual.Failures, elapsed: elapsed, failureKinds: map[string]int64{}}
	for _, f := range s.Failures {
		res.failureKinds[f.Error] += f.Occurrences
	}
	t.Log(res.line())
	defer func() {
		if t.Failed() {
			t.Logf("stop detail: %s\nplan:\n%s", s.StopDetail, planText)
		}
	}()

	// The meter's own account: everything settled or released once, nothing left reserved.
	led.mu.Lock()
	defer led.mu.Unlock()
	if final.InFlight != 0 || !final.Reserved.IsZero() || final.Misuses != 0 || len(led.amounts) != 0 ||
		led.granted != led.settled+led.released || final.Settled != led.settled {
		t.Errorf("meter at the end: %+v; granted %d, settled %d, released %d, %d left", final, led.granted, led.settled, led.released, len(led.amounts))
	}
	if !s.Meter.Spent.Equal(final.Spent) || !s.Actual.Cost.Equal(final.Spent) || !s.Actual.CostEstimated.Equal(final.Estimated) {
		t.Errorf("summary: meter spent %s, actual cost %s (estimated %s); ledger spent %s (estimated %s)",
			s.Meter.Spent, s.Actual.Cost, s.Actual.CostEstimated, final.Spent, final.Estimated)
	}
	if final.Overruns != 0 || !s.Meter.BoundsHeld {
		t.Errorf("%d overruns: the plan's bounds hold on the mock", final.Overruns)
	}

	// (a) spent + reserved <= budget at every instant.
	if led.nViolate > 0 {
		t.Errorf("%d violations, the first: %s", led.nViolate, strings.Join(led.violations, "; "))
	}
	progMu.Lock()
	if len(progress) > 0 {
		t.Errorf("progress over the budget: %s", strings.Join(progress, "; "))
	}
	progMu.Unlock()
	if budget != nil {
		for _, pt := range s.Timeline {
			if pt.Spent.Add(pt.Reserved).GreaterThan(*budget) {
				t.Errorf("timeline at %gs: spent %s + reserved %s > budget %s", pt.T, pt.Spent, pt.Reserved, budget)
			}
		}
		if led.maxUsed.GreaterThan(*budget) {
			t.Errorf("spent + reserved reached %s, over the budget %s", led.maxUsed, budget)
		}
	}

	// (b) the actual cost never exceeds the budget.
	if budget != nil && s.Actual.Cost.GreaterThan(*budget) {
		t.Errorf("actual cost %s over the budget %s", s.Actual.Cost, budget)
	}

	// (c) the stop reason, and the exit code cmd maps it to.
	ex := led.exhausted
	switch s.StopReason {
	case summary.StopBudgetExhausted:
		if ex == nil || !final.Exhausted || budget == nil {
			t.Errorf("budget_exhausted but the ledger never refused a reservation (exhausted %v)", final.Exhausted)
		}
		if !s.Partial {
			t.Errorf("a budget stop is partial")
		}
	case summary.StopCompleted:
		// The budget may run out after the run stopped starting requests: a request waiting for
		// room is woken by the last settles and finds none. Then the run completed. A budget
		// that ran out while the run went on stops it, unless the scenario's end came first
		// (the two stops race only near the end).
		if ex != nil && !ex.stopped && ex.at.Before(began.Add(pr.duration-250*time.Millisecond)) {
			t.Errorf("completed, but the budget ran out %s into the run of %s: %s",
				ex.at.Sub(began).Round(time.Millisecond), pr.duration, s.StopDetail)
		}
		if s.Partial || elapsed < pr.duration {
			t.Errorf("completed after %s of %s (partial %v)", elapsed, pr.duration, s.Partial)
		}
		res.lateExhaustion = ex != nil
	default:
		t.Errorf("stop %s (%s): want completed or budget_exhausted", s.StopReason, s.StopDetail)
	}
	if ex != nil {
		// The budget ran out: the reservation that found it so did not fit with nothing in
		// flight (spent + its worst case > budget), and from then on spent stayed put.
		if budget == nil {
			t.Errorf("an uncapped ledger refused a reservation")
		} else if !ex.snap.Spent.Add(led.refused).GreaterThan(*budget) {
			t.Errorf("exhausted with spent %s, and the largest refused worst case %s fits in the budget %s", ex.snap.Spent, led.refused, budget)
		}
		if !ex.snap.Spent.Equal(final.Spent) {
			t.Errorf("spent %s when the budget ran out, %s at the end", ex.snap.Spent, final.Spent)
		}
	}
	want := map[summary.StopReason]int{summary.StopCompleted: 0, summary.StopBudgetExhausted: 4}[s.StopReason]
	if res.exit != want || !s.Pass {
		t.Errorf("stop %s: exit code %d (pass %v), want %d", s.StopReason, res.exit, s.Pass, want)
	}

	// (d) a run stopped by the budget spent at least budget - the largest single worst case.
	if s.StopReason == summary.StopBudgetExhausted && budget != nil {
		if floor := budget.Sub(s.Meter.LargestWorstCase); s.Meter.Spent.LessThan(floor) {
			t.Errorf("stopped by the budget having spent %s, less than budget %s - largest worst case %s", s.Meter.Spent, budget, s.Meter.LargestWorstCase)
		}
		if s.Meter.LargestWorstCase.GreaterThan(largest) {
			t.Errorf("largest worst case %s, above the plan's largest %s", s.Meter.LargestWorstCase, largest)
		}
	}

	// (e) the meter never undercounts the mock's ledger, and overcounts it by no more than the
	// part flagged estimated. Flat prices are the plan's, not the mock's: they are left out.
	tokenSpent := s.Meter.Spent
	for _, tk := range s.Tasks {
		if tk.CostSource == "flat" {
			tokenSpent = tokenSpent.Sub(tk.Cost)
		}
	}
	if tokenSpent.LessThan(ledger.Cost) {
		t.Errorf("meter %s (without flat prices) undercounts the mock's ledger %s", tokenSpent, ledger.Cost)
	}
	if diff := tokenSpent.Sub(ledger.Cost); diff.GreaterThan(s.Actual.CostEstimated) {
		t.Errorf("meter %s - ledger %s = %s, more than the part flagged estimated %s", tokenSpent, ledger.Cost, diff, s.Actual.CostEstimated)
	}
	if s.Actual.Requests == 0 && (budget == nil || budget.GreaterThanOrEqual(largest)) {
		t.Errorf("no request was sent, though any one fits in the budget")
	}
	return res
}
