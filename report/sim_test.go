package report

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// The test summaries under testdata/ are made by simulate: a small deterministic model of a
// run of examples/ai-service.yaml against the mock (closed-model users, the plan's waits,
// log-normal latencies with the plan's median and p95, tokens and cache hits around the
// plan's expect, prices from the embedded catalog), recorded into real HDR histograms with
// the summaries' geometry (summary.NewHistogram). go test -update ./report regenerates them.

type simSpec struct {
	scenario  string
	seed      uint64
	start     time.Time
	users     int           // 0: the scenario's
	duration  time.Duration // 0: the scenario's
	fail429   float64       // share of priced requests that end 429 after their retries
	checkFail float64       // share of chat_message responses that fail their check
	hitRate   float64       // 0: the plan's cache_hit_rate
	latScale  float64       // 0: 1
	outScale  float64       // 0: 1
	slowFrom  float64       // seconds: latency ×2.5 in [slowFrom, slowTo)
	slowTo    float64
	stop      summary.StopReason // "" completed
}

type simReq struct {
	step            *plan.Step
	start, end      float64 // seconds since the start
	ttft            float64 // seconds; 0 when not a stream
	size            int64
	failure         string
	rateLimited     bool
	usage           *pricing.Usage
	cost, worstCost decimal.Decimal
}

func recordSeconds(h *hdrhistogram.Histogram, s float64) {
	us := int64(math.Round(s * 1e6))
	_ = h.RecordValue(min(max(us, 1), h.HighestTrackableValue()))
}

func loadExample(t testing.TB) *plan.Plan {
	t.Helper()
	p, err := plan.Load("../examples/ai-service.yaml", plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// simulate models one run.
func simulate(t testing.TB, sp simSpec) *summary.Run {
	t.Helper()
	p := loadExample(t)
	cat := pricing.Default()
	sc := p.Scenario(sp.scenario)
	if sc == nil {
		t.Fatalf("no scenario %s", sp.scenario)
	}
	ov := plan.Overrides{Users: sp.users, RunTime: sp.duration}
	sc, err := ov.Apply(sc)
	if err != nil {
		t.Fatal(err)
	}
	if sp.latScale == 0 {
		sp.latScale = 1
	}
	if sp.outScale == 0 {
		sp.outScale = 1
	}
	rng := rand.New(rand.NewPCG(sp.seed, sp.seed^0x9e3779b97f4a7c15))
	logNormal := func(d plan.Dist, fallbackMedian float64) float64 {
		m := d.Median.Seconds()
		if m == 0 {
			m = fallbackMedian
		}
		sigma := 0.35
		if d.P95 > d.Median && d.Median > 0 {
			sigma = math.Log(d.P95.Seconds()/m) / 1.6448536269514722
		}
		return m * math.Exp(sigma*rng.NormFloat64())
	}
	duration := sc.TotalDuration().Seconds()
	var reqs []simReq
	send := func(st *plan.Step, at float64) simReq {
		r := simReq{step: st, start: at}
		lat := logNormal(st.Expect.Latency, 0.015) * sp.latScale
		if at >= sp.slowFrom && at < sp.slowTo {
			lat *= 2.5
		}
		_, _, worst, err := planner.StepCost(st, cat)
		if err != nil {
			t.Fatal(err)
		}
		if worst != nil {
			r.worstCost = *worst
		}
		priced := st.Cost.Kind == plan.CostUsage
		if priced && rng.Float64() < sp.fail429 {
			r.end = at + 0.04 + rng.Float64()*0.06
			r.failure = "429 Too Many Requests (after 2 retries)"
			r.rateLimited = true
			r.size = 120
			return r
		}
		r.end = at + lat
		switch {
		case st.Cost.Kind == plan.CostUsage:
			e := st.Expect
			hit := e.CacheHitRate.InexactFloat64()
			if sp.hitRate > 0 {
				hit = sp.hitRate
			}
			cacheable := e.CacheableTokens.IntPart()
			in := int64(e.InputTokens.InexactFloat64() * (1 + 0.15*rng.NormFloat64()))
			in = min(max(in, cacheable+20), e.MaxInputTokens)
			u := pricing.Usage{Input: in - cacheable}
			if rng.Float64() < hit {
				u.CacheRead = cacheable
			} else {
				u.CacheWrite5m = cacheable
			}
			out := int64(e.OutputTokens.InexactFloat64() * sp.outScale * math.Exp(0.3*rng.NormFloat64()))
			u.Output = min(max(out, 1), st.Request.MaxTokens)
			price, err := cat.Lookup(st.Cost.Model)
			if err != nil {
				t.Fatal(err)
			}
			r.usage = &u
			if r.cost, err = price.Cost(u); err != nil {
				t.Fatal(err)
			}
			r.size = 180 + 4*u.Output
			if st.Request.Stream {
				r.ttft = min(logNormal(st.Expect.TTFT, 0.6)*sp.latScale, lat*0.9)
				r.size = 900 + 22*u.Output
			}
			if st.Name == "chat_message" && rng.Float64() < sp.checkFail {
				r.failure = "check: $.reply: missing"
			}
		case st.Request.Path == "/health":
			r.size = 15
		default:
			r.size = 52
		}
		return r
	}
	var weights []int
	total := 0
	for _, tk := range p.Tasks {
		total += tk.Weight
		weights = append(weights, total)
	}
	pick := func() *plan.Task {
		n := rng.IntN(total)
		for i, w := range weights {
			if n < w {
				return p.Tasks[i]
			}
		}
		return p.Tasks[len(p.Tasks)-1]
	}
	users := sc.Users
	userStart := func(k int) float64 {
		if sc.SpawnRate <= 0 {
			return 0
		}
		return float64(k) / sc.SpawnRate
	}
	for k := 0; k < users; k++ {
		at := userStart(k)
		for _, st := range p.OnStart {
			r := send(st, at)
			reqs = append(reqs, r)
			at = r.end
		}
		for at < duration {
			iter := at
			for _, st := range pick().Steps {
				r := send(st, at)
				reqs = append(reqs, r)
				at = r.end
			}
			w := sc.Wait
			switch w.Kind {
			case plan.WaitPacing:
				at = max(at, iter+w.Min.Seconds())
			case plan.WaitBetween:
				at += w.Min.Seconds() + rng.Float64()*(w.Max-w.Min).Seconds()
			case plan.WaitConstant:
				at += w.Min.Seconds()
			}
		}
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].end < reqs[j].end })
	return assemble(t, p, sc, cat, sp, reqs, userStart)
}

