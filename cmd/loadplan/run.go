package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/promexport"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

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
	journalInterval time.Duration
	quiet           bool
	profile         string
	tls             executor.TLSOptions
	ledger          ledgerFlags
	monitors        []string // --monitor URL, repeatable
	metricsAddr     string   // --metrics-addr ADDR
	web             webFlags
	fleet           fleetFlags
	exitCodeOnError int
	headless        bool // accepted, as Locust's --headless: loadplan is always headless
	csvFullHistory  bool
	calibration     string // --calibration FILE (calibrate.go)

	// Parsed from the flags by complete.
	overrides plan.Overrides
	budget    *decimal.Decimal // --budget; nil: not given
}

// newCmdRun builds loadplan run: it parses the flags into runOptions and calls runF with them
// (tests), else runRun.
func newCmdRun(streams *IO, runF func(*runOptions) error) *cobra.Command {
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
			if err := o.complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runRun(cmd.Context(), streams, o)
		},
	}
	o.register(cmd.Flags())
	addPlanFile(cmd)
	registerScenarioCompletion(cmd)
	registerProfileCompletion(cmd)
	return cmd
}

func (o *runOptions) register(fs *pflag.FlagSet) {
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
	fs.DurationVar(&o.journalInterval, "journal-interval", DefaultJournalInterval, "rewrite the journal (OUT.partial.json beside the first report file; loadplan report recover) this often; 0: none")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no live view and no tables: one line at the end")
	fs.StringVar(&o.profile, "profile", "default", "mock profile for a mock:// target without ?profile=")
	fs.StringVar(&o.tls.CAFile, "ca-file", "", "PEM file of CA certificates to trust (besides the system's)")
	fs.StringVar(&o.tls.CertFile, "cert", "", "client certificate (PEM) for mutual TLS")
	fs.StringVar(&o.tls.KeyFile, "key", "", "client certificate key (PEM)")
	fs.BoolVar(&o.tls.Insecure, "insecure", false, "do not verify the target's TLS certificate")
	o.ledger.register(fs)
	fs.StringArrayVar(&o.monitors, "monitor", nil, "scrape the Prometheus endpoint URL (a path on the target, or a URL) during the run: process CPU and resident memory every 5s (repeatable)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve the run's live metrics in the Prometheus format on ADDR (e.g. 127.0.0.1:9464), at /metrics")
	o.web.register(fs)
	o.fleet.register(fs)
	fs.IntVar(&o.exitCodeOnError, "exit-code-on-error", summary.ExitThresholds,
		"exit code when requests failed and no failure_rate threshold is set (the implicit failure_rate: 0), as Locust's")
	fs.BoolVar(&o.headless, "headless", false, "accepted for Locust's command lines: loadplan always runs headless")
	fs.StringVar(&o.calibration, "calibration", "", "override the plan's expect values with a calibration file (loadplan calibrate)")
	fs.BoolVar(&o.csvFullHistory, "csv-full-history", false, "with --csv: a row per request name each second in PREFIX_stats_history.csv, with current (10 s) percentiles, as Locust's")
}

// complete parses and checks the flags' values, without reading anything: a bad value or
// combination is a usage error (exit 2).
func (o *runOptions) complete() error {
	ov, err := o.load.overrides()
	if err != nil {
		return err
	}
	o.overrides = ov
	if err := o.load.prices.check(); err != nil {
		return err
	}
	if err := o.fleet.check(o.ledger); err != nil {
		return err
	}
	if o.csvFullHistory && o.csvPrefix == "" {
		return usageError("--csv-full-history needs --csv PREFIX (as in Locust)")
	}
	if o.stopTimeout <= 0 {
		return usageError("--stop-timeout %s: give a positive duration (1ms aborts the requests in flight at once)", o.stopTimeout)
	}
	if err := plan.CheckDuration(o.stopTimeout); err != nil {
		return usageError("--stop-timeout: %v", err)
	}
	if o.budget, err = o.load.budgetOverride(); err != nil {
		return err
	}
	if o.noBudget && o.allowOverBudget {
		return usageError("--allow-over-budget is for a run with a budget; --no-budget has none")
	}
	return nil
}

