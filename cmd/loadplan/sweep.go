package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
	"github.com/loadplan/loadplan/sweep"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
)

// sweepOptions are the flags of loadplan sweep.
type sweepOptions struct {
	plan            string
	scenario        string
	rates           string // --rates LOW..HIGH (open model)
	users           string // --users LOW..HIGH (closed model)
	steps           int
	step            string // --step 5/s, or a number of users
	stepDuration    time.Duration
	refine          int
	minAttainment   string // "" : the plan's slo_attainment threshold, else 95%
	budget          string
	prices          priceFlags
	allowOverBudget bool
	noBudget        bool
	host            string
	profile         string
	seed            uint64
	seedSet         bool
	stopTimeout     time.Duration
	jsonFile        string
	htmlFile        string
	quiet           bool
}

func newCmdSweep(streams *IO, runF func(*sweepOptions) error) *cobra.Command {
	o := &sweepOptions{stepDuration: time.Minute, stopTimeout: executor.DefaultStopTimeout}
	cmd := &cobra.Command{
		Use:   "sweep PLAN --scenario S (--rates 2/s..40/s | --users 10..200) --budget X",
		Short: "Run a scenario at rising load on one budget and find the knee",
		Long: `Run one scenario at rising load, a step at a time, on one budget: the open model at each rate
of --rates (or the closed model at each number of --users), each for --step-duration. The sweep
stops at the first step whose SLO attainment is below --min-attainment (default: the plan's
slo_attainment threshold, else 95%; without an slo: block a request is good when it did not
fail) or whose thresholds fail (rps aside), then bisects --refine times between the last rate
that held and the first that broke. The knee is the highest rate that held.

Before anything is sent the whole sweep is estimated (every step runs, each refine step at the
top rate) and gated like run: over the budget it exits 3 unless --allow-over-budget. All steps
meter through one ledger: the sweep never spends past its budget; when the budget runs out it
stops (budget_exhausted) and still writes its outputs. Ctrl-C stops the step under way
gracefully and writes the outputs so far; a second Ctrl-C aborts its requests in flight.

Exit codes: 0 a knee found (or every step held), 1 the first step already broke (no load
holds the SLO), 2 bad plan or flags, 3 refused by the budget gate, 4 stopped by the budget,
5 a step could not run or an output could not be written, 130 interrupted.`,
		Example: `  loadplan sweep plan.yaml --scenario steady --rates 2/s..40/s --steps 8 --step-duration 1m --budget 20
  loadplan sweep plan.yaml -s steady --rates 1/s..6/s --step 1/s --step-duration 20s --refine 2 --json sweep.json --html sweep.html
  loadplan sweep plan.yaml -s normal --users 10..200 --steps 5 --step-duration 2m --budget 50`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.plan = args[0]
			o.seedSet = cmd.Flags().Changed("seed")
			if runF != nil {
				return runF(o)
			}
			return runSweep(cmd.Context(), streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.scenario, "scenario", "s", "", "the scenario to sweep (may be left out when the plan has one)")
	fs.StringVar(&o.rates, "rates", "", "arrival rates from LOW to HIGH, open model (2/s..40/s)")
	fs.StringVar(&o.users, "users", "", "users from LOW to HIGH, closed model (10..200)")
	fs.IntVar(&o.steps, "steps", 0, "number of steps from LOW to HIGH, both included (default 8)")
	fs.StringVar(&o.step, "step", "", "the step between levels instead of --steps (5/s, or users: 10)")
	fs.Var(secondsDuration{&o.stepDuration}, "step-duration", "how long each step runs (a bare number is seconds)")
	fs.IntVar(&o.refine, "refine", 0, "bisection steps between the last rate that held and the first that broke")
	fs.StringVar(&o.minAttainment, "min-attainment", "", "the SLO attainment a step must reach (95%, 0.99) (default: the plan's slo_attainment threshold, else 95%)")
	fs.StringVar(&o.budget, "budget", "", "the whole sweep's budget in USD, overriding the plan and scenario (5, 5.00, $5)")
	o.prices.register(fs)
	fs.BoolVar(&o.allowOverBudget, "allow-over-budget", false, "start even when the sweep's estimate is over the budget (the live cap still holds)")
	fs.BoolVar(&o.noBudget, "no-budget", false, "sweep without a budget: no cap, the meter still accounts")
	fs.StringVar(&o.host, "host", "", "base URL of the target, overriding the plan's (checked against allowed_hosts; mock:// allowed)")
	fs.StringVar(&o.profile, "profile", "default", "mock profile for a mock:// target without ?profile= (saturating has a knee)")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed (default: the plan's seed, else random); step N runs with seed+N-1")
	fs.Var(secondsDuration{&o.stopTimeout}, "stop-timeout", "how long requests in flight may finish after each step (a bare number is seconds)")
	fs.StringVar(&o.jsonFile, "json", "", "write the sweep (loadplan.sweep/v1) to FILE")
	fs.StringVar(&o.htmlFile, "html", "", "write an HTML page with the curves to FILE")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no line per step and no table: one line at the end")
	registerScenarioCompletion(cmd)
	registerProfileCompletion(cmd)
	return cmd
}

// sweepSetup is a sweep checked, estimated and gated: ready to send.
type sweepSetup struct {
	p      *plan.Plan
	cfg    sweep.Config
	rp     *planner.RunPlan
	est    *planner.Scenario
	target string
	seed   uint64
}

// prepareSweep checks the flags and the plan (exit 2), estimates the whole sweep and gates it
// (exit 3), before anything is sent.
func prepareSweep(streams *IO, o *sweepOptions) (*sweepSetup, error) {
	p, err := loadPlan(streams, o.plan)
	if err != nil {
		return nil, err
	}
	scs, err := pickScenarios(p, o.scenario, false, false)
	if err != nil {
		return nil, err
	}
	cfg := sweep.Config{Plan: p, Scenario: scs[0], StepDuration: o.stepDuration, Refine: o.refine}
	if cfg.Levels, cfg.Closed, err = o.levels(); err != nil {
		return nil, err
	}
	if cfg.MinAttainment, err = o.attainment(); err != nil {
		return nil, err
	}
	if err := o.checkNumbers(); err != nil {
		return nil, err
	}
	if cfg.Catalog, err = o.catalog(streams, p); err != nil {
		return nil, err
	}
	if o.budget != "" {
		b, err := plan.ParseMoney(o.budget)
		if err != nil {
			return nil, usageError("--budget: %v", err)
		}
		cfg.Options.Budget = &b
	}
	if o.noBudget && o.allowOverBudget {
		return nil, usageError("--allow-over-budget is for a sweep with a budget; --no-budget has none")
	}
	cfg.Options.NoBudget = o.noBudget
	first, err := sweep.StepScenario(cfg.Scenario, cfg.Levels[0], cfg.Closed, cfg.StepDuration)
	if err != nil {
		return nil, usageError("%v", err)
	}
	rp, err := planner.PlanRun(p, first, cfg.Catalog, cfg.Options)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	est, err := sweep.Estimate(cfg)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if est.WithinBudget != nil && !*est.WithinBudget && !o.allowOverBudget {
		return nil, withCode(exitGate, fmt.Errorf("%w\nthe sweep's estimate assumes all %d steps of %s run%s: fewer or shorter steps (--steps, --step, --step-duration, --refine) cost less",
			gateMessage([]*planner.Scenario{est}), len(cfg.Levels), plan.FormatDuration(cfg.StepDuration), refineNote(cfg.Refine)))
	}
	s := &sweepSetup{p: p, cfg: cfg, rp: rp, est: est, target: p.Target, seed: runSeed(o.seed, o.seedSet, p)}
	if o.host != "" {
		s.target = o.host
	}
	if err := executor.CheckHost(p, s.target); err != nil {
		return nil, usageError("--host: %v", err)
	}
	for _, f := range []struct{ flag, path string }{{"--json", o.jsonFile}, {"--html", o.htmlFile}} {
		if f.path != "" {
			if err := probeOutput(f.path, false); err != nil {
				return nil, withCode(exitFailed, fmt.Errorf("%s: %w; nothing was sent", f.flag, err))
			}
		}
	}
	return s, nil
}

// levels are the sweep's ladder from --rates or --users, with --steps or --step.
func (o *sweepOptions) levels() ([]float64, bool, error) {
	var lo, hi, step float64
	closed := o.users != ""
	switch {
	case o.rates != "" && closed:
		return nil, false, usageError("give --rates (open model) or --users (closed model), not both")
	case o.rates == "" && !closed:
		return nil, false, usageError("give the load to sweep: --rates LOW..HIGH (such as 2/s..40/s) or --users LOW..HIGH (such as 10..200)")
	case closed:
		l, h, err := sweep.ParseUsers(o.users)
		if err != nil {
			return nil, false, usageError("%v", err)
		}
		lo, hi = float64(l), float64(h)
		if o.step != "" {
			n, err := strconv.Atoi(o.step)
			if err != nil || n < 1 {
				return nil, false, usageError("--step %q: with --users, give a whole number of users, such as 10", o.step)
			}
			step = float64(n)
		}
	default:
		l, h, err := sweep.ParseRates(o.rates)
		if err != nil {
			return nil, false, usageError("%v", err)
		}
		lo, hi = l.PerSecond, h.PerSecond
		if o.step != "" {
			r, err := plan.ParseRate(o.step)
			if err != nil || !(r.PerSecond > 0) {
				return nil, false, usageError("--step %q: with --rates, give a rate such as 5/s", o.step)
			}
			step = r.PerSecond
		}
	}
	lv, err := sweep.Ladder(lo, hi, o.steps, step, closed)
	if err != nil {
		return nil, false, usageError("%v", err)
	}
	return lv, closed, nil
}

// attainment is --min-attainment as a share; 0 when not given (the plan's, else 95%).
func (o *sweepOptions) attainment() (float64, error) {
	if o.minAttainment == "" {
		return 0, nil
	}
	r, err := plan.ParseRatio(o.minAttainment)
	if err != nil || !r.IsPositive() || r.GreaterThan(decimal.NewFromInt(1)) {
		return 0, usageError("--min-attainment %q: give a share above 0 and at most 100%%, such as 95%% or 0.99", o.minAttainment)
	}
	return r.InexactFloat64(), nil
}

func (o *sweepOptions) checkNumbers() error {
	switch {
	case o.stepDuration <= 0:
		return usageError("--step-duration %s: give a duration of more than 0s, such as 1m", o.stepDuration)
	case o.refine < 0:
		return usageError("--refine %d: give 0 or more bisection steps", o.refine)
	case o.stopTimeout <= 0:
		return usageError("--stop-timeout %s: give a positive duration", o.stopTimeout)
	}
	if err := plan.CheckDuration(o.stepDuration); err != nil {
		return usageError("--step-duration: %v", err)
	}
	return nil
}

func (o *sweepOptions) catalog(streams *IO, p *plan.Plan) (*pricing.Catalog, error) {
	cat, stale, err := o.prices.forPlan(p, time.Now())
	if err != nil {
		return nil, err
	}
	for _, w := range stale {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: %s\n", w)
	}
	if err := checkModels(p, cat); err != nil {
		return nil, err
	}
	return cat, nil
}

// runSweep is loadplan sweep: checks (2), the gate (3), the steps on one ledger, the outputs
// and the exit code.
func runSweep(parent context.Context, streams *IO, o *sweepOptions) error {
	if parent == nil {
		parent = context.Background()
	}
	s, err := prepareSweep(streams, o)
	if err != nil {
		return err
	}
	if err := probeStdout(streams); err != nil {
		return withCode(exitFailed, fmt.Errorf("stdout: %w; nothing was sent", err))
	}
	ctx, sigs, cleanup := signalContext(parent, streams)
	defer cleanup()
	sweepCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	target := s.target
	if u, ok := mockURL(target); ok {
		stop, base, err := startMock(ctx, u, o.profile, s.p, s.seed, s.cfg.Catalog)
		if err != nil {
			return err
		}
		defer stop()
		target = base
	}
	abort := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(streams.ErrOut, "loadplan: stopping the sweep: the step under way stops (Ctrl-C again to abort its requests in flight)")
		interrupt()
		select {
		case <-sigs:
			close(abort)
		case <-done:
		}
	}()
	s.cfg.Ledger = meter.New(s.rp.Budget)
	s.cfg.RunStep = s.stepRunner(streams, o, target, abort)
	if !o.quiet {
		fmt.Fprintf(streams.Out, "Sweep: %d steps of %s%s; %s\n", len(s.cfg.Levels), plan.FormatDuration(o.stepDuration),
			refineNote(o.refine), report.BudgetLine(s.est))
		s.cfg.OnStep = func(st sweep.Step) { fmt.Fprintln(streams.Out, report.SweepStepLine(st)) }
	}
	res, err := sweep.Run(sweepCtx, s.cfg)
	if err != nil {
		return withCode(exitFailed, err)
	}
	return finishSweep(streams, o, res)
}

func refineNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (and up to %d refine steps)", n)
}

