package planner

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// MergeEstimates adds the estimates of the workers that ran one scenario together (each
// worker's share, as the JSON of a Scenario; "null" or empty when a worker has none) into the
// estimate of the whole run, and returns it as JSON with its expected cost. Counts, tokens
// and costs add (nil, unknown, stays unknown), users and rates add, the largest worst case
// per request is the largest of the workers'; assumptions and warnings are kept once each.
// budget is the whole run's limit (the one the workers share, or the sum of theirs; nil:
// none): when every worker's estimate had a budget, the merged estimate is gated against it.
// With any worker's estimate missing, the merge has none ("null"): an estimate of part of a
// run is not the run's. It is summary.Merge's EstimateMerger.
func MergeEstimates(parts []json.RawMessage, budget *decimal.Decimal) (json.RawMessage, *decimal.Decimal, error) {
	var ests []*Scenario
	for i, raw := range parts {
		e, err := decodeEstimate(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("summary %d: %w", i+1, err)
		}
		if e == nil {
			return json.RawMessage("null"), nil, nil
		}
		ests = append(ests, e)
	}
	if len(ests) == 0 {
		return json.RawMessage("null"), nil, nil
	}
	m := *ests[0]
	m.Tasks = append([]Task(nil), ests[0].Tasks...)
	allBudgets := m.Budget != nil
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
		allBudgets = allBudgets && e.Budget != nil
		for _, s := range e.Assumptions {
			m.Assumptions = appendUnique(m.Assumptions, s)
		}
		for _, s := range e.Warnings {
			m.Warnings = appendUnique(m.Warnings, s)
		}
		m.Tasks = addTasks(m.Tasks, e.Tasks)
	}
	if allBudgets && budget != nil {
		m.Budget = &Budget{Limit: *budget, Currency: m.Budget.Currency}
		within := false
		if g := m.Gated(); g != nil {
			within = g.LessThanOrEqual(m.Budget.Limit)
		}
		m.WithinBudget = &within
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return raw, m.Cost.Expected, nil
}

// decodeEstimate decodes the estimate a summary embeds; nil when it has none.
func decodeEstimate(raw json.RawMessage) (*Scenario, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return nil, nil
	}
	var e Scenario
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("estimate: %w", err)
	}
	return &e, nil
}

// addTasks adds the tasks of another share to ts, task by task (by name); a task ts lacks
// is appended.
func addTasks(ts, other []Task) []Task {
	for _, et := range other {
		found := false
		for j := range ts {
			if ts[j].Name == et.Name {
				mt := &ts[j]
				mt.Requests = addCounts(mt.Requests, et.Requests)
				mt.Tokens = addTokens(mt.Tokens, et.Tokens)
				mt.Cost = addMoney(mt.Cost, et.Cost)
				found = true
			}
		}
		if !found {
			ts = append(ts, et)
		}
	}
	return ts
}

func addCounts(a, b Counts) Counts { return a.Add(b) }

func addTokens(a, b Tokens) Tokens { return a.Add(b) }

func addMoney(a, b Money) Money {
	add := func(x, y *decimal.Decimal) *decimal.Decimal {
		if x == nil || y == nil {
			return nil
		}
		v := x.Add(*y)
		return &v
	}
	return Money{Low: add(a.Low, b.Low), Expected: add(a.Expected, b.Expected), Worst: add(a.Worst, b.Worst)}
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