// runRun is loadplan run: the plan resolved and checked (exit 2), the gate (exit 3), the
// outputs started, the run, its reports and the exit code of its outcome.
func runRun(parent context.Context, streams *IO, o *runOptions) error {
	if parent == nil {
		parent = context.Background()
	}
	r, err := resolveRun(streams, o)
	if err != nil {
		return err
	}
	if err := gateRun(streams, o, r); err != nil {
		return err
	}
	if err := r.resolveTarget(o); err != nil {
		return err
	}
	if err := checkOutputs(o); err != nil {
		return err
	}
	if err := probeStdout(streams); err != nil {
		return withCode(exitFailed, fmt.Errorf("stdout: %w; nothing was sent", err))
	}
	if r.estJSON, err = json.Marshal(r.est); err != nil {
		return withCode(exitFailed, err)
	}
	var cl cleanups
	defer cl.run()
	s, err := startRun(parent, streams, o, r, &cl)
	if err != nil {
		return err
	}
	sum, err := s.execute(streams, o, r)
	if err != nil {
		return err
	}
	outErr := writeRunReports(streams, o, sum)
	s.journal.finish() // the reports are written: the journal has served
	s.web.finish(streams, o.web, sum, s.sigs)
	return runOutcome(sum, outErr)
}

// resolvedRun is a run as resolved before anything is sent: the plan, its scenario with the
// flags applied, the catalog, the planner's estimate, budget and bounds, the target and seed.
type resolvedRun struct {
	p          *plan.Plan
	sc         *plan.Scenario
	cat        *pricing.Catalog
	stale      []string // the catalog's staleness warnings
	rp         *planner.RunPlan
	est        *planner.Scenario
	estJSON    json.RawMessage
	origTarget string // as the plan or --host gives it (mock:// unresolved)
	target     string // where the requests go (the embedded mock's address for mock://)
	seed       uint64
}

// resolveRun loads the plan, picks the scenario and applies the load flags and --monitor to
// it, and prices it (the catalog, every model priced): all of it exit 2 when wrong.
func resolveRun(streams *IO, o *runOptions) (*resolvedRun, error) {
	p, err := loadPlan(streams, o.plan)
	if err != nil {
		return nil, err
	}
	if _, _, err := applyCalibration(streams, p, o.calibration); err != nil {
		return nil, err
	}
	scs, err := pickScenarios(p, o.scenario, false, false)
	if err != nil {
		return nil, err
	}
	sc, err := o.overrides.Apply(scs[0])
	if err != nil {
		return nil, usageError("%v", err)
	}
	if err := addMonitors(p, sc, o.monitors); err != nil {
		return nil, err
	}
	cat, stale, err := o.load.prices.forPlan(p, time.Now())
	if err != nil {
		return nil, err
	}
	if err := checkModels(p, cat); err != nil {
		return nil, err
	}
	return &resolvedRun{p: p, sc: sc, cat: cat, stale: stale}, nil
}

// gateRun has the planner plan the run (its budget, estimate and bounds: exit 2 when it
// cannot) and refuses an estimate over the budget (exit 3) unless --allow-over-budget.
func gateRun(streams *IO, o *runOptions, r *resolvedRun) error {
	rp, err := planner.PlanRun(r.p, r.sc, r.cat, planner.Options{Budget: o.budget, NoBudget: o.noBudget})
	if err != nil {
		return withCode(exitUsage, err)
	}
	r.rp, r.est = rp, rp.Estimate
	r.est.Warnings = append(r.est.Warnings, r.stale...)
	for _, w := range r.stale {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: %s\n", w)
	}
	if r.est.WithinBudget != nil && !*r.est.WithinBudget && !o.allowOverBudget {
		return withCode(exitGate, gateMessage([]*planner.Scenario{r.est}))
	}
	return nil
}

