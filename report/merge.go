package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/planner"
	"github.com/shopspring/decimal"
)

// MergeFiles reads the summaries at paths and merges them (see Merge); errors name the file.
func MergeFiles(paths ...string) (*executor.Summary, error) {
	parts := make([]*executor.Summary, len(paths))
	for i, p := range paths {
		s, err := ReadSummary(p)
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
	m, err := Merge(parts...)
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
// bound). Thresholds are judged again on the merged figures; the stop reason is the most
// severe of the workers' (interrupted, error, overrun, budget exhausted, threshold abort,
// completed) and the exit code follows DESIGN.md's order. The estimates (each worker's
// share) add; a budget the workers share (the same limit in each) is kept, different limits
// add.
func Merge(parts ...*executor.Summary) (*executor.Summary, error) {
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
	m := &executor.Summary{
		Schema:    executor.SummarySchema,
		Plan:      first.Plan,
		Scenario:  first.Scenario,
		StartedAt: first.StartedAt,
		EndedAt:   first.EndedAt,
		Seed:      first.Seed,
		Failures:  []executor.Failure{},
		Tasks:     []executor.TaskStats{},
	}
	var targets, details []string
	var hits float64
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
		if stopSeverity(p.StopReason) > stopSeverity(m.StopReason) || m.StopReason == "" {
			m.StopReason = p.StopReason
		}
		a := &m.Actual
		a.Requests += p.Actual.Requests
		a.Failures += p.Actual.Failures
		a.Cost = a.Cost.Add(p.Actual.Cost)
		a.CostEstimated = a.CostEstimated.Add(p.Actual.CostEstimated)
		a.Tokens.Input += p.Actual.Tokens.Input
		a.Tokens.Output += p.Actual.Tokens.Output
		a.Tokens.CacheRead += p.Actual.Tokens.CacheRead
		a.Tokens.CacheWrite += p.Actual.Tokens.CacheWrite
		a.LateStarts += p.Actual.LateStarts
		a.DroppedArrivals += p.Actual.DroppedArrivals
		a.UnpricedResponses += p.Actual.UnpricedResponses
		a.IncompleteUsage += p.Actual.IncompleteUsage
		a.RateLimited += p.Actual.RateLimited
		hits += p.Actual.CacheHitRate * float64(p.Actual.Requests)
	}
	m.Target = strings.Join(targets, ", ")
	m.StopDetail = strings.Join(details, "; ")

	tasks, err := mergeTasks(parts, m.DurationS)
	if err != nil {
		return nil, err
	}
	m.Tasks = tasks
	m.Failures = mergeFailures(parts)
	m.Timeline = mergeTimelines(parts, m.StartedAt)
	m.Meter = mergeMeters(parts)
	m.Budget = mergeBudgets(parts)

	a := &m.Actual
	if m.DurationS > 0 {
		a.RPS = float64(a.Requests) / m.DurationS
	}
	if a.Requests > 0 {
		a.CacheHitRate = hits / float64(a.Requests)
		cpr := a.Cost.Div(decimal.NewFromInt(a.Requests))
		a.CostPerRequest = &cpr
	}
	lat, ok, err := aggregateLatency(m.Tasks)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("a request name with requests has no latency histogram: the summaries cannot merge exactly")
	}
	a.Latency = lat
	if a.TTFT, err = aggregateTTFT(m.Tasks); err != nil {
		return nil, err
	}

	est, expected, err := mergeEstimates(parts)
	if err != nil {
		return nil, err
	}
	m.Estimate = est
	if expected != nil && expected.IsPositive() {
		pct := a.Cost.Sub(*expected).Div(*expected).InexactFloat64() * 100
		a.EstimateErrorPct = &pct
	}

	m.Thresholds, m.Pass, err = mergeThresholds(m, parts)
	if err != nil {
		return nil, err
	}
	m.ExitCode = exitCodeFor(m.StopReason, m.Pass)
	return m, nil
}

// stopSeverity orders stop reasons by DESIGN.md's exit-code precedence (130, 5, 4, 1).
func stopSeverity(r executor.StopReason) int {
	switch r {
	case executor.StopInterrupted:
		return 5
	case executor.StopError, executor.StopLedgerUnreachable:
		return 4
	case executor.StopOverrun:
		return 3
	case executor.StopBudgetExhausted:
		return 2
	case executor.StopThresholdAbort:
		return 1
	}
	return 0
}

