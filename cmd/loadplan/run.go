package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
	"github.com/spf13/cobra"
)

func init() {
	extraCommands = append(extraCommands, newRunCmd)
}

// runOptions are the flags of loadplan run.
type runOptions struct {
	load            loadFlags
	plan            string
	scenario        string
	host            string
	allowOverBudget bool
	noBudget        bool
	seed            uint64
	seedSet         bool
	stopTimeout     time.Duration
	jsonFile        string
	csvPrefix       string
	htmlFile        string
	historyFile     string
	quiet           bool
	profile         string
	tls             executor.TLSOptions
	ledger          ledgerFlags
	exitCodeOnError int
	headless        bool // accepted, as Locust's --headless: loadplan is always headless
	csvFullHistory  bool
}

func newRunCmd(streams *IO) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run PLAN [--scenario S]",
		Short: "Run a scenario with a live cost meter that stops at the budget",
		Long: `Run one scenario of a plan: estimate it first and refuse to start when the estimate is over
the budget (exit 3, unless --allow-over-budget), then send the load with a live cost meter that
reserves every request's worst case before sending it and stops the run at the budget.

A mock:// target (or --host mock://) runs the embedded mock service in-process.

Ctrl-C stops gracefully: no new requests, those in flight get --stop-timeout; a second Ctrl-C
aborts them. The summary is written either way.

Exit codes: 0 thresholds passed, 1 thresholds failed (or threshold_abort), 2 bad plan or flags
(or a capped run with no worst case, or no budget without --no-budget), 3 refused by the budget
gate, 4 stopped by the budget (budget_exhausted, overrun), 5 could not run (target unreachable,
output not writable, --ledger unreachable: ledger_unreachable), 130 interrupted.`,
		Example: `  loadplan run examples/ai-service.yaml --scenario smoke --json out.json
  loadplan run examples/ai-service.yaml --scenario normal --budget 0.50 --allow-over-budget
  loadplan run plan.yaml --scenario peak --host https://staging.internal --users 100 --run-time 2m
  loadplan run plan.yaml --scenario smoke --no-budget --quiet`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.plan = args[0]
			o.seedSet = cmd.Flags().Changed("seed")
			return runRun(cmd.Context(), streams, o)
		},
	}
	fs := cmd.Flags()
	o.load.register(fs)
	fs.StringVarP(&o.scenario, "scenario", "s", "", "the scenario to run (may be left out when the plan has one)")
	fs.StringVar(&o.host, "host", "", "base URL of the target, overriding the plan's (checked against allowed_hosts; mock:// allowed)")
	fs.BoolVar(&o.allowOverBudget, "allow-over-budget", false, "start even when the estimate is over the budget (the live cap still holds)")
	fs.BoolVar(&o.noBudget, "no-budget", false, "run without a budget: no cap, the meter still accounts")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed for task choice and data rows (default: the plan's seed, else random)")
	o.stopTimeout = executor.DefaultStopTimeout
	fs.Var(secondsDuration{&o.stopTimeout}, "stop-timeout", "how long requests in flight may finish after the run stops (a bare number is seconds) (default 30s)")
	fs.StringVar(&o.jsonFile, "json", "", "write the summary (loadplan.run/v1) to FILE")
	fs.StringVar(&o.csvPrefix, "csv", "", "write Locust-compatible CSV files PREFIX_stats.csv, ... and PREFIX_cost.csv")
	fs.StringVar(&o.htmlFile, "html", "", "write an HTML report to FILE")
	fs.StringVar(&o.historyFile, "history", "", "append one loadplan.history/v1 line to FILE")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no live view and no tables: one line at the end")
	fs.StringVar(&o.profile, "profile", "default", "mock profile for a mock:// target without ?profile=")
	fs.StringVar(&o.tls.CAFile, "ca-file", "", "PEM file of CA certificates to trust (besides the system's)")
	fs.StringVar(&o.tls.CertFile, "cert", "", "client certificate (PEM) for mutual TLS")
	fs.StringVar(&o.tls.KeyFile, "key", "", "client certificate key (PEM)")
	fs.BoolVar(&o.tls.Insecure, "insecure", false, "do not verify the target's TLS certificate")
	o.ledger.register(fs)
	fs.IntVar(&o.exitCodeOnError, "exit-code-on-error", summary.ExitThresholds,
		"exit code when requests failed and no failure_rate threshold is set (the implicit failure_rate: 0), as Locust's")
	fs.BoolVar(&o.headless, "headless", false, "accepted for Locust's command lines: loadplan always runs headless")
	fs.BoolVar(&o.csvFullHistory, "csv-full-history", false, "with --csv: a row per request name each second in PREFIX_stats_history.csv, with current (10 s) percentiles, as Locust's")
	addPlanFile(cmd)
	registerScenarioCompletion(cmd)
	registerProfileCompletion(cmd)
	return cmd
}