// resolveTarget checks the target (the plan's or --host) against allowed_hosts and picks the
// seed: --seed, else the plan's, else the clock's.
func (r *resolvedRun) resolveTarget(o *runOptions) error {
	r.origTarget = r.p.Target
	if o.host != "" {
		r.origTarget = o.host
	}
	if err := executor.CheckHost(r.p, r.origTarget); err != nil {
		return usageError("--host: %v", err)
	}
	r.target = r.origTarget
	r.seed = runSeed(o.seed, o.seedSet, r.p)
	return nil
}

// runSeed is the seed of a run: --seed when given, else the plan's, else the clock's.
func runSeed(flag uint64, given bool, p *plan.Plan) uint64 {
	switch {
	case given:
		return flag
	case p.Seed != nil:
		return *p.Seed
	}
	return uint64(time.Now().UnixNano())
}

// cleanups are what a started run must stop, in the reverse order of their starting.
type cleanups []func()

func (c *cleanups) add(f func()) { *c = append(*c, f) }

func (c cleanups) run() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// startedRun is a run whose outputs are started: the live view, the live page, the progress
// chain, the interrupt watch and the ledger.
type startedRun struct {
	runCtx     context.Context
	sigs       <-chan os.Signal
	live       *report.LiveTerminal
	web        *webPage
	abort      chan struct{}
	ran        chan struct{} // closed when the run is over: later interrupts are the linger's
	onProgress func(summary.Progress)
	exporter   *promexport.Exporter
	ledger     meter.Ledger
	leave      func()
	journal    *journal // OUT.partial.json, for loadplan report recover after a kill
}

// startRun starts what the run needs beside the executor: the signals, the embedded mock,
// the live view and page, the interrupt watch, the progress outputs and the ledger. cl
// stops them.
func startRun(parent context.Context, streams *IO, o *runOptions, r *resolvedRun, cl *cleanups) (*startedRun, error) {
	ctx, sigs, stopSignals := signalContext(parent, streams)
	cl.add(stopSignals)
	runCtx, interrupt := context.WithCancel(ctx)
	cl.add(interrupt)
	if u, ok := mockURL(r.target); ok {
		// The mock lives until the run has ended: an interrupt stops the run, not the target
		// its requests in flight are waiting on.
		stop, base, err := startMock(ctx, u, o.profile, r.p, r.seed, r.cat)
		if err != nil {
			return nil, err
		}
		cl.add(stop)
		r.target = base
	}
	s := &startedRun{runCtx: runCtx, sigs: sigs, live: newLiveView(streams, o.quiet, r.sc, r.p.Name),
		abort: make(chan struct{}), ran: make(chan struct{})}
	web, err := startWeb(streams, o.web, r.p, r.sc, r.target, r.estJSON)
	if err != nil {
		return nil, err
	}
	cl.add(web.close)
	s.web = web
	go s.watchInterrupts(ctx, interrupt)
	if err := s.startProgress(streams, o, r, cl); err != nil {
		return nil, err
	}
	setGC(r.sc)
	if o.fleet.active() {
		stopServer, err := o.fleet.prepareLedger(streams, &o.ledger)
		if err != nil {
			return nil, err
		}
		cl.add(stopServer)
	}
	s.ledger, s.leave, err = openLedger(parent, streams, o.ledger, r.rp.Budget, o.quiet)
	if err != nil {
		return nil, err
	}
	cl.add(s.leave)
	return s, nil
}