// exitCodeFor is the exit code of a run that stopped for r with the given verdict.
func exitCodeFor(r executor.StopReason, pass bool) int {
	switch r {
	case executor.StopInterrupted:
		return 130
	case executor.StopError, executor.StopLedgerUnreachable:
		return 5
	case executor.StopOverrun, executor.StopBudgetExhausted:
		return 4
	case executor.StopThresholdAbort:
		return 1
	}
	if !pass {
		return 1
	}
	return 0
}

type taskKey struct{ name, method string }

func mergeTasks(parts []*executor.Summary, durationS float64) ([]executor.TaskStats, error) {
	var order []taskKey
	groups := map[taskKey][]executor.TaskStats{}
	for _, p := range parts {
		for _, t := range p.Tasks {
			k := taskKey{t.Name, t.Method}
			if _, seen := groups[k]; !seen {
				order = append(order, k)
			}
			groups[k] = append(groups[k], t)
		}
	}
	out := make([]executor.TaskStats, 0, len(order))
	for _, k := range order {
		rows := groups[k]
		t := executor.TaskStats{Name: k.name, Method: k.method, CostSource: rows[0].CostSource}
		var hits, size float64
		var latParts, ttftParts []histPart
		for i, r := range rows {
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
				return nil, fmt.Errorf("summary %d: %s has %d requests but no latency histogram: it cannot merge exactly", i+1, k.name, r.Requests)
			}
			latParts = append(latParts, histPart{r.Requests, r.Histogram, r.Latency})
			if r.TTFT != nil && r.TTFTHistogram != "" {
				h, err := decodeHistogram(r.TTFTHistogram)
				if err != nil {
					return nil, fmt.Errorf("%s: ttft: %w", k.name, err)
				}
				ttftParts = append(ttftParts, histPart{h.TotalCount(), r.TTFTHistogram, *r.TTFT})
			}
		}
		lat, _, err := aggregate(latParts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.name, err)
		}
		t.Latency = lat
		if t.Histogram, err = mergedEncoding(latParts); err != nil {
			return nil, fmt.Errorf("%s: %w", k.name, err)
		}
		if len(ttftParts) > 0 {
			ttft, _, err := aggregate(ttftParts)
			if err != nil {
				return nil, fmt.Errorf("%s: ttft: %w", k.name, err)
			}
			t.TTFT = &ttft
			if t.TTFTHistogram, err = mergedEncoding(ttftParts); err != nil {
				return nil, fmt.Errorf("%s: ttft: %w", k.name, err)
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
		out = append(out, t)
	}
	return out, nil
}

// mergedEncoding is the encoded merge of the parts' histograms.
func mergedEncoding(parts []histPart) (string, error) {
	enc := make([]string, 0, len(parts))
	for _, p := range parts {
		enc = append(enc, p.enc)
	}
	h, err := mergeHistograms(enc)
	if err != nil {
		return "", err
	}
	return encodeHistogram(h)
}

func mergeFailures(parts []*executor.Summary) []executor.Failure {
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
	out := make([]executor.Failure, 0, len(order))
	for _, k := range order {
		out = append(out, executor.Failure{Task: k.task, Method: k.method, Error: k.err, Occurrences: n[k]})
	}
	return sortedFailures(out)
}

