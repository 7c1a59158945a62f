package summary

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// EstimateMerger adds the estimates that the summaries of the workers of one run embed (each
// worker's share, as loadplan.estimate/v1's scenario object; null when a worker has none)
// into the estimate of the whole run, gated against the whole run's budget (nil: none), and
// returns its expected cost (nil: unknown). The estimate is the planner's type:
// planner.MergeEstimates is the one to use. Taking it as an argument lets Merge add
// estimates without importing the planner, which the executor (whose summaries these are)
// must never link.
type EstimateMerger func(parts []json.RawMessage, budget *decimal.Decimal) (merged json.RawMessage, expected *decimal.Decimal, err error)

// MergeFiles reads the summaries at paths and merges them (see Merge); errors name the file.
func MergeFiles(estimates EstimateMerger, paths ...string) (*Run, error) {
	parts := make([]*Run, len(paths))
	for i, p := range paths {
		s, err := Read(p)
		if err != nil {
			return nil, err
		}
		parts[i] = s
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Plan != parts[0].Plan || parts[i].Scenario != parts[0].Scenario {
			return nil, fmt.Errorf("%s ran plan %s, scenario %s, but %s ran plan %s, scenario %s: only the summaries of one scenario merge",
				paths[0], parts[0].Plan, parts[0].Scenario, paths[i], parts[i].Plan, parts[i].Scenario)
		}
	}
	m, err := Merge(estimates, parts...)
	if err != nil {
		return nil, fmt.Errorf("merge %s: %w", strings.Join(paths, ", "), err)
	}
	return m, nil
}

// Merge merges the summaries of workers that ran one scenario together (same plan and
// scenario) into the summary of the whole run. Counts, tokens and costs add (costs as
// decimals); each request name's latency and TTFT histograms merge exactly and every
// percentile is read from the merge, never averaged; minima, maxima and means are exact.
// Timelines merge second by second: users, requests/s, failures/s and in-flight requests
// add, spent adds (a worker that has ended counts with its last spent), and the per-second
// p50 and p95, for which no histogram is kept, are the largest of the workers' (an upper
// bound). Thresholds are judged again on the merged figures (Judge); the stop reason is the
// one of highest Rank among the workers' and the exit code follows it. The estimates (each
// worker's share) add with estimates; a budget the workers share (the same limit in each)
// is kept, different limits add.
func Merge(estimates EstimateMerger, parts ...*Run) (*Run, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no summaries to merge")
	}
	first := parts[0]
	for i, p := range parts[1:] {
		if p.Plan != first.Plan || p.Scenario != first.Scenario {
			return nil, fmt.Errorf("summary %d ran plan %s, scenario %s, not plan %s, scenario %s: only the summaries of one scenario merge",
				i+2, p.Plan, p.Scenario, first.Plan, first.Scenario)
		}
	}
	m, hits := mergeHeads(parts)
	tasks, err := mergeTasks(parts, m.DurationS)
	if err != nil {
		return nil, err
	}
	m.Tasks = tasks
	m.Failures = mergeFailures(parts)
	m.Timeline = mergeTimelines(parts, m.StartedAt)
	m.Meter = mergeMeters(parts)
	m.Budget = mergeBudgets(parts)
	m.RateLimits = mergeRateLimits(parts, m.StartedAt)

	a := &m.Actual
	if m.DurationS > 0 {
		a.RPS = float64(a.Requests) / m.DurationS
	}
	if a.Requests > 0 {
		a.CacheHitRate = hits / float64(a.Requests)
		cpr := a.Cost.Div(decimal.NewFromInt(a.Requests))
		a.CostPerRequest = &cpr
	}
	lat, ok, err := AggregateLatency(m.Tasks)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("a request name with requests has no latency histogram: the summaries cannot merge exactly")
	}
	a.Latency = lat
	gs := make([]*Goodput, len(parts))
	for i, p := range parts {
		gs[i] = p.Actual.Goodput
	}
	a.Goodput = mergeGoodput(gs, a.Requests, a.Cost, m.DurationS)
	if a.TTFT, err = AggregateTTFT(m.Tasks); err != nil {
		return nil, err
	}

	ests := make([]json.RawMessage, len(parts))
	for i, p := range parts {
		ests[i] = p.Estimate
	}
	var budget *decimal.Decimal
	if m.Budget != nil {
		budget = &m.Budget.Limit
	}
	est, expected, err := estimates(ests, budget)
	if err != nil {
		return nil, err
	}
	m.Estimate = est
	a.EstimateErrorPct = EstimateErrorPct(a.Cost, expected)
	m.SetEstimateElapsed(mergeElapsed(parts))

	m.Thresholds, m.Pass, err = mergeThresholds(m, parts)
	if err != nil {
		return nil, err
	}
	m.AddImplicitThresholds()
	m.ExitCode = m.Exit(ExitThresholds)
	return m, nil
}

