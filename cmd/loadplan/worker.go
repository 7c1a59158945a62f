package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/planner"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/fleet"
	"github.com/loadplan/loadplan/meter/redisledger"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
)

// workerOptions are the flags of loadplan worker.
type workerOptions struct {
	ledger   string
	runID    string
	index    int
	indexSet bool
	wait     time.Duration
	jsonFile string
	quiet    bool
}

// newCmdWorker builds loadplan worker: it parses the flags into workerOptions and calls runF
// with them (tests), else runWorker.
func newCmdWorker(streams *IO, runF func(*workerOptions) error) *cobra.Command {
	o := &workerOptions{}
	cmd := &cobra.Command{
		Use:   "worker --ledger URL --run ID [--index N]",
		Short: "Run a share of a run that a coordinator (loadplan run --expect-workers) started",
		Long: `Join the run ID that a coordinator started with loadplan run PLAN --ledger URL --run-id ID
--expect-workers N, and run this worker's share of its load: the coordinator publishes the plan,
its data files and the run's flags in Redis, so a worker needs only the ledger's URL, the run's ID
and its index (0 to N-1; default $JOB_COMPLETION_INDEX, which a Kubernetes Indexed Job sets).

The worker waits for every worker to be ready (the start barrier), sends its statistics every
second, and stops when the run stops anywhere (the budget, an aborting threshold, Ctrl-C on the
coordinator). Environment values the plan names (${VAR}) are read here, never sent.

Exit codes: those of loadplan run for how this worker's share ended (its thresholds are judged on
the merged summary, by the coordinator).`,
		Example: `  loadplan worker --ledger redis://redis:6379/0 --run nightly-42 --index 3`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.indexSet = cmd.Flags().Changed("index")
			if err := o.complete(streams.Env); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runWorker(cmd.Context(), streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.ledger, "ledger", "", "the run's Redis: redis://HOST:PORT/DB or rediss:// (TLS); password in the URL or $REDIS_PASSWORD")
	fs.StringVar(&o.runID, "run", "", "the run's ID (the coordinator's --run-id)")
	fs.IntVar(&o.index, "index", 0, "this worker's index, 0 to N-1 (default: $JOB_COMPLETION_INDEX, else 0)")
	fs.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for the coordinator to publish the run")
	fs.StringVar(&o.jsonFile, "json", "", "also write this worker's own summary (loadplan.run/v1) to FILE")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no line at the end")
	return cmd
}

// complete checks the flags and takes the index from $JOB_COMPLETION_INDEX when --index is
// not given (exit 2).
func (o *workerOptions) complete(env plan.LookupEnv) error {
	if o.ledger == "" || o.runID == "" {
		return usageError("give --ledger redis://HOST:PORT/DB and --run ID: the coordinator's --ledger and --run-id")
	}
	if !o.indexSet {
		if v, ok := env("JOB_COMPLETION_INDEX"); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return usageError("$JOB_COMPLETION_INDEX %q: want a number", v)
			}
			o.index = n
		}
	}
	if o.index < 0 {
		return usageError("--index %d: give 0 or more", o.index)
	}
	return nil
}

// workerSession is a worker's part of a run: its connection to the run, the definition the
// coordinator published, what it computed from it, and its ledger.
type workerSession struct {
	o        *workerOptions
	streams  *IO
	base     context.Context // never cancelled: the reports sent after an interrupt
	fc       *fleet.Client
	host     string
	def      *fleet.Definition
	setup    *workerSetup
	password string
	ledger   *redisledger.Ledger
	leave    func()
}