// runRun is loadplan run: checks (exit 2), the gate (exit 3), the run, its reports and the
// exit code of its outcome.
func runRun(parent context.Context, streams *IO, o *runOptions) error {
	if parent == nil {
		parent = context.Background()
	}
	p, err := loadPlan(streams, o.plan)
	if err != nil {
		return err
	}
	scs, err := pickScenarios(p, o.scenario, false, false)
	if err != nil {
		return err
	}
	ov, err := o.load.overrides()
	if err != nil {
		return err
	}
	sc, err := ov.Apply(scs[0])
	if err != nil {
		return usageError("%v", err)
	}
	if o.csvFullHistory && o.csvPrefix == "" {
		return usageError("--csv-full-history needs --csv PREFIX (as in Locust)")
	}
	if o.stopTimeout <= 0 {
		return usageError("--stop-timeout %s: give a positive duration (1ms aborts the requests in flight at once)", o.stopTimeout)
	}
	cat, stale, err := o.load.prices.forPlan(p, time.Now())
	if err != nil {
		return err
	}
	if err := checkModels(p, cat); err != nil {
		return err
	}
	flagBudget, err := o.load.budgetOverride()
	if err != nil {
		return err
	}
	budget := sc.Budget
	switch {
	case o.noBudget && flagBudget != nil:
		return usageError("give --budget or --no-budget, not both")
	case o.noBudget && o.allowOverBudget:
		return usageError("--allow-over-budget is for a run with a budget; --no-budget has none")
	case o.noBudget:
		budget = nil
		sc.Budget = nil // uncapped: no budget to gate on or to show
	case flagBudget != nil:
		budget = flagBudget
	case budget == nil && allFree(p):
		// Every request is free: there is nothing to cap (the meter still accounts $0).
	case budget == nil:
		return usageError("scenario %s has no budget: give --budget X, add budget: to the plan or the scenario, or run uncapped with --no-budget", sc.Name)
	}

	est, err := planner.EstimateScenario(p, sc, cat, planner.Options{Gate: planner.GateExpected, Budget: budget})
	if err != nil {
		return withCode(exitUsage, err)
	}
	est.Warnings = append(est.Warnings, stale...)
	for _, w := range stale {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: %s\n", w)
	}
	bounds, err := stepBounds(p, cat, budget != nil)
	if err != nil {
		return err
	}
	if est.WithinBudget != nil && !*est.WithinBudget && !o.allowOverBudget {
		return withCode(exitGate, gateMessage([]*planner.Scenario{est}))
	}
	target := p.Target
	if o.host != "" {
		target = o.host
	}
	if err := executor.CheckHost(p, target); err != nil {
		return usageError("--host: %v", err)
	}
	seed := o.seed
	if !o.seedSet {
		if p.Seed != nil {
			seed = *p.Seed
		} else {
			seed = uint64(time.Now().UnixNano())
		}
	}
	if err := checkOutputs(o); err != nil {
		return err
	}
	estJSON, err := json.Marshal(est)
	if err != nil {
		return withCode(exitFailed, err)
	}

	ctx, sigs, cleanup := signalContext(parent, streams)
	defer cleanup()
	runCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	if u, ok := mockURL(target); ok {
		// The mock lives until the run has ended: an interrupt stops the run, not the target
		// its requests in flight are waiting on.
		stop, base, err := startMock(ctx, u, o.profile, p, seed, cat)
		if err != nil {
			return withCode(exitFailed, err)
		}
		defer stop()
		target = base
	}
	live := newLiveView(streams, o.quiet, sc, p.Name)
	abort := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-runCtx.Done():
			return
		}
		live.notice("stopping: no new requests; those in flight may finish (Ctrl-C again to abort them)")
		interrupt()
		select {
		case <-sigs:
			close(abort)
		case <-ctx.Done():
		}
	}()

	onProgress := live.update
	if o.csvPrefix != "" {
		// The stats history is written as the run goes, a flush a second, so that a run that
		// dies still leaves it.
		hist, err := report.NewStatsHistory(o.csvPrefix, o.csvFullHistory)
		if err != nil {
			return withCode(exitFailed, fmt.Errorf("--csv: %w", err))
		}
		defer hist.Close()
		var histErr error
		onProgress = func(pr summary.Progress) {
			live.update(pr)
			if histErr == nil {
				if histErr = hist.Add(time.Now(), pr); histErr != nil {
					live.notice(fmt.Sprintf("--csv: %v; the stats history stops here", histErr))
				}
			}
		}
	}
	if o.quiet && o.csvPrefix == "" {
		// Nobody reads the progress: the executor then skips its per-second percentiles.
		onProgress = nil
	}
	if os.Getenv("GOGC") == "" {
		concurrency := sc.MaxUsers()
		if sc.Open() {
			concurrency = sc.MaxInFlight
		}
		debug.SetGCPercent(gcPercent(concurrency))
	}
	ledger, leave, err := openLedger(parent, streams, o.ledger, budget, o.quiet)
	if err != nil {
		return err
	}
	defer leave()
	cfg := executor.Config{Plan: p, Scenario: sc, Target: target, Catalog: cat, Ledger: ledger,
		Bounds: bounds, Seed: seed, StopTimeout: o.stopTimeout, Abort: abort, OnProgress: onProgress,
		TLS: o.tls, Estimate: estJSON, ExpectedCost: est.Cost.Expected}
	if !o.quiet {
		fmt.Fprintf(streams.Out, "%s\n", report.BudgetLine(est))
	}
	sum, err := executor.Run(runCtx, cfg)
	leave()
	var cfgErr *executor.ConfigError
	if errors.As(err, &cfgErr) {
		// The plan cannot be compiled into a run: a bad plan, before any request.
		return withCode(exitUsage, fmt.Errorf("cannot run: %w", err))
	} else if err != nil {
		return withCode(exitFailed, fmt.Errorf("cannot run: %w", err))
	}
	live.finish()
	if err := estimateElapsed(sum, p, sc, cat); err != nil {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: the estimate for the part that ran: %v\n", err)
	}
	// With no failure_rate threshold at any scope, any failed request fails the run (as
	// Locust's --exit-code-on-error).
	sum.AddImplicitThresholds()
	sum.ExitCode = sum.Exit(o.exitCodeOnError)
	var outErr error
	if o.jsonFile != "" {
		if err := writeFile(o.jsonFile, func(w io.Writer) error { return report.WriteJSON(w, sum) }); err != nil {
			outErr = fmt.Errorf("--json: %w", err)
		}
	}
	if outErr == nil {
		outErr = writeExtraReports(o, sum)
		if outErr != nil && o.jsonFile != "" && sum.ExitCode != exitInterrupted {
			// The summary written says the run's exit code: rewrite it with the final one.
			sum.ExitCode = exitFailed
			if err := writeFile(o.jsonFile, func(w io.Writer) error { return report.WriteJSON(w, sum) }); err != nil {
				outErr = errors.Join(outErr, fmt.Errorf("--json: %w", err))
			}
		}
	}
	if outErr != nil && sum.ExitCode != exitInterrupted {
		sum.ExitCode = exitFailed
	}
	if o.quiet {
		fmt.Fprintln(streams.Out, report.RunLine(sum))
	} else {
		_ = report.RunSummary(streams.Out, sum)
	}
	switch {
	case outErr != nil:
		return withCode(sum.ExitCode, outErr)
	case sum.StopReason == summary.StopError, sum.StopReason == summary.StopLedgerUnreachable:
		return withCode(sum.ExitCode, errors.New(sum.StopDetail))
	case sum.ExitCode != exitOK:
		return withCode(sum.ExitCode, nil)
	}
	return nil
}