// mergeHeads starts the merge of parts: the first start, the last end, the longest duration,
// the stop reason of highest rank, the targets and stop details (each once), and the counts,
// costs and tokens added. hits is the requests that hit the cache, as the parts' rates say.
func mergeHeads(parts []*Run) (m *Run, hits float64) {
	first := parts[0]
	m = &Run{Schema: Schema, Plan: first.Plan, Scenario: first.Scenario, StartedAt: first.StartedAt,
		EndedAt: first.EndedAt, Seed: first.Seed, Failures: []Failure{}, Tasks: []TaskStats{}}
	var targets, details []string
	for _, p := range parts {
		if p.StartedAt.Before(m.StartedAt) {
			m.StartedAt = p.StartedAt
		}
		if p.EndedAt.After(m.EndedAt) {
			m.EndedAt = p.EndedAt
		}
		m.DurationS = max(m.DurationS, p.DurationS)
		m.Partial = m.Partial || p.Partial
		targets = appendUnique(targets, p.Target)
		details = appendUnique(details, p.StopDetail)
		if p.StopReason.Rank() > m.StopReason.Rank() || m.StopReason == "" {
			m.StopReason = p.StopReason
		}
		addActual(&m.Actual, &p.Actual)
		hits += p.Actual.CacheHitRate * float64(p.Actual.Requests)
	}
	m.Target = strings.Join(targets, ", ")
	m.StopDetail = strings.Join(details, "; ")
	return m, hits

}

// mergeElapsed adds the estimates for what ran of workers that all stopped early (each ran
// its share of the users over the same time); nil when some worker has none (it ran its
// schedule, so what it ran is its full estimate, which a summary does not hold decoded).
func mergeElapsed(parts []*Run) *ElapsedEstimate {
	var m ElapsedEstimate
	addCount := func(sum **float64, v *float64, first bool) {
		switch {
		case first && v != nil:
			x := *v
			*sum = &x
		case v == nil:
			*sum = nil
		case *sum != nil:
			**sum += *v
		}
	}
	addMoney := func(sum **decimal.Decimal, v *decimal.Decimal, first bool) {
		switch {
		case first && v != nil:
			x := *v
			*sum = &x
		case v == nil:
			*sum = nil
		case *sum != nil:
			x := (*sum).Add(*v)
			*sum = &x
		}
	}
	for i, p := range parts {
		e := p.EstimateElapsed
		if e == nil {
			return nil
		}
		first := i == 0
		m.ElapsedS = max(m.ElapsedS, e.ElapsedS)
		addCount(&m.Requests.Low, e.Requests.Low, first)
		addCount(&m.Requests.Expected, e.Requests.Expected, first)
		addCount(&m.Requests.Worst, e.Requests.Worst, first)
		addMoney(&m.Cost.Low, e.Cost.Low, first)
		addMoney(&m.Cost.Expected, e.Cost.Expected, first)
		addMoney(&m.Cost.Worst, e.Cost.Worst, first)
	}
	return &m
}

// addActual adds the counts, costs and tokens of p to a.
func addActual(a, p *Actual) {
	a.Requests += p.Requests
	a.Failures += p.Failures
	a.Cost = a.Cost.Add(p.Cost)
	a.CostEstimated = a.CostEstimated.Add(p.CostEstimated)
	a.Tokens.Input += p.Tokens.Input
	a.Tokens.Output += p.Tokens.Output
	a.Tokens.CacheRead += p.Tokens.CacheRead
	a.Tokens.CacheWrite += p.Tokens.CacheWrite
	a.LateStarts += p.LateStarts
	a.DroppedArrivals += p.DroppedArrivals
	a.UnpricedResponses += p.UnpricedResponses
	a.IncompleteUsage += p.IncompleteUsage
	a.RateLimited += p.RateLimited
}

type taskKey struct{ name, method string }