// watchInterrupts stops the run at the first interrupt (or a stop from the live page): no
// new requests, those in flight may finish; a second interrupt aborts them.
func (s *startedRun) watchInterrupts(ctx context.Context, interrupt func()) {
	select {
	case <-s.sigs:
	case who := <-s.web.stopRequests():
		s.web.ctrl.Note(summary.EventStop, "stop asked for by "+who)
	case <-s.runCtx.Done():
		return
	case <-s.ran:
		return
	}
	s.live.Notice("stopping: no new requests; those in flight may finish (Ctrl-C again to abort them)")
	interrupt()
	select {
	case <-s.sigs:
		close(s.abort)
	case <-ctx.Done():
	case <-s.ran:
	}
}

// startProgress chains the run's progress outputs: the live view, --metrics-addr's
// exporter, --csv's stats history (written as the run goes) and the live page.
func (s *startedRun) startProgress(streams *IO, o *runOptions, r *resolvedRun, cl *cleanups) error {
	live := s.live
	s.onProgress = live.Update
	if o.metricsAddr != "" {
		s.exporter = promexport.New(r.p.Name, r.sc.Name)
		srv, err := promexport.Listen(o.metricsAddr, s.exporter.Handler())
		if err != nil {
			return withCode(exitFailed, fmt.Errorf("--metrics-addr: %w", err))
		}
		cl.add(func() { srv.Close() })
		if !o.quiet {
			fmt.Fprintf(streams.Out, "Metrics: http://%s/metrics\n", srv.Addr)
		}
		exporter := s.exporter
		s.onProgress = func(pr summary.Progress) {
			exporter.Update(pr)
			live.Update(pr)
		}
	}
	if o.csvPrefix != "" {
		// The stats history is written as the run goes, a flush a second, so that a run that
		// dies still leaves it.
		hist, err := report.NewStatsHistory(o.csvPrefix, o.csvFullHistory)
		if err != nil {
			return withCode(exitFailed, fmt.Errorf("--csv: %w", err))
		}
		cl.add(func() { hist.Close() })
		var histErr error
		show := s.onProgress
		s.onProgress = func(pr summary.Progress) {
			show(pr)
			if histErr == nil {
				if histErr = hist.Add(time.Now(), pr); histErr != nil {
					live.Notice(fmt.Sprintf("--csv: %v; the stats history stops here", histErr))
				}
			}
		}
	}
	if o.quiet && o.csvPrefix == "" && s.exporter == nil {
		// Nobody reads the progress: the executor then skips its per-second percentiles.
		s.onProgress = nil
	}
	if s.web != nil {
		s.onProgress = s.web.progress(s.onProgress)
	}
	s.journal = startJournal(o, journalBase(r.p.Name, r.sc.Name, streams.secrets.String(plan.RedactURL(r.origTarget)), r.seed, r.estJSON), s.live.Warn)
	cl.add(s.journal.finish)
	s.onProgress = s.journal.progress(s.onProgress)
	return nil
}

// setGC sets the garbage collector's target and soft memory limit for the run's
// concurrency, unless GOGC (or GOMEMLIMIT) is in the environment.
func setGC(sc *plan.Scenario) {
	if os.Getenv("GOGC") != "" {
		return
	}
	concurrency := sc.MaxUsers()
	if sc.Open() {
		concurrency = sc.MaxInFlight
	}
	debug.SetGCPercent(gcPercent(concurrency))
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit(concurrency))
	}
}