// estimateElapsed gives a run stopped before its end (budget, interrupt, abort) the
// planner's estimate of the part of the schedule that ran, which its cost is judged against.
func estimateElapsed(sum *summary.Run, p *plan.Plan, sc *plan.Scenario, cat *pricing.Catalog) error {
	elapsed := time.Duration(sum.DurationS * float64(time.Second))
	if !sum.Partial || sum.Unreachable() || elapsed >= sc.TotalDuration() {
		return nil
	}
	est, err := planner.EstimateScenario(p, planner.CutAt(sc, elapsed), cat, planner.Options{Gate: planner.GateExpected})
	if err != nil {
		return err
	}
	sum.SetEstimateElapsed(&summary.ElapsedEstimate{ElapsedS: elapsed.Seconds(),
		Requests: summary.ElapsedRequests{Low: est.Requests.Low, Expected: est.Requests.Expected, Worst: est.Requests.Worst},
		Cost:     summary.ElapsedCost{Low: est.Cost.Low, Expected: est.Cost.Expected, Worst: est.Cost.Worst}})
	return nil
}

// gcPercent is the garbage collector's target (GOGC) for a run of n users (or requests in
// flight), which loadplan run sets unless GOGC is in the environment. A load generator's live
// heap is small and it allocates with every request: with Go's default of 100, 50 users
// collect some 30 times a second (a 4 MB heap), about a tenth of the run's CPU; up to 256
// users the target is 400 (a heap of 10-20 MB instead of 4-8). With many users it is the
// other way round: the live heap is their connections, and the collector's headroom above
// it (as much again at 100) is a large part of the memory; past executor.ManyConnections
// users it is 50.
func gcPercent(n int) int {
	switch {
	case n <= 256:
		return 400
	case n > executor.ManyConnections:
		return 50
	}
	return 100
}