// stepRunner runs each step on the executor, metered by the sweep's ledger. On a terminal
// each step shows run's live table while it runs (in logs, a line per step is enough).
func (s *sweepSetup) stepRunner(streams *IO, o *sweepOptions, target string, abort <-chan struct{}) func(context.Context, sweep.StepRun) (*summary.Run, error) {
	return func(ctx context.Context, st sweep.StepRun) (*summary.Run, error) {
		est, err := json.Marshal(st.Estimate)
		if err != nil {
			return nil, err
		}
		cfg := executor.Config{Plan: s.p, Scenario: st.Scenario, Target: target, Catalog: s.cfg.Catalog,
			Ledger: s.cfg.Ledger, Capped: s.rp.Budget != nil, Bounds: s.rp.Bounds, Seed: s.seed + uint64(st.Index-1),
			StopTimeout: o.stopTimeout, Abort: abort, Estimate: est, ExpectedCost: st.Estimate.Cost.Expected}
		if !o.quiet && stdoutIsTerminal(streams) {
			live := report.NewLiveTerminal(streams.Out, streams.ErrOut, true, false,
				fmt.Sprintf("loadplan sweep %s / %s: step %d, %s", s.p.Name, st.Scenario.Name, st.Index,
					sweep.LevelText(st.Level, s.cfg.Closed)))
			cfg.OnProgress, cfg.OnWarning = live.Update, live.Warn
			defer live.Finish()
		}
		return executor.Run(ctx, cfg)
	}
}