// mergeTimelines merges the workers' timelines second by second: a point's second is its t
// plus the time its worker started after the first, rounded.
func mergeTimelines(parts []*executor.Summary, start time.Time) []executor.TimelinePoint {
	type acc struct {
		p   executor.TimelinePoint
		set bool
	}
	secs := map[int64]*acc{}
	var keys []int64
	perPart := make([]map[int64]executor.TimelinePoint, len(parts))
	for i, p := range parts {
		perPart[i] = map[int64]executor.TimelinePoint{}
		offset := p.StartedAt.Sub(start).Seconds()
		for _, pt := range p.Timeline {
			k := int64(math.Round(pt.T + offset))
			if _, ok := secs[k]; !ok {
				secs[k] = &acc{}
				keys = append(keys, k)
			}
			perPart[i][k] = pt
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]executor.TimelinePoint, 0, len(keys))
	lastSpent := make([]decimal.Decimal, len(parts))
	for _, k := range keys {
		m := executor.TimelinePoint{T: float64(k)}
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

func mergeMeters(parts []*executor.Summary) *executor.Meter {
	var m *executor.Meter
	for _, p := range parts {
		if p.Meter == nil {
			continue
		}
		if m == nil {
			m = &executor.Meter{BoundsHeld: true}
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
func mergeBudgets(parts []*executor.Summary) *executor.Budget {
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
	l := sharedOrSum(limits)
	return &executor.Budget{Limit: l, Currency: currency}
}

func sharedOrSum(ds []decimal.Decimal) decimal.Decimal {
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

// mergeEstimates adds the workers' estimates. With any worker's missing, the merge has none:
// an estimate of part of a run is not the run's.
func mergeEstimates(parts []*executor.Summary) (json.RawMessage, *decimal.Decimal, error) {
	var ests []*planner.Scenario
	for i, p := range parts {
		e, err := summaryEstimate(p)
		if err != nil {
			return nil, nil, fmt.Errorf("summary %d: %w", i+1, err)
		}
		if e == nil {
			return json.RawMessage("null"), nil, nil
		}
		ests = append(ests, e)
	}
	m := *ests[0]
	m.Tasks = append([]planner.Task(nil), ests[0].Tasks...)
	var budgets []decimal.Decimal
	if m.Budget != nil {
		budgets = append(budgets, m.Budget.Limit)
	}
	for _, e := range ests[1:] {
		m.Requests = addCounts(m.Requests, e.Requests)
		m.Tokens = addTokens(m.Tokens, e.Tokens)
		m.Cost = addMoney(m.Cost, e.Cost)
		m.MaxUsers += e.MaxUsers
		m.ExpectedRPS += e.ExpectedRPS
		if e.WorstPerRequest == nil || m.WorstPerRequest == nil {
			m.WorstPerRequest = nil
		} else if e.WorstPerRequest.GreaterThan(*m.WorstPerRequest) {
			m.WorstPerRequest = e.WorstPerRequest
		}
		if e.Budget != nil {
			budgets = append(budgets, e.Budget.Limit)
		}
		for _, s := range e.Assumptions {
			m.Assumptions = appendUnique(m.Assumptions, s)
		}
		for _, s := range e.Warnings {
			m.Warnings = appendUnique(m.Warnings, s)
		}
		for _, et := range e.Tasks {
			found := false
			for j := range m.Tasks {
				if m.Tasks[j].Name == et.Name {
					mt := &m.Tasks[j]
					mt.Requests = addCounts(mt.Requests, et.Requests)
					mt.Tokens = addTokens(mt.Tokens, et.Tokens)
					mt.Cost = addMoney(mt.Cost, et.Cost)
					found = true
				}
			}
			if !found {
				m.Tasks = append(m.Tasks, et)
			}
		}
	}
	if m.Budget != nil && len(budgets) == len(ests) {
		m.Budget = &planner.Budget{Limit: sharedOrSum(budgets), Currency: m.Budget.Currency}
		if g := m.Gated(); g != nil {
			within := g.LessThanOrEqual(m.Budget.Limit)
			m.WithinBudget = &within
		} else {
			within := false
			m.WithinBudget = &within
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return raw, m.Cost.Expected, nil
}

// summaryEstimate decodes a summary's embedded estimate; nil when it has none.
func summaryEstimate(s *executor.Summary) (*planner.Scenario, error) {
	raw := strings.TrimSpace(string(s.Estimate))
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var e planner.Scenario
	if err := json.Unmarshal(s.Estimate, &e); err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	return &e, nil
}

func addCounts(a, b planner.Counts) planner.Counts { return a.Add(b) }

func addTokens(a, b planner.Tokens) planner.Tokens { return a.Add(b) }

func addMoney(a, b planner.Money) planner.Money {
	add := func(x, y *decimal.Decimal) *decimal.Decimal {
		if x == nil || y == nil {
			return nil
		}
		v := x.Add(*y)
		return &v
	}
	return planner.Money{Low: add(a.Low, b.Low), Expected: add(a.Expected, b.Expected), Worst: add(a.Worst, b.Worst)}
}

// mergeThresholds judges each threshold again on the merged summary; one that cannot be
// judged from it keeps the workers' verdict (all must have passed).
func mergeThresholds(m *executor.Summary, parts []*executor.Summary) ([]executor.ThresholdResult, bool, error) {
	type key struct{ name, scope, task string }
	var order []key
	byKey := map[key]*executor.ThresholdResult{}
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
		return []executor.ThresholdResult{}, pass, nil
	}
	out := make([]executor.ThresholdResult, 0, len(order))
	pass = true
	for _, k := range order {
		r := *byKey[k]
		scope := r.Scope
		if scope == executor.ScopeTask {
			scope = "task:" + r.Task
		}
		actual, ok, judged, err := evaluateThreshold(m, r.Name, scope, r.Limit)
		if err != nil {
			return nil, false, err
		}
		if judged {
			r.Actual, r.Pass = actual, ok
		} else {
			r.Actual = "n/a (merged)"
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
