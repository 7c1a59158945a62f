package planner

import (
	"time"

	"github.com/shopspring/decimal"
)

// PastRun is one past run of a scenario, as a run history (run --history) records it.
type PastRun struct {
	StartedAt  time.Time        `json:"started_at"`
	StopReason string           `json:"stop_reason"`
	Requests   int64            `json:"requests"`
	Cost       decimal.Decimal  `json:"cost"`
	Estimate   *decimal.Decimal `json:"estimate"` // the expected cost it was estimated at
}

// PastRuns are a scenario's past runs beside its estimate (estimate --history; JSON key
// history of a scenario). Errors are (actual − expected) / expected × 100, as
// actual.estimate_error_pct of a run summary; only runs that completed count.
type PastRuns struct {
	Runs []PastRun `json:"runs"`
	// Completed is how many runs completed (the others stopped early: their cost is of part
	// of the scenario).
	Completed int `json:"completed"`
	// MeanErrorPct is the mean of the completed runs' errors against their own estimates;
	// nil when none had one.
	MeanErrorPct *float64 `json:"mean_error_pct"`
	// ActualMean is the mean cost of the completed runs; nil without one.
	ActualMean *decimal.Decimal `json:"actual_mean"`
	// ErrorPct is ActualMean against this estimate's expected cost.
	ErrorPct *float64 `json:"error_pct"`
}

// ComparePast sets s.History from the past runs of its plan and scenario.
func ComparePast(s *Scenario, runs []PastRun) {
	h := &PastRuns{Runs: runs}
	if h.Runs == nil {
		h.Runs = []PastRun{}
	}
	sum := decimal.Zero
	var errSum float64
	errN := 0
	for _, r := range runs {
		if r.StopReason != "completed" {
			continue
		}
		h.Completed++
		sum = sum.Add(r.Cost)
		if r.Estimate != nil && r.Estimate.IsPositive() {
			errSum += r.Cost.Sub(*r.Estimate).Div(*r.Estimate).InexactFloat64() * 100
			errN++
		}
	}
	if errN > 0 {
		m := errSum / float64(errN)
		h.MeanErrorPct = &m
	}
	if h.Completed > 0 {
		mean := sum.DivRound(decimal.NewFromInt(int64(h.Completed)), 12)
		h.ActualMean = &mean
		if e := s.Cost.Expected; e != nil && e.IsPositive() {
			pct := mean.Sub(*e).Div(*e).InexactFloat64() * 100
			h.ErrorPct = &pct
		}
	}
	s.History = h
}