// runWorker is loadplan worker: read the run, get ready, wait for the start, run its share,
// send its statistics and its summary.
func runWorker(parent context.Context, streams *IO, o *workerOptions) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, sigs, cleanup := signalContext(parent, streams)
	defer cleanup()
	runCtx, interrupt := context.WithCancel(ctx)
	defer interrupt()
	abort := make(chan struct{})
	go watchWorkerInterrupts(ctx, runCtx, sigs, interrupt, abort)

	w := &workerSession{o: o, streams: streams, base: context.WithoutCancel(ctx)}
	w.host, _ = os.Hostname()
	w.password, _ = streams.Env("REDIS_PASSWORD")
	var cl cleanups
	defer cl.run()
	if err := w.join(runCtx, &cl); err != nil {
		return err
	}
	sc, target, start, err := w.awaitStart(ctx, runCtx, &cl)
	if err != nil {
		return err
	}
	sum, err := w.execute(runCtx, sc, target, start, abort)
	if err != nil {
		return err
	}
	sendErr := w.sendFinal(sum)
	if o.jsonFile != "" {
		if err := writeFile(o.jsonFile, func(w io.Writer) error { return report.WriteJSON(w, sum) }); err != nil {
			return withCode(exitFailed, fmt.Errorf("--json: %w", err))
		}
	}
	if !o.quiet {
		fmt.Fprintln(streams.Out, report.RunLine(sum))
	}
	switch {
	case sum.StopReason == summary.StopError, sum.StopReason == summary.StopLedgerUnreachable:
		return withCode(sum.ExitCode, errors.New(sum.StopDetail))
	case sendErr != nil:
		return withCode(exitFailed, fmt.Errorf("could not send the summary to the coordinator: %w", sendErr))
	case sum.ExitCode != exitOK:
		return withCode(sum.ExitCode, nil)
	}
	return nil
}

// watchWorkerInterrupts stops the worker's run at the first interrupt and aborts its
// requests in flight at the second.
func watchWorkerInterrupts(ctx, runCtx context.Context, sigs <-chan os.Signal, interrupt func(), abort chan struct{}) {
	select {
	case <-sigs:
	case <-runCtx.Done():
		return
	}
	interrupt()
	select {
	case <-sigs:
		close(abort)
	case <-ctx.Done():
	}
}

// fail tells the coordinator that this worker failed, and returns err with code.
func (w *workerSession) fail(code int, err error) error {
	_ = w.fc.Send(w.base, fleet.Report{Index: w.o.index, Host: w.host, Kind: fleet.KindFailed, Error: err.Error()})
	return withCode(code, err)
}

// join connects to the run, reads its definition, prepares the plan from it and opens the
// run's ledger as this worker.
func (w *workerSession) join(runCtx context.Context, cl *cleanups) error {
	o := w.o
	fc, err := fleet.Dial(runCtx, o.ledger, w.password, o.runID)
	if err != nil {
		return withCode(exitFailed, fmt.Errorf("--ledger: %w", err))
	}
	cl.add(func() { fc.Close() })
	w.fc = fc
	if w.def, err = fc.Definition(runCtx, o.wait); err != nil {
		return withCode(exitFailed, err)
	}
	if o.index >= w.def.Workers {
		return usageError("--index %d: run %s has %d workers, 0 to %d", o.index, o.runID, w.def.Workers, w.def.Workers-1)
	}
	setup, cleanupFiles, err := prepareWorker(w.streams, w.def)
	if err != nil {
		return w.fail(exitCode(err), err)
	}
	cl.add(cleanupFiles)
	w.setup = setup
	l, err := redisledger.Open(w.base, redisledger.Options{URL: o.ledger, Password: w.password, RunID: o.runID,
		Worker: "worker-" + strconv.Itoa(o.index), Budget: w.def.Budget})
	if err != nil {
		return w.fail(exitFailed, fmt.Errorf("--ledger: %w", err))
	}
	w.ledger = l
	var once sync.Once
	w.leave = func() {
		once.Do(func() {
			if err := l.Close(); err != nil {
				fmt.Fprintf(w.streams.ErrOut, "loadplan: --ledger: %v\n", err)
			}
		})
	}
	cl.add(w.leave)
	return nil
}

