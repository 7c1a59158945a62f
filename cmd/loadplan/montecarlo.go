package main

import (
	"errors"

	"github.com/loadplan/loadplan/calibration"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/spf13/pflag"
)

// mcFlags are estimate's Monte-Carlo flags (--percentiles, --seed, --draws).
type mcFlags struct {
	percentiles bool
	seed        uint64
	draws       int
	fs          *pflag.FlagSet
	// measured are the calibration's quantiles (estimate --calibration), nil without one.
	measured *planner.Measured
}

func (f *mcFlags) register(fs *pflag.FlagSet) {
	f.fs = fs
	fs.BoolVar(&f.percentiles, "percentiles", false, "simulate the scenario's cost (Monte-Carlo): P5, P50, P95 and the probability of exceeding the budget")
	fs.Uint64Var(&f.seed, "seed", 0, "--percentiles: the simulation's seed (default: the plan's seed, else 1)")
	fs.IntVar(&f.draws, "draws", planner.DefaultDraws, "--percentiles: the number of simulated runs")
}

// extend adds the Monte-Carlo view to each scenario of est when --percentiles is given.
func (f *mcFlags) extend(p *plan.Plan, scenarios []*plan.Scenario, cat *pricing.Catalog, est *planner.Estimate) error {
	if !f.percentiles {
		if f.fs != nil && (f.fs.Changed("seed") || f.fs.Changed("draws")) {
			return usageError("--seed and --draws are for --percentiles")
		}
		return nil
	}
	if f.draws <= 0 || f.draws > 1_000_000 {
		return usageError("--draws %d: give 1 to 1000000", f.draws)
	}
	seed := uint64(1)
	switch {
	case f.fs != nil && f.fs.Changed("seed"):
		seed = f.seed
	case p.Seed != nil:
		seed = *p.Seed
	}
	for i, s := range scenarios {
		opts := planner.SimOptions{Seed: seed, Draws: f.draws, Measured: f.measured}
		if b := est.Scenarios[i].Budget; b != nil {
			opts.Budget = &b.Limit
		}
		mc, err := planner.Simulate(p, s, cat, opts)
		if errors.Is(err, planner.ErrNoBound) {
			est.Scenarios[i].Warnings = append(est.Scenarios[i].Warnings, "--percentiles: "+err.Error())
			continue
		}
		if err != nil {
			return withCode(exitUsage, err)
		}
		est.Scenarios[i].Percentiles = mc
	}
	return nil
}

// measuredOf is a calibration's token quantiles as the simulation takes them.
func measuredOf(c *calibration.Calibration) *planner.Measured {
	m := &planner.Measured{Percents: calibration.Percents, Steps: map[string]planner.MeasuredStep{}}
	q := func(t *calibration.Tokens) []int64 {
		if t == nil {
			return nil
		}
		return t.Quantiles
	}
	for _, s := range c.Steps {
		m.Steps[s.Name] = planner.MeasuredStep{Prompt: q(s.Prompt), Cacheable: q(s.Cacheable), Output: q(s.Output)}
	}
	return m
}

// addHistory sets each scenario's past runs of the same plan and scenario from the history
// file path (estimate --history; none when path is "").
func addHistory(path string, est *planner.Estimate) error {
	if path == "" {
		return nil
	}
	entries, err := report.ReadHistory(path)
	if err != nil {
		return usageError("--history: %v", err)
	}
	for i := range est.Scenarios {
		s := &est.Scenarios[i]
		var runs []planner.PastRun
		for _, e := range entries {
			if e.Plan == est.Plan && e.Scenario == s.Name {
				runs = append(runs, planner.PastRun{StartedAt: e.StartedAt, StopReason: string(e.StopReason),
					Requests: e.Requests, Cost: e.Cost, Estimate: e.Estimate})
			}
		}
		planner.ComparePast(s, runs)
	}
	return nil
}