// finishSweep writes the outputs and the table, and returns the exit code's error.
func finishSweep(streams *IO, o *sweepOptions, res *sweep.Result) error {
	var outErr error
	if o.htmlFile != "" {
		if err := writeFile(o.htmlFile, func(w io.Writer) error { return report.WriteSweepHTML(w, res) }); err != nil {
			outErr = fmt.Errorf("--html: %w", err)
		}
	}
	if outErr != nil && res.ExitCode != exitInterrupted {
		res.ExitCode = exitFailed
	}
	if o.jsonFile != "" {
		if err := writeFile(o.jsonFile, func(w io.Writer) error { return report.WriteJSON(w, res) }); err != nil {
			outErr = errors.Join(outErr, fmt.Errorf("--json: %w", err))
			if res.ExitCode != exitInterrupted {
				res.ExitCode = exitFailed
			}
		}
	}
	if o.quiet {
		fmt.Fprintf(streams.Out, "%s; total %s, %s, exit %d\n", report.SweepKneeLine(res), pricing.FormatUSD(res.Totals.Cost), res.StopReason, res.ExitCode)
	} else {
		_ = report.SweepTable(streams.Out, res)
	}
	switch {
	case outErr != nil:
		return withCode(res.ExitCode, outErr)
	case res.StopReason == sweep.StopError:
		return withCode(res.ExitCode, errors.New(strings.TrimSpace(res.StopDetail)))
	case res.ExitCode != exitOK:
		return withCode(res.ExitCode, nil)
	}
	return nil
}