// awaitStart says this worker is ready, waits for the start barrier, and gives its share of
// the scenario and its target (the embedded mock started for a mock:// one).
func (w *workerSession) awaitStart(ctx, runCtx context.Context, cl *cleanups) (*plan.Scenario, string, *fleet.Start, error) {
	o, def := w.o, w.def
	if err := w.fc.Ready(runCtx, fleet.Member{Index: o.index, Host: w.host, PID: os.Getpid()}); err != nil {
		return nil, "", nil, withCode(exitFailed, err)
	}
	start, err := w.fc.AwaitStart(runCtx)
	if err != nil {
		return nil, "", nil, withCode(exitInterrupted, fmt.Errorf("interrupted before the start: %w", err))
	}
	pos, n, ok := start.Position(o.index)
	if !ok {
		return nil, "", nil, withCode(exitFailed, fmt.Errorf("run %s started without worker %d: %w", o.runID, o.index, fleet.ErrStarted))
	}
	sc := fleet.Split(w.setup.sc, pos, n)
	target := def.Target
	if u, isMock := mockURL(target); isMock {
		stop, mockBase, err := startMock(ctx, u, def.Profile, w.setup.p, def.Seed, w.setup.cat)
		if err != nil {
			return nil, "", nil, w.fail(exitFailed, err)
		}
		cl.add(stop)
		target = mockBase
	}
	return sc, target, &start, nil
}

// execute runs this worker's share at the start's time, stopped by the run's stop broadcast,
// its progress relayed to the coordinator; its exit code is the stop reason's.
func (w *workerSession) execute(runCtx context.Context, sc *plan.Scenario, target string, start *fleet.Start, abort chan struct{}) (*summary.Run, error) {
	o, def := w.o, w.def
	wctx, wstop := context.WithCancel(w.base)
	defer wstop()
	halts := w.watchStops(wctx, abort)
	mailbox := fleet.NewLatest[summary.Progress]()
	sent := w.relayProgress(wctx, mailbox)
	from := "worker " + strconv.Itoa(o.index)
	cfg := executor.Config{Plan: w.setup.p, Scenario: sc, Target: target, Catalog: w.setup.cat, Ledger: w.ledger, Capped: def.Budget != nil,
		Bounds: w.setup.bounds, Seed: fleet.WorkerSeed(def.Seed, o.index), StopTimeout: def.StopTimeout, Abort: abort,
		OnProgress: mailbox.Put, ProgressHistograms: true, Halt: halts,
		TLS: executor.TLSOptions{CAFile: def.CAFile, CertFile: def.CertFile, KeyFile: def.KeyFile, Insecure: def.Insecure},
		OnStop: func(reason summary.StopReason, detail string) {
			if reason == summary.StopCompleted || reason == summary.StopLedgerUnreachable {
				return
			}
			hctx, cancel := context.WithTimeout(w.base, 2*time.Second)
			defer cancel()
			_ = w.fc.Halt(hctx, fleet.Stop{Reason: reason, Detail: detail, From: from})
		}}
	if d := time.Until(start.At); d > 0 {
		time.Sleep(min(d, time.Second))
	}
	sum, err := executor.Run(runCtx, cfg)
	w.leave()
	wstop()
	<-sent
	var cfgErr *executor.ConfigError
	if errors.As(err, &cfgErr) {
		return nil, w.fail(exitUsage, fmt.Errorf("cannot run: %w", err))
	} else if err != nil {
		return nil, w.fail(exitFailed, fmt.Errorf("cannot run: %w", err))
	}
	sum.ExitCode = sum.StopReason.ExitCode(true)
	return sum, nil
}

// watchStops is the stop broadcast: another worker's stop, or the coordinator's, stops this
// run (and aborts it when that stop aborts).
func (w *workerSession) watchStops(ctx context.Context, abort chan struct{}) <-chan executor.Halt {
	halts := make(chan executor.Halt, 1)
	go func() {
		for s := range w.fc.Watch(ctx, 250*time.Millisecond, redisledger.DefaultGrace) {
			if s.Abort {
				select {
				case <-abort:
				default:
					close(abort)
				}
			}
			select {
			case halts <- executor.Halt{Reason: s.Reason, Detail: s.Detail + " (" + s.From + ")"}:
			default:
			}
		}
	}()
	return halts
}