func mergeTasks(parts []*Run, durationS float64) ([]TaskStats, error) {
	var order []taskKey
	groups := map[taskKey][]TaskStats{}
	for _, p := range parts {
		for _, t := range p.Tasks {
			k := taskKey{t.Name, t.Method}
			if _, seen := groups[k]; !seen {
				order = append(order, k)
			}
			groups[k] = append(groups[k], t)
		}
	}
	out := make([]TaskStats, 0, len(order))
	for _, k := range order {
		t, err := mergeTask(k, groups[k], durationS)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// mergeTask merges the rows of one request name (name and method) from the workers.
func mergeTask(k taskKey, rows []TaskStats, durationS float64) (TaskStats, error) {
	t := TaskStats{Name: k.name, Method: k.method, CostSource: rows[0].CostSource}
	var hits, size float64
	var latParts, ttftParts []histPart
	var dists []*TokenDist
	for i, r := range rows {
		dists = append(dists, r.TokenDist)
		t.Requests += r.Requests
		t.Failures += r.Failures
		t.RateLimited += r.RateLimited
		t.IncompleteUsage += r.IncompleteUsage
		t.Cost = t.Cost.Add(r.Cost)
		t.CostEstimated = t.CostEstimated.Add(r.CostEstimated)
		t.Tokens.Input += r.Tokens.Input
		t.Tokens.Output += r.Tokens.Output
		t.Tokens.CacheRead += r.Tokens.CacheRead
		t.Tokens.CacheWrite += r.Tokens.CacheWrite
		hits += r.CacheHitRate * float64(r.Requests)
		size += r.AvgContentSize * float64(r.Requests)
		if r.CostSource != t.CostSource {
			t.CostSource = "mixed"
		}
		if r.Requests > 0 && r.Histogram == "" {
			return TaskStats{}, fmt.Errorf("summary %d: %s has %d requests but no latency histogram: it cannot merge exactly", i+1, k.name, r.Requests)
		}
		latParts = append(latParts, histPart{r.Requests, r.Histogram, r.Latency})
		if r.TTFT != nil && r.TTFTHistogram != "" {
			h, err := DecodeHistogram(r.TTFTHistogram)
			if err != nil {
				return TaskStats{}, fmt.Errorf("%s: ttft: %w", k.name, err)
			}
			ttftParts = append(ttftParts, histPart{h.TotalCount(), r.TTFTHistogram, *r.TTFT})
		}
	}
	lat, _, err := aggregate(latParts)
	if err != nil {
		return TaskStats{}, fmt.Errorf("%s: %w", k.name, err)
	}
	if t.TokenDist, err = MergeTokenDists(dists); err != nil {
		return TaskStats{}, fmt.Errorf("%s: %w", k.name, err)
	}
	t.Latency = lat
	if t.Histogram, err = mergedEncoding(latParts); err != nil {
		return TaskStats{}, fmt.Errorf("%s: %w", k.name, err)
	}
	if len(ttftParts) > 0 {
		ttft, _, err := aggregate(ttftParts)
		if err != nil {
			return TaskStats{}, fmt.Errorf("%s: ttft: %w", k.name, err)
		}
		t.TTFT = &ttft
		if t.TTFTHistogram, err = mergedEncoding(ttftParts); err != nil {
			return TaskStats{}, fmt.Errorf("%s: ttft: %w", k.name, err)
		}
	}
	if t.Requests > 0 {
		t.CacheHitRate = hits / float64(t.Requests)
		t.AvgContentSize = size / float64(t.Requests)
		cpr := t.Cost.Div(decimal.NewFromInt(t.Requests))
		t.CostPerRequest = &cpr
	}
	if durationS > 0 {
		t.RPS = float64(t.Requests) / durationS
	}
	gs := make([]*Goodput, len(rows))
	for i := range rows {
		gs[i] = rows[i].Goodput
	}
	t.Goodput = mergeGoodput(gs, t.Requests, t.Cost, durationS)
	return t, nil
}

func mergeFailures(parts []*Run) []Failure {
	type key struct{ task, method, err string }
	var order []key
	n := map[key]int64{}
	for _, p := range parts {
		for _, f := range p.Failures {
			k := key{f.Task, f.Method, f.Error}
			if _, seen := n[k]; !seen {
				order = append(order, k)
			}
			n[k] += f.Occurrences
		}
	}
	out := make([]Failure, 0, len(order))
	for _, k := range order {
		out = append(out, Failure{Task: k.task, Method: k.method, Error: k.err, Occurrences: n[k]})
	}
	return SortedFailures(out)
}

// SortedFailures is a copy of fs in the failures table's order: the most frequent first,
// then by request name, method and message.
func SortedFailures(fs []Failure) []Failure {
	out := append([]Failure(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Occurrences != b.Occurrences {
			return a.Occurrences > b.Occurrences
		}
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		return a.Error < b.Error
	})
	return out
}

// mergeTimelines merges the workers' timelines second by second: a point's second is its t
// plus the time its worker started after the first, rounded.
func mergeTimelines(parts []*Run, start time.Time) []TimelinePoint {
	secs := map[int64]bool{}
	var keys []int64
	perPart := make([]map[int64]TimelinePoint, len(parts))
	for i, p := range parts {
		perPart[i] = map[int64]TimelinePoint{}
		offset := p.StartedAt.Sub(start).Seconds()
		for _, pt := range p.Timeline {
			k := int64(math.Round(pt.T + offset))
			if !secs[k] {
				secs[k] = true
				keys = append(keys, k)
			}
			perPart[i][k] = pt
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]TimelinePoint, 0, len(keys))
	lastSpent := make([]decimal.Decimal, len(parts))
	for _, k := range keys {
		m := TimelinePoint{T: float64(k)}
		for i := range parts {
			pt, ok := perPart[i][k]
			if !ok {
				m.Spent = m.Spent.Add(lastSpent[i])
				continue
			}
			lastSpent[i] = pt.Spent
			m.Users += pt.Users
			m.RPS += pt.RPS
			m.FPS += pt.FPS
			m.InFlight += pt.InFlight
			m.Spent = m.Spent.Add(pt.Spent)
			m.Reserved = m.Reserved.Add(pt.Reserved)
			m.P50 = max(m.P50, pt.P50)
			m.P95 = max(m.P95, pt.P95)
		}
		out = append(out, m)
	}
	return out
}

func mergeMeters(parts []*Run) *Meter {
	var m *Meter
	for _, p := range parts {
		if p.Meter == nil {
			continue
		}
		if m == nil {
			m = &Meter{BoundsHeld: true}
		}
		m.Spent = m.Spent.Add(p.Meter.Spent)
		m.Reserved = m.Reserved.Add(p.Meter.Reserved)
		if p.Meter.LargestWorstCase.GreaterThan(m.LargestWorstCase) {
			m.LargestWorstCase = p.Meter.LargestWorstCase
		}
		m.Overruns += p.Meter.Overruns
		m.UnreportedCharged += p.Meter.UnreportedCharged
		m.BoundsHeld = m.BoundsHeld && p.Meter.BoundsHeld
	}
	return m
}

// mergeBudgets keeps a budget the workers share and adds different ones.
func mergeBudgets(parts []*Run) *Budget {
	var limits []decimal.Decimal
	currency := ""
	for _, p := range parts {
		if p.Budget != nil {
			limits = append(limits, p.Budget.Limit)
			currency = p.Budget.Currency
		}
	}
	if len(limits) == 0 {
		return nil
	}
	return &Budget{Limit: SharedOrSum(limits), Currency: currency}
}

// SharedOrSum is the budget of workers whose limits are ds: the limit they share when all
// are equal (one budget, shared through one ledger), else their sum.
func SharedOrSum(ds []decimal.Decimal) decimal.Decimal {
	same := true
	sum := decimal.Zero
	for _, d := range ds {
		same = same && d.Equal(ds[0])
		sum = sum.Add(d)
	}
	if same {
		return ds[0]
	}
	return sum
}

// mergedNotJudged is the actual of a threshold that cannot be judged from the merged
// summary: it keeps the workers' verdict (all must have passed).
const mergedNotJudged = "n/a (merged)"

// mergeThresholds judges each threshold again on the merged summary; one that cannot be
// judged from it keeps the workers' verdict.
func mergeThresholds(m *Run, parts []*Run) ([]ThresholdResult, bool, error) {
	type key struct{ name, scope, task string }
	var order []key
	byKey := map[key]*ThresholdResult{}
	pass := true
	anyThreshold := false
	for _, p := range parts {
		pass = pass && p.Pass
		for _, t := range p.Thresholds {
			anyThreshold = true
			k := key{t.Name, t.Scope, t.Task}
			if r, ok := byKey[k]; ok {
				r.Pass = r.Pass && t.Pass
				continue
			}
			r := t
			byKey[k] = &r
			order = append(order, k)
		}
	}
	if !anyThreshold {
		return []ThresholdResult{}, pass, nil
	}
	out := make([]ThresholdResult, 0, len(order))
	pass = true
	for _, k := range order {
		r := *byKey[k]
		scope := r.Scope
		if scope == ScopeTask {
			scope = "task:" + r.Task
		}
		judged := false
		if r.Implicit {
			f, _, _ := m.Figures("plan")
			res := JudgeImplicit(f)
			r.Actual, r.Pass, judged = res.Actual, res.Pass, true
		} else if th, err := plan.ParseThreshold(plan.ThresholdKind(r.Name), scope, r.Limit); err == nil {
			res, ok, err := m.Judge(th)
			if err != nil {
				return nil, false, err
			}
			if ok {
				r.Actual, r.Pass, judged = res.Actual, res.Pass, true
			}
		}
		if !judged {
			r.Actual = mergedNotJudged
		}
		pass = pass && r.Pass
		out = append(out, r)
	}
	return out, pass, nil
}

func appendUnique(ss []string, s string) []string {
	if s == "" {
		return ss
	}
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