// stepBounds computes every step's worst case with the planner. A capped run refuses a
// priced step without one, naming it and the field to add.
func stepBounds(p *plan.Plan, cat *pricing.Catalog, capped bool) (map[*plan.Step]executor.Bound, error) {
	bounds := map[*plan.Step]executor.Bound{}
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, t := range p.Tasks {
		steps = append(steps, t.Steps...)
	}
	for _, st := range steps {
		_, _, worst, err := planner.StepCost(st, cat)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		b := executor.Bound{Cost: worst}
		if u, ok := planner.WorstUsage(st); ok && st.Cost.Kind == plan.CostUsage {
			b.Usage = &u
		}
		if worst == nil && capped {
			return nil, usageError("%s has no worst case, so a capped run cannot bound its cost: add max_tokens to its request body or expect.max_output_tokens (or run uncapped with --no-budget)", st.Name)
		}
		bounds[st] = b
	}
	return bounds, nil
}

func mockURL(target string) (*url.URL, bool) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "mock" {
		return nil, false
	}
	return u, true
}

// startMock starts the embedded mock for a mock:// target, with the plan's model and the
// run's seed, for the length of the run.
func startMock(ctx context.Context, u *url.URL, profile string, p *plan.Plan, seed uint64, cat *pricing.Catalog) (func(), string, error) {
	if name := u.Query().Get("profile"); name != "" {
		profile = name
	}
	cfg, err := mock.Profile(profile)
	if err != nil {
		return nil, "", usageError("mock profile: %v", err)
	}
	cfg.Seed, cfg.Model, cfg.Prices = seed, p.Model, cat
	base, stop, err := mock.Start(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("start the mock: %w", err)
	}
	return stop, base, nil
}

// writeExtraReports writes the --csv, --html and --history outputs of a finished run.
func writeExtraReports(o *runOptions, s *summary.Run) error {
	var errs []error
	if o.csvPrefix != "" {
		if err := report.WriteCSV(o.csvPrefix, s); err != nil {
			errs = append(errs, fmt.Errorf("--csv: %w", err))
		}
	}
	if o.htmlFile != "" {
		if err := writeFile(o.htmlFile, func(w io.Writer) error { return report.WriteHTML(w, s) }); err != nil {
			errs = append(errs, fmt.Errorf("--html: %w", err))
		}
	}
	if o.historyFile != "" {
		if err := report.AppendHistory(o.historyFile, s); err != nil {
			errs = append(errs, fmt.Errorf("--history: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkOutputs refuses, before anything is sent, a run whose reports could not be written
// (exit 5): every output file is opened for writing, created if need be, and closed, without
// truncating what is there (a history file is opened for append).
func checkOutputs(o *runOptions) error {
	files := []struct {
		flag, path string
		mode       int
	}{
		{"--json", o.jsonFile, os.O_WRONLY | os.O_CREATE},
		{"--html", o.htmlFile, os.O_WRONLY | os.O_CREATE},
		{"--history", o.historyFile, os.O_WRONLY | os.O_CREATE | os.O_APPEND},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		fh, err := os.OpenFile(f.path, f.mode, 0o644)
		if err != nil {
			return withCode(exitFailed, fmt.Errorf("%s: %w", f.flag, err))
		}
		fh.Close()
	}
	return nil
}