// relayProgress sends the latest progress to Redis from a goroutine of its own, so that a
// slow Redis never slows the run; the channel is closed when it has stopped (ctx done).
func (w *workerSession) relayProgress(ctx context.Context, mailbox *fleet.Latest[summary.Progress]) <-chan struct{} {
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			p, ok := mailbox.Take(ctx)
			if !ok {
				return
			}
			_ = w.fc.Send(ctx, fleet.Report{Index: w.o.index, Host: w.host, Kind: fleet.KindProgress, Progress: &p})
		}
	}()
	return sent
}

// sendFinal sends this worker's summary to the coordinator, trying up to 10 times (not after
// the ledger became unreachable).
func (w *workerSession) sendFinal(sum *summary.Run) error {
	var sendErr error
	for attempt := 0; attempt < 10; attempt++ {
		sctx, cancel := context.WithTimeout(w.base, time.Second)
		sendErr = w.fc.Send(sctx, fleet.Report{Index: w.o.index, Host: w.host, Kind: fleet.KindFinal, Summary: sum})
		cancel()
		if sendErr == nil || sum.StopReason == summary.StopLedgerUnreachable {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return sendErr
}

// workerRun's plan, scenario (the whole run's), catalog and bounds, as the worker computes
// them from the published definition.
type workerSetup struct {
	p      *plan.Plan
	sc     *plan.Scenario
	cat    *pricing.Catalog
	bounds map[*plan.Step]pricing.Bound
}

// prepareWorker writes the published files into a directory of its own, loads the plan from
// there with this process's environment, applies the coordinator's flags, and checks that
// its steps' worst cases are the coordinator's (same plan, same prices).
func prepareWorker(streams *IO, def *fleet.Definition) (*workerSetup, func(), error) {
	dir, err := os.MkdirTemp("", "loadplan-worker-")
	if err != nil {
		return nil, nil, withCode(exitFailed, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	for name, b := range def.Files {
		rel := filepath.FromSlash(name)
		if !filepath.IsLocal(rel) {
			cleanup()
			return nil, nil, withCode(exitFailed, fmt.Errorf("the run's file %q is not a relative path", name))
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			cleanup()
			return nil, nil, withCode(exitFailed, err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			cleanup()
			return nil, nil, withCode(exitFailed, err)
		}
	}
	w, err := setupWorker(streams, def, dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return w, cleanup, nil
}

func setupWorker(streams *IO, def *fleet.Definition, dir string) (*workerSetup, error) {
	p, err := loadPlan(streams, filepath.Join(dir, filepath.FromSlash(def.PlanFile)))
	if err != nil {
		return nil, err
	}
	scs, err := pickScenarios(p, def.Scenario, false, false)
	if err != nil {
		return nil, err
	}
	lf := loadFlags{users: def.Users, spawnRate: def.SpawnRate, runTime: def.RunTime, arrivalRate: def.ArrivalRate}
	if def.Prices != "" {
		lf.prices.add = filepath.Join(dir, filepath.FromSlash(def.Prices))
	}
	if def.PricesOnly != "" {
		lf.prices.only = filepath.Join(dir, filepath.FromSlash(def.PricesOnly))
	}
	ov, err := lf.overrides()
	if err != nil {
		return nil, err
	}
	sc, err := ov.Apply(scs[0])
	if err != nil {
		return nil, usageError("%v", err)
	}
	sc.Budget = def.Budget
	cat, _, err := lf.prices.forPlan(p, time.Now())
	if err != nil {
		return nil, err
	}
	bounds, err := planner.Bounds(p, cat, def.Budget != nil)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	mine := boundsText(bounds)
	for name, theirs := range def.Bounds {
		if mine[name] != theirs {
			return nil, usageError("step %s: its worst case here is %q, the coordinator's %q: run the same loadplan with the same prices on every machine", name, mine[name], theirs)
		}
	}
	if len(mine) != len(def.Bounds) {
		return nil, usageError("the plan here has %d steps, the coordinator's %d", len(mine), len(def.Bounds))
	}
	return &workerSetup{p: p, sc: sc, cat: cat, bounds: bounds}, nil
}