// execute runs the scenario (here or over the workers) and gives its summary with the exit
// code of its outcome; a run that could not start is an error (exit 2 or 5).
func (s *startedRun) execute(streams *IO, o *runOptions, r *resolvedRun) (*summary.Run, error) {
	cfg := executor.Config{Plan: r.p, Scenario: r.sc, Target: r.target, Catalog: r.cat, Ledger: s.ledger, Capped: r.rp.Budget != nil,
		Bounds: r.rp.Bounds, Seed: r.seed, StopTimeout: o.stopTimeout, Abort: s.abort, OnProgress: s.onProgress,
		OnWarning: s.live.Warn, TLS: o.tls, Estimate: r.estJSON, ExpectedCost: r.est.Cost.Expected}
	if s.exporter != nil {
		cfg.LatencyBuckets = promexport.Buckets
	}
	if s.web != nil {
		cfg.Control = s.web.ctrl
	}
	if !o.quiet {
		fmt.Fprintf(streams.Out, "%s\n", report.BudgetLine(r.est))
	}
	sum, err := runScenario(s.runCtx, streams, coordination{o: o, sc: r.sc, target: r.origTarget, notice: s.live.Notice}, cfg)
	close(s.ran)
	s.leave()
	var cfgErr *executor.ConfigError
	if errors.As(err, &cfgErr) {
		// The plan cannot be compiled into a run: a bad plan, before any request.
		return nil, withCode(exitUsage, fmt.Errorf("cannot run: %w", err))
	} else if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("cannot run: %w", err))
	}
	s.live.Finish()
	if err := estimateElapsed(sum, r.p, r.sc, r.cat); err != nil {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: the estimate for the part that ran: %v\n", err)
	}
	// With no failure_rate threshold at any scope, any failed request fails the run (as
	// Locust's --exit-code-on-error).
	sum.AddImplicitThresholds()
	sum.ExitCode = sum.Exit(o.exitCodeOnError)
	if stdoutErr(streams) != nil && sum.ExitCode != exitInterrupted {
		// The live view could not be written: the run's output is lost (exit 5).
		sum.ExitCode = exitFailed
	}
	return sum, nil
}

// writeRunReports writes the run's files (--json, then --csv, --html, --history) and prints
// its summary; a report or stdout that could not be written makes the exit code 5, which
// the --json file written then says too.
func writeRunReports(streams *IO, o *runOptions, sum *summary.Run) error {
	writeJSON := func() error {
		if o.jsonFile == "" {
			return nil
		}
		if err := writeFile(o.jsonFile, func(w io.Writer) error { return report.WriteJSON(w, sum) }); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
		return nil
	}
	outErr := writeJSON()
	if outErr == nil {
		outErr = writeExtraReports(o, sum)
		if outErr != nil && o.jsonFile != "" && sum.ExitCode != exitInterrupted {
			// The summary written says the run's exit code: rewrite it with the final one.
			sum.ExitCode = exitFailed
			outErr = errors.Join(outErr, writeJSON())
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
	if err := stdoutErr(streams); err != nil && sum.ExitCode != exitInterrupted && sum.ExitCode != exitFailed {
		// The summary could not be printed: exit 5, and the report written says so.
		sum.ExitCode = exitFailed
		outErr = errors.Join(outErr, writeJSON(), fmt.Errorf("write stdout: %w", err))
	}
	return outErr
}

// runOutcome is the command's error for a finished run: its exit code, with the reason when
// there is one to print.
func runOutcome(sum *summary.Run, outErr error) error {
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
		Requests: summary.ElapsedRequests{Low: countFloat(est.Requests.Low), Expected: countFloat(est.Requests.Expected), Worst: countFloat(est.Requests.Worst)},
		Cost:     summary.ElapsedCost{Low: est.Cost.Low, Expected: est.Cost.Expected, Worst: est.Cost.Worst}})
	return nil
}

// countFloat is a modelled request count as the summary writes it (a JSON number); nil: unknown.
func countFloat(c planner.Count) *float64 {
	if c == nil {
		return nil
	}
	f := c.Float64()
	return &f
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

// gcMemoryLimit is the soft memory limit (GOMEMLIMIT) that loadplan run sets with its GC
// target for a run of n users (or requests in flight): 128 MiB and 1 MiB a user. A run's live
// heap is far below it (a few MB for 50 users, about 100 MB for 10,000); what it bounds is the
// garbage that GOGC 400 lets pile up to four times the live heap when a target sends large or
// endless answers (each user may hold up to 4 MiB of an SSE line, 256 KiB of a body): the
// collector then runs as the heap nears the limit, instead of at five times the live heap.
func gcMemoryLimit(n int) int64 {
	return 128<<20 + int64(n)<<20
}

func mockURL(target string) (*url.URL, bool) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "mock" {
		return nil, false
	}
	return u, true
}