type simAcc struct {
	ts          summary.TaskStats
	lat, ttft   *hdrhistogram.Histogram
	bytes       int64
	reported    int64
	hits        int64
	first, last float64
}

func assemble(t testing.TB, p *plan.Plan, sc *plan.Scenario, cat *pricing.Catalog, sp simSpec, reqs []simReq, userStart func(int) float64) *summary.Run {
	t.Helper()
	var order []string
	accs := map[string]*simAcc{}
	type fkey struct{ task, method, err string }
	fails := map[fkey]int64{}
	var forder []fkey
	first, last := math.Inf(1), 0.0
	s := &summary.Run{Schema: summary.Schema, Plan: p.Name, Scenario: sc.Name, Target: "mock://", Seed: sp.seed,
		Failures: []summary.Failure{}, Thresholds: []summary.ThresholdResult{}}
	for _, r := range reqs {
		st := r.step
		a := accs[st.Name]
		if a == nil {
			src := "free"
			switch st.Cost.Kind {
			case plan.CostUsage:
				src = string(st.Cost.Usage.Kind)
			case plan.CostFlat:
				src = "flat"
			}
			a = &simAcc{ts: summary.TaskStats{Name: st.Name, Method: st.Request.Method, CostSource: src}, lat: summary.NewHistogram(), ttft: summary.NewHistogram()}
			accs[st.Name] = a
			order = append(order, st.Name)
		}
		first, last = min(first, r.start), max(last, r.end)
		a.ts.Requests++
		recordSeconds(a.lat, r.end-r.start)
		if r.ttft > 0 {
			recordSeconds(a.ttft, r.ttft)
		}
		a.bytes += r.size
		if r.failure != "" {
			a.ts.Failures++
			k := fkey{st.Name, st.Request.Method, r.failure}
			if fails[k] == 0 {
				forder = append(forder, k)
			}
			fails[k]++
		}
		if r.rateLimited {
			a.ts.RateLimited++
		}
		a.ts.Cost = a.ts.Cost.Add(r.cost)
		if r.usage != nil {
			a.reported++
			u := r.usage.Tokens()
			a.ts.Tokens.Input += u.Input
			a.ts.Tokens.Output += u.Output
			a.ts.Tokens.CacheRead += u.CacheRead
			a.ts.Tokens.CacheWrite += u.CacheWrite
			if u.CacheRead > 0 {
				a.hits++
			}
		}
	}
	durationS := last - first
	s.DurationS = math.Round(durationS*1000) / 1000
	var hitsAll, reportedAll int64
	var largest decimal.Decimal
	for _, r := range reqs {
		if r.worstCost.GreaterThan(largest) {
			largest = r.worstCost
		}
	}
	for _, name := range order {
		a := accs[name]
		ts := a.ts
		ts.Latency = summary.PercentilesOf(a.lat)
		enc, err := summary.EncodeHistogram(a.lat)
		if err != nil {
			t.Fatal(err)
		}
		ts.Histogram = enc
		if a.ttft.TotalCount() > 0 {
			tp := summary.PercentilesOf(a.ttft)
			ts.TTFT = &tp
			if ts.TTFTHistogram, err = summary.EncodeHistogram(a.ttft); err != nil {
				t.Fatal(err)
			}
		}
		ts.RPS = float64(ts.Requests) / s.DurationS
		ts.AvgContentSize = float64(a.bytes) / float64(ts.Requests)
		cpr := ts.Cost.Div(decimal.NewFromInt(ts.Requests))
		ts.CostPerRequest = &cpr
		if a.reported > 0 {
			ts.CacheHitRate = float64(a.hits) / float64(a.reported)
		}
		hitsAll += a.hits
		reportedAll += a.reported
		s.Tasks = append(s.Tasks, ts)
		s.Actual.Requests += ts.Requests
		s.Actual.Failures += ts.Failures
		s.Actual.RateLimited += ts.RateLimited
		s.Actual.Cost = s.Actual.Cost.Add(ts.Cost)
		s.Actual.Tokens.Input += ts.Tokens.Input
		s.Actual.Tokens.Output += ts.Tokens.Output
		s.Actual.Tokens.CacheRead += ts.Tokens.CacheRead
		s.Actual.Tokens.CacheWrite += ts.Tokens.CacheWrite
	}
	for _, k := range forder {
		s.Failures = append(s.Failures, summary.Failure{Task: k.task, Method: k.method, Error: k.err, Occurrences: fails[k]})
	}
	a := &s.Actual
	a.RPS = float64(a.Requests) / s.DurationS
	if reportedAll > 0 {
		a.CacheHitRate = float64(hitsAll) / float64(reportedAll)
	}
	cpr := a.Cost.Div(decimal.NewFromInt(a.Requests))
	a.CostPerRequest = &cpr
	lat, _, err := summary.AggregateLatency(s.Tasks)
	if err != nil {
		t.Fatal(err)
	}
	a.Latency = lat
	if a.TTFT, err = summary.AggregateTTFT(s.Tasks); err != nil {
		t.Fatal(err)
	}

	// The timeline: one point per second, t = 1, 2, ...
	end := int(math.Ceil(last))
	for k := 1; k <= end; k++ {
		pt := summary.TimelinePoint{T: float64(k)}
		sec := summary.NewHistogram()
		var n, f int
		for _, r := range reqs {
			if r.end <= float64(k) {
				pt.Spent = pt.Spent.Add(r.cost)
				if r.end > float64(k-1) {
					n++
					recordSeconds(sec, r.end-r.start)
					if r.failure != "" {
						f++
					}
				}
			} else if r.start <= float64(k) {
				pt.InFlight++
				pt.Reserved = pt.Reserved.Add(r.worstCost)
			}
		}
		for u := 0; u < sc.Users; u++ {
			if userStart(u) <= float64(k) && float64(k) <= sc.TotalDuration().Seconds() {
				pt.Users++
			}
		}
		pt.RPS, pt.FPS = float64(n), float64(f)
		if n > 0 {
			pt.P50 = float64(sec.ValueAtQuantile(50)) / 1000
			pt.P95 = float64(sec.ValueAtQuantile(95)) / 1000
		}
		s.Timeline = append(s.Timeline, pt)
	}

	est, err := planner.EstimateScenario(p, sc, cat, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Estimate, err = json.Marshal(est); err != nil {
		t.Fatal(err)
	}
	if est.Cost.Expected != nil && est.Cost.Expected.IsPositive() {
		pct := a.Cost.Sub(*est.Cost.Expected).Div(*est.Cost.Expected).InexactFloat64() * 100
		pct = math.Round(pct*100) / 100
		a.EstimateErrorPct = &pct
	}
	if sc.Budget != nil {
		s.Budget = &summary.Budget{Limit: *sc.Budget, Currency: "USD"}
	}
	s.Meter = &summary.Meter{Spent: a.Cost, LargestWorstCase: largest, BoundsHeld: true}
	s.Pass = true
	for _, th := range sc.Thresholds {
		res, ok, err := s.Judge(th)
		if err != nil || !ok {
			t.Fatalf("threshold %s %s: %v", th.Kind, th.Scope, err)
		}
		s.Thresholds = append(s.Thresholds, res)
		s.Pass = s.Pass && res.Pass
	}
	s.StopReason = summary.StopCompleted
	if sp.stop != "" {
		s.StopReason = sp.stop
		s.Partial = true
	}
	if s.StopReason == summary.StopBudgetExhausted {
		s.StopDetail = "the next request's worst case did not fit in the budget"
	}
	s.ExitCode = s.StopReason.ExitCode(s.Pass)
	s.StartedAt = sp.start.UTC()
	s.EndedAt = sp.start.Add(time.Duration(last * float64(time.Second))).UTC().Truncate(time.Millisecond)
	return s
}
