package summary

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/shopspring/decimal"
)

// How a worker of a run spread over several ended (Worker.Ended), besides the stop reasons
// of the runs that delivered their summary.
const (
	WorkerLost   = "lost"   // stopped sending statistics; its last progress is counted
	WorkerAbsent = "absent" // not ready when the run started
	WorkerFailed = "failed" // could not run (its error is the detail)
)

// Worker is one worker process of a run: its index, where it ran, what it did and spent, and
// how it ended (a stop reason, or lost, absent, failed).
type Worker struct {
	Index    int             `json:"index"`
	Host     string          `json:"host"`
	Requests int64           `json:"requests"`
	Spent    decimal.Decimal `json:"spent"`
	Ended    string          `json:"ended"`
	Detail   string          `json:"detail,omitempty"`
}

// MergeProgress merges the progress of the workers of one run into one, for one live view:
// counts, rates, users and requests in flight add; each request name's latency percentiles
// are read from the merge of the workers' encoded cumulative histograms (exact); spent,
// reserved and the budget are the first's (the ledger is shared, so every worker sees the
// run's), the spend rate adds, and the projection is spent plus what each worker projects
// beyond it.
func MergeProgress(parts []Progress) (Progress, error) {
	var m Progress
	if len(parts) == 0 {
		return m, nil
	}
	first := parts[0]
	m.Spent, m.Reserved, m.Budget = first.Spent, first.Reserved, first.Budget
	m.Projected = first.Spent
	m.GoodKnown = true
	type acc struct {
		row  TaskProgress
		hist *hdr.Histogram
		size float64
	}
	var order []string
	rows := map[string]*acc{}
	all := NewHistogram()
	for _, p := range parts {
		m.Elapsed = max(m.Elapsed, p.Elapsed)
		m.Remaining = max(m.Remaining, p.Remaining)
		m.Users += p.Users
		m.InFlight += p.InFlight
		m.LateStarts += p.LateStarts
		m.Stopping = m.Stopping || p.Stopping
		m.GoodKnown = m.GoodKnown && p.GoodKnown
		m.ProjectedEarly = m.ProjectedEarly || p.ProjectedEarly
		m.SpendPerMin = m.SpendPerMin.Add(p.SpendPerMin)
		m.Projected = m.Projected.Add(p.Projected.Sub(p.Spent))
		for _, t := range p.Tasks {
			k := t.Method + " " + t.Name
			a, ok := rows[k]
			if !ok {
				a = &acc{row: TaskProgress{Name: t.Name, Method: t.Method}, hist: NewHistogram()}
				rows[k] = a
				order = append(order, k)
			}
			a.row.Requests += t.Requests
			a.row.Failures += t.Failures
			a.row.CurrentRPS += t.CurrentRPS
			a.row.CurrentFPS += t.CurrentFPS
			a.row.Cost = a.row.Cost.Add(t.Cost)
			a.row.Good += t.Good
			a.row.WastedCost = a.row.WastedCost.Add(t.WastedCost)
			a.size += t.AvgContentSize * float64(t.Requests)
			if t.Histogram != "" {
				h, err := DecodeHistogram(t.Histogram)
				if err != nil {
					return m, err
				}
				a.hist.Merge(h)
			}
		}
	}
	m.Total = TaskProgress{Name: "Aggregated"}
	var size float64
	for _, k := range order {
		a := rows[k]
		a.row.Latency = PercentilesOf(a.hist)
		if a.row.Requests > 0 {
			a.row.AvgContentSize = a.size / float64(a.row.Requests)
		}
		all.Merge(a.hist)
		m.Tasks = append(m.Tasks, a.row)
		t := &m.Total
		t.Requests += a.row.Requests
		t.Failures += a.row.Failures
		t.CurrentRPS += a.row.CurrentRPS
		t.CurrentFPS += a.row.CurrentFPS
		t.Cost = t.Cost.Add(a.row.Cost)
		t.Good += a.row.Good
		t.WastedCost = t.WastedCost.Add(a.row.WastedCost)
		size += a.size
	}
	m.Total.Latency = PercentilesOf(all)
	if m.Total.Requests > 0 {
		m.Total.AvgContentSize = size / float64(m.Total.Requests)
	}
	return m, nil
}

// FromProgress is the summary of a worker known only by its last progress (lost, or cut off
// from Redis before it could send its summary): its counts, costs and latency histograms,
// partial, over the time it ran from started.
func FromProgress(plan, scenario string, started time.Time, p Progress) *Run {
	r := &Run{Schema: Schema, Plan: plan, Scenario: scenario, StartedAt: started.UTC(),
		EndedAt: started.Add(p.Elapsed).UTC(), DurationS: p.Elapsed.Seconds(), Partial: true,
		StopReason: StopCompleted, Tasks: []TaskStats{}, Failures: []Failure{}, Timeline: []TimelinePoint{},
		Thresholds: []ThresholdResult{}, Pass: true}
	goodput := func(good int64, wasted decimal.Decimal, requests int64, cost decimal.Decimal) *Goodput {
		if !p.GoodKnown {
			return nil
		}
		g := &Goodput{Good: good, WastedCost: wasted}
		if secs := p.Elapsed.Seconds(); secs > 0 {
			g.GoodputRPS = float64(good) / secs
		}
		DeriveGoodput(g, requests, cost)
		return g
	}
	var good int64
	wasted := decimal.Zero
	for _, t := range p.Tasks {
		r.Tasks = append(r.Tasks, TaskStats{Name: t.Name, Method: t.Method, Requests: t.Requests, Failures: t.Failures,
			Latency: t.Latency, AvgContentSize: t.AvgContentSize, Cost: t.Cost, Histogram: t.Histogram,
			Goodput: goodput(t.Good, t.WastedCost, t.Requests, t.Cost)})
		r.Actual.Requests += t.Requests
		r.Actual.Failures += t.Failures
		r.Actual.Cost = r.Actual.Cost.Add(t.Cost)
		good += t.Good
		wasted = wasted.Add(t.WastedCost)
	}
	r.Actual.Goodput = goodput(good, wasted, r.Actual.Requests, r.Actual.Cost)
	if p.Budget != nil {
		r.Budget = &Budget{Limit: *p.Budget, Currency: "USD"}
	}
	return r
}