// startMock starts the embedded mock for a mock:// target, with the plan's model and the
// run's seed, for the length of the run. A bad profile or mock config is a usage error (exit
// 2, nothing sent); a mock that cannot start, exit 5.
func startMock(ctx context.Context, u *url.URL, profile string, p *plan.Plan, seed uint64, cat *pricing.Catalog) (func(), string, error) {
	q := u.Query()
	if name := q.Get("profile"); name != "" {
		profile = name
	}
	var cfg mock.Config
	var err error
	if file := q.Get("config"); file != "" {
		// mock://?config=FILE: a mock configuration file (loadplan mock --config's), relative
		// to the plan's directory; its profile: key names the profile it starts from.
		if q.Has("profile") {
			return nil, "", usageError("target %s: give ?profile= or ?config=, not both (a config file names its profile)", u.Redacted())
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(p.Dir, file)
		}
		if cfg, err = mock.LoadConfig(file); err != nil {
			return nil, "", usageError("%v", err)
		}
	} else if cfg, err = mock.Profile(profile); err != nil {
		return nil, "", usageError("mock profile: %v", err)
	}
	cfg.Seed, cfg.Model, cfg.Prices = seed, p.Model, cat
	base, stop, err := mock.Start(ctx, cfg)
	if err != nil {
		return nil, "", withCode(exitFailed, fmt.Errorf("start the mock: %w", err))
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
// (exit 5): each output file is probed (probeOutput: opened for writing without truncating
// what is there, a write tried, nothing left behind), the CSV files each.
func checkOutputs(o *runOptions) error {
	type output struct {
		flag, path string
		appendTo   bool
	}
	files := []output{{"--json", o.jsonFile, false}, {"--html", o.htmlFile, false}, {"--history", o.historyFile, true}}
	if o.csvPrefix != "" {
		for _, suffix := range []string{report.StatsSuffix, report.FailuresSuffix, report.ExceptionsSuffix,
			report.StatsHistorySuffix, report.CostSuffix} {
			files = append(files, output{"--csv", o.csvPrefix + suffix, false})
		}
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := probeOutput(f.path, f.appendTo); err != nil {
			return withCode(exitFailed, fmt.Errorf("%s: %w; nothing was sent", f.flag, err))
		}
	}
	return nil
}

// addMonitors adds run --monitor's endpoints to the plan, each with the default series (a
// name the plan's monitors already use gets a suffix: cpu_2), and refuses a monitor
// threshold of the scenario whose series no monitor has (exit 2, before anything is sent).
func addMonitors(p *plan.Plan, sc *plan.Scenario, urls []string) error {
	names := map[string]bool{}
	for _, n := range plan.MonitoredSeries(p.Monitors) {
		names[n] = true
	}
	for _, raw := range urls {
		m, err := plan.NewMonitor(raw)
		if err != nil {
			return usageError("--monitor: %v", err)
		}
		if u, err := url.Parse(raw); err == nil && u.IsAbs() {
			if err := executor.CheckHost(p, raw); err != nil {
				return usageError("--monitor: %v", err)
			}
		}
		for i := range m.Series {
			name := m.Series[i].Name
			for k := 2; names[name]; k++ {
				name = fmt.Sprintf("%s_%d", m.Series[i].Name, k)
			}
			m.Series[i].Name = name
			names[name] = true
		}
		p.Monitors = append(p.Monitors, m)
	}
	for _, th := range plan.MonitorThresholds(sc.Thresholds) {
		if !names[th.Monitor.Series] {
			return usageError("threshold %s judges the series %s, which no monitor has: add monitor: to the plan (series: {%s: ...}) or run with --monitor URL", th.Kind, th.Monitor.Series, th.Monitor.Series)
		}
	}
	return nil
}
