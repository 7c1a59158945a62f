package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/loadplan/loadplan/pricing"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/pflag"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/fleet"
	"github.com/loadplan/loadplan/meter/redisledger"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/summary"
)

// Defaults of the fleet flags.
const (
	defaultStartTimeout = 60 * time.Second
	// lostAfter is how long a worker may send nothing before it is reported lost: five
	// progress reports missed.
	lostAfter = 5 * time.Second
)

// fleetFlags are run's flags that spread a run over worker processes.
type fleetFlags struct {
	workers          int           // --workers: start this many local worker processes
	expect           int           // --expect-workers: wait for this many remote ones
	failOnWorkerLoss bool          // --fail-on-worker-loss
	startTimeout     time.Duration // --start-timeout: the start barrier's
}

func (f *fleetFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.workers, "workers", 0, "run the load in N worker processes of this program on this machine, sharing the budget through a Redis ledger (--ledger, or a redis-server started for the run)")
	fs.IntVar(&f.expect, "expect-workers", 0, "coordinate N workers started elsewhere with loadplan worker --ledger URL --run ID --index I (needs --ledger and --run-id)")
	fs.BoolVar(&f.failOnWorkerLoss, "fail-on-worker-loss", false, "stop the run (error, exit 5) when a worker stops sending statistics, instead of carrying on without it")
	fs.DurationVar(&f.startTimeout, "start-timeout", defaultStartTimeout, "how long the workers may take to be ready; then the run starts with those present")
}

func (f *fleetFlags) active() bool { return f.workers > 0 || f.expect > 0 }

// check refuses bad combinations before anything starts (exit 2).
func (f *fleetFlags) check(l ledgerFlags) error {
	switch {
	case f.workers < 0 || f.expect < 0:
		return usageError("--workers and --expect-workers take 1 or more")
	case f.workers > 0 && f.expect > 0:
		return usageError("give --workers N (local worker processes) or --expect-workers N (workers started elsewhere), not both")
	case f.expect > 0 && (l.url == "" || l.runID == ""):
		return usageError("--expect-workers needs --ledger redis://HOST:PORT/DB and --run-id ID: the workers join with loadplan worker --ledger URL --run ID")
	case f.failOnWorkerLoss && !f.active():
		return usageError("--fail-on-worker-loss is for a run with --workers or --expect-workers")
	case f.startTimeout <= 0:
		return usageError("--start-timeout %s: give a positive duration", f.startTimeout)
	}
	return nil
}

// ledgerServer is a redis-server started for a run with --workers and no --ledger.
type ledgerServer struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// prepareLedger gives a fleet run its ledger: --ledger if given, else a redis-server on a
// free loopback port, without persistence, for the run's length (stop ends it). The run ID
// is made up when not given.
func (f *fleetFlags) prepareLedger(streams *IO, l *ledgerFlags) (stop func(), err error) {
	if l.runID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		l.runID = "run-" + hex.EncodeToString(b[:])
	}
	if l.url != "" || f.workers == 0 {
		return func() {}, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, usageError("--workers without --ledger starts a redis-server for the run's ledger, and there is none on PATH: install Redis (Debian: apt-get install redis-server) or give --ledger redis://HOST:PORT/DB")
	}
	var lastErr error
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, withCode(exitFailed, fmt.Errorf("--workers: %w", err))
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		s := &ledgerServer{done: make(chan struct{})}
		s.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--loglevel", "warning", "--protected-mode", "yes")
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C is the coordinator's to handle
		var out strings.Builder
		s.cmd.Stdout, s.cmd.Stderr = &out, &out
		if err := s.cmd.Start(); err != nil {
			return nil, withCode(exitFailed, fmt.Errorf("--workers: start redis-server: %w", err))
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if err := awaitListening(addr, s.done, 5*time.Second); err != nil {
			s.stop()
			lastErr = fmt.Errorf("redis-server on %s: %w: %s", addr, err, strings.TrimSpace(out.String()))
			continue
		}
		l.url = "redis://" + addr + "/0"
		if f.workers > 0 {
			fmt.Fprintf(streams.ErrOut, "loadplan: ledger: redis-server on %s for this run\n", addr)
		}
		return s.stop, nil
	}
	return nil, withCode(exitFailed, fmt.Errorf("--workers: %w", lastErr))
}

func (s *ledgerServer) stop() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// awaitListening waits until addr accepts a connection, the process ends, or wait passes.
func awaitListening(addr string, done <-chan struct{}, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		select {
		case <-done:
			return errors.New("exited")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %s", wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// coordination is what the coordinator needs beside the executor's configuration.
type coordination struct {
	o      *runOptions
	sc     *plan.Scenario // the whole run's
	target string         // as the plan or --host gives it (mock:// unresolved)
	notice func(string)
}

// runScenario runs the scenario: in this process (executor.Run), or spread over workers,
// whose summaries it merges into the run's.
func runScenario(ctx context.Context, streams *IO, c coordination, cfg executor.Config) (*summary.Run, error) {
	if !c.o.fleet.active() {
		return executor.Run(ctx, cfg)
	}
	return coordinate(ctx, streams, c, cfg)
}

// coordinate publishes the run, starts the local workers (--workers), holds the start
// barrier, feeds the live view from the workers' merged progress, broadcasts the stops of
// this process (Ctrl-C), watches for lost workers, and merges the workers' summaries.
func coordinate(ctx context.Context, streams *IO, c coordination, cfg executor.Config) (*summary.Run, error) {
	o := c.o
	f := o.fleet
	password, _ := streams.Env("REDIS_PASSWORD")
	base := context.WithoutCancel(ctx)
	fc, err := fleet.Dial(base, o.ledger.url, password, o.ledger.runID)
	if err != nil {
		return nil, fmt.Errorf("--ledger: %w", err)
	}
	defer fc.Close()
	n := f.workers + f.expect
	def, err := definition(o, c, cfg, n)
	if err != nil {
		return nil, &executor.ConfigError{Err: err}
	}
	if err := fc.Publish(base, def); err != nil {
		return nil, err
	}
	var kids *children
	if f.workers > 0 {
		if kids, err = startChildren(streams, o, n); err != nil {
			return nil, err
		}
		defer kids.stop(5 * time.Second)
	}
	// The barrier ends early if Ctrl-C comes, or if every local worker has exited.
	bctx, bcancel := context.WithCancel(ctx)
	defer bcancel()
	if kids != nil {
		go func() {
			select {
			case <-kids.allDone:
				bcancel()
			case <-bctx.Done():
			}
		}()
	}
	start, err := fc.AwaitReady(bctx, n, f.startTimeout)
	if err != nil {
		if ctx.Err() != nil {
			_ = fc.Halt(base, fleet.Stop{Reason: summary.StopInterrupted, Detail: "interrupted before the start", From: "coordinator"})
			return nil, withCode(exitInterrupted, errors.New("interrupted before the workers started"))
		}
		if kids != nil && bctx.Err() != nil {
			return nil, fmt.Errorf("every worker exited before the start (see their messages above)")
		}
		return nil, err
	}
	if start.TimedOut {
		c.notice(fmt.Sprintf("started with %d of %d workers after --start-timeout %s", len(start.Present), n, f.startTimeout))
	}
	return watch(ctx, c, cfg, fc, start, kids)
}

// definition is the run as the workers need it: the plan and its data files, the price
// catalogs, the flags, and what this process computed (seed, budget, target, bounds).
func definition(o *runOptions, c coordination, cfg executor.Config, n int) (*fleet.Definition, error) {
	d := &fleet.Definition{RunID: o.ledger.runID, Workers: n, PlanFile: filepath.Base(o.plan), Files: map[string][]byte{},
		Scenario: c.sc.Name, Users: o.load.users, SpawnRate: o.load.spawnRate, RunTime: o.load.runTime,
		ArrivalRate: o.load.arrivalRate, Seed: cfg.Seed, Budget: cfg.Ledger.Snapshot().Budget, Target: cfg.Target,
		Profile: o.profile, StopTimeout: o.stopTimeout, Bounds: map[string]string{},
		CAFile: o.tls.CAFile, CertFile: o.tls.CertFile, KeyFile: o.tls.KeyFile, Insecure: o.tls.Insecure}
	if _, isMock := mockURL(c.target); isMock && o.fleet.expect > 0 {
		// Remote workers cannot reach this process's mock: each starts its own.
		d.Target = c.target
	}
	src, err := os.ReadFile(o.plan)
	if err != nil {
		return nil, err
	}
	d.Files[d.PlanFile] = src
	for _, df := range cfg.Plan.Data {
		rel := filepath.Clean(df.Written)
		if filepath.IsAbs(df.Written) || !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("%s: data.%s: %s is outside the plan's directory; the workers get that directory only: move the file under %s and give its path relative to the plan",
				o.plan, df.Name, df.Written, cfg.Plan.Dir)
		}
		b, err := os.ReadFile(df.Path)
		if err != nil {
			return nil, err
		}
		d.Files[filepath.ToSlash(rel)] = b
	}
	for _, pf := range []struct {
		path string
		key  *string
	}{{o.load.prices.add, &d.Prices}, {o.load.prices.only, &d.PricesOnly}} {
		if pf.path == "" {
			continue
		}
		b, err := os.ReadFile(pf.path)
		if err != nil {
			return nil, err
		}
		*pf.key = "prices/" + filepath.Base(pf.path)
		d.Files[*pf.key] = b
	}
	d.Bounds = boundsText(cfg.Bounds)
	return d, nil
}

// boundsText is the steps' worst cases by step name ("" for none).
func boundsText(bounds map[*plan.Step]pricing.Bound) map[string]string {
	out := map[string]string{}
	for st, b := range bounds {
		out[st.Name] = b.Cost.String()
	}
	return out
}

// workerState is what the coordinator knows of one worker.
type workerState struct {
	member   fleet.Member
	last     *summary.Progress
	seen     time.Time
	final    *summary.Run
	failed   string
	lost     bool
	finished bool
}

// watch reads the workers' reports until every worker has ended (delivered its summary,
// failed, or been lost), and merges their summaries.
func watch(ctx context.Context, c coordination, cfg executor.Config, fc *fleet.Client, start fleet.Start, kids *children) (*summary.Run, error) {
	base := context.WithoutCancel(ctx)
	states := map[int]*workerState{}
	for _, m := range start.Present {
		states[m.Index] = &workerState{member: m, seen: time.Now()}
	}
	halt := func(s fleet.Stop) {
		s.From = "coordinator"
		if err := fc.Halt(base, s); err != nil {
			c.notice(err.Error())
		}
	}
	interrupted, aborted := false, false
	var fatal *fleet.Stop // a stop of the coordinator's own making (a lost worker, Redis gone)
	after := "0"
	var failingSince time.Time
	lastFrame := time.Time{}
	for {
		if !interrupted && ctx.Err() != nil {
			interrupted = true
			halt(fleet.Stop{Reason: summary.StopInterrupted, Detail: "interrupted: stopped starting new requests"})
		}
		if !aborted && closed(cfg.Abort) {
			aborted = true
			halt(fleet.Stop{Reason: summary.StopInterrupted, Detail: "interrupted twice: requests in flight aborted", Abort: true})
		}
		reports, next, err := fc.Reports(base, after, 250*time.Millisecond)
		now := time.Now()
		if err != nil {
			if failingSince.IsZero() {
				failingSince = now
			}
			if now.Sub(failingSince) >= redisledger.DefaultGrace {
				fatal = &fleet.Stop{Reason: summary.StopLedgerUnreachable, Detail: fmt.Sprintf("%v (for %s)", err, redisledger.DefaultGrace)}
				for _, s := range states {
					if !s.finished {
						s.finished, s.lost = true, true
					}
				}
			} else {
				time.Sleep(100 * time.Millisecond)
			}
		} else {
			failingSince = time.Time{}
			after = next
		}
		applyReports(states, reports, now)
		for _, i := range markLost(states, now) {
			c.notice(fmt.Sprintf("worker %d (%s) lost: no statistics for %s; its reservations are charged when its lease lapses", i, states[i].member.Host, lostAfter))
			if c.o.fleet.failOnWorkerLoss && fatal == nil {
				fatal = &fleet.Stop{Reason: summary.StopError, Detail: fmt.Sprintf("worker %d lost (--fail-on-worker-loss)", i)}
				halt(*fatal)
			}
		}
		if cfg.OnProgress != nil && now.Sub(lastFrame) >= time.Second {
			lastFrame = now
			if p, ok := mergedProgress(states, cfg); ok {
				cfg.OnProgress(p)
			}
		}
		if allFinished(states) {
			break
		}
	}
	return mergeWorkers(c, cfg, fc, start, states, fatal)
}

// applyReports records the workers' reports received at now.
func applyReports(states map[int]*workerState, reports []fleet.Report, now time.Time) {
	for _, r := range reports {
		s, ok := states[r.Index]
		if !ok || (s.finished && !s.lost) {
			continue
		}
		s.seen = now
		if r.Host != "" {
			s.member.Host = r.Host
		}
		switch r.Kind {
		case fleet.KindProgress:
			s.last = r.Progress
		case fleet.KindFinal:
			s.final, s.finished, s.lost = r.Summary, true, false
		case fleet.KindFailed:
			s.failed, s.finished = r.Error, true
		}
	}
}

// markLost marks lost the workers that sent nothing for lostAfter until now, and returns
// their indexes, in order.
func markLost(states map[int]*workerState, now time.Time) []int {
	var lost []int
	for i, s := range states {
		if !s.finished && now.Sub(s.seen) > lostAfter {
			s.finished, s.lost = true, true
			lost = append(lost, i)
		}
	}
	sort.Ints(lost)
	return lost
}

func closed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func allFinished(states map[int]*workerState) bool {
	for _, s := range states {
		if !s.finished {
			return false
		}
	}
	return true
}

// mergedProgress is the live view's progress: the workers' last, merged; spent and reserved
// from the ledger.
func mergedProgress(states map[int]*workerState, cfg executor.Config) (summary.Progress, bool) {
	var parts []summary.Progress
	for _, i := range sortedKeys(states) {
		if s := states[i]; s.last != nil && !s.finished {
			parts = append(parts, *s.last)
		}
	}
	if len(parts) == 0 {
		return summary.Progress{}, false
	}
	p, err := summary.MergeProgress(parts)
	if err != nil {
		return summary.Progress{}, false
	}
	snap := cfg.Ledger.Snapshot()
	p.Projected = p.Projected.Sub(p.Spent).Add(snap.Spent)
	p.Spent, p.Reserved, p.Budget = snap.Spent, snap.Reserved, snap.Budget
	return p, true
}

func sortedKeys(states map[int]*workerState) []int {
	keys := make([]int, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// mergeWorkers is the run's summary: the workers' summaries merged (summary.Merge: histograms
// exactly), a lost worker's last progress counted, the whole run's estimate, the ledger's
// account, and the list of workers.
func mergeWorkers(c coordination, cfg executor.Config, fc *fleet.Client, start fleet.Start, states map[int]*workerState, fatal *fleet.Stop) (*summary.Run, error) {
	var parts []*summary.Run
	var workers []summary.Worker
	lost := 0
	for _, i := range sortedKeys(states) {
		s := states[i]
		w := summary.Worker{Index: i, Host: s.member.Host}
		switch {
		case s.final != nil:
			parts = append(parts, s.final)
			w.Requests, w.Spent, w.Ended, w.Detail = s.final.Actual.Requests, s.final.Actual.Cost, string(s.final.StopReason), s.final.StopDetail
		case s.failed != "":
			w.Ended, w.Detail = summary.WorkerFailed, s.failed
		default:
			lost++
			w.Ended = summary.WorkerLost
			if s.last != nil {
				part := summary.FromProgress(cfg.Plan.Name, c.sc.Name, start.At, *s.last)
				parts = append(parts, part)
				w.Requests, w.Spent = part.Actual.Requests, part.Actual.Cost
				w.Detail = fmt.Sprintf("no statistics after %s", s.last.Elapsed.Round(time.Second))
			}
		}
		workers = append(workers, w)
	}
	for _, m := range absent(start) {
		workers = append(workers, summary.Worker{Index: m, Ended: summary.WorkerAbsent, Detail: "not ready when the run started"})
	}
	sort.Slice(workers, func(i, j int) bool { return workers[i].Index < workers[j].Index })
	if len(parts) == 0 {
		parts = append(parts, summary.FromProgress(cfg.Plan.Name, c.sc.Name, start.At, summary.Progress{Budget: cfg.Ledger.Snapshot().Budget}))
	}
	m, err := summary.Merge(planner.MergeEstimates, parts...)
	if err != nil {
		return nil, fmt.Errorf("merge the workers' summaries: %w", err)
	}
	m.Workers, m.WorkersLost = workers, lost
	m.Estimate = cfg.Estimate
	m.Actual.EstimateErrorPct = summary.EstimateErrorPct(m.Actual.Cost, cfg.ExpectedCost)
	m.Seed = cfg.Seed
	m.Target = plan.RedactURL(cfg.Target)
	m.Partial = m.Partial || lost > 0 || start.TimedOut
	spentBySecond(m, parts)
	if fatal != nil && fatal.Reason.Rank() >= m.StopReason.Rank() {
		m.StopReason, m.StopDetail = fatal.Reason, joinDetail(fatal.Detail, m.StopDetail)
	}
	if start.TimedOut {
		m.StopDetail = joinDetail(m.StopDetail, fmt.Sprintf("started with %d of %d workers", len(start.Present), start.Expected))
	}
	// The ledger is the account of the whole run: every worker's charges, a lost worker's
	// reservations included once its lease lapsed.
	if l, ok := cfg.Ledger.(*redisledger.Ledger); ok && m.Meter != nil {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if snap, err := l.Read(rctx); err == nil {
			m.Meter.Spent, m.Meter.Reserved = snap.Spent, snap.Reserved
			m.Meter.Overruns = snap.Overruns
			m.Meter.BoundsHeld = snap.Overruns == 0
		}
		cancel()
	}
	return m, nil
}

// spentBySecond mends the merged timeline's spent and reserved: each worker's are the shared
// ledger's, the whole run's, so they do not add: each second shows the largest seen.
func spentBySecond(m *summary.Run, parts []*summary.Run) {
	spent := map[int64]decimal.Decimal{}
	reserved := map[int64]decimal.Decimal{}
	for _, p := range parts {
		off := p.StartedAt.Sub(m.StartedAt).Seconds()
		for _, pt := range p.Timeline {
			k := int64(math.Round(pt.T + off))
			if v, ok := spent[k]; !ok || pt.Spent.GreaterThan(v) {
				spent[k] = pt.Spent
			}
			if v, ok := reserved[k]; !ok || pt.Reserved.GreaterThan(v) {
				reserved[k] = pt.Reserved
			}
		}
	}
	last := decimal.Zero
	for i := range m.Timeline {
		k := int64(m.Timeline[i].T)
		if v, ok := spent[k]; ok && v.GreaterThan(last) {
			last = v
		}
		m.Timeline[i].Spent = last
		m.Timeline[i].Reserved = reserved[k]
	}
}

func absent(s fleet.Start) []int {
	var out []int
	if !s.TimedOut {
		return nil
	}
	present := map[int]bool{}
	for _, m := range s.Present {
		present[m.Index] = true
	}
	for i := range s.Expected {
		if !present[i] {
			out = append(out, i)
		}
	}
	return out
}

func joinDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// children are the local worker processes of --workers.
type children struct {
	cmds    []*exec.Cmd
	wg      sync.WaitGroup
	allDone chan struct{}
}

// startChildren starts n worker processes of this program (or $LOADPLAN_EXECUTABLE), each in
// a process group of its own so that Ctrl-C reaches the coordinator only (which broadcasts
// the stop); their messages go to stderr, prefixed with their index.
func startChildren(streams *IO, o *runOptions, n int) (*children, error) {
	exe, ok := streams.Env("LOADPLAN_EXECUTABLE")
	if !ok || exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("--workers: find this program: %w", err)
		}
	}
	k := &children{allDone: make(chan struct{})}
	for i := range n {
		cmd := exec.Command(exe, "worker", "--ledger", o.ledger.url, "--run", o.ledger.runID, "--index", strconv.Itoa(i), "--quiet")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stdout = io.Discard
		cmd.Stderr = &prefixWriter{w: streams.ErrOut, prefix: fmt.Sprintf("worker %d: ", i)}
		if err := cmd.Start(); err != nil {
			k.stop(0)
			return nil, fmt.Errorf("--workers: start worker %d: %w", i, err)
		}
		k.cmds = append(k.cmds, cmd)
		k.wg.Add(1)
		go func() { defer k.wg.Done(); _ = cmd.Wait() }()
	}
	go func() { k.wg.Wait(); close(k.allDone) }()
	return k, nil
}

// stop waits at most grace for the workers to exit, then kills those left.
func (k *children) stop(grace time.Duration) {
	select {
	case <-k.allDone:
		return
	case <-time.After(grace):
	}
	for _, c := range k.cmds {
		if c.Process != nil {
			_ = c.Process.Kill()
		}
	}
	k.wg.Wait()
}

// prefixWriter writes each line with a prefix; safe for concurrent use by one process.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

var stderrMu sync.Mutex // the children share stderr

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := strings.IndexByte(string(p.buf), '\n')
		if i < 0 {
			break
		}
		stderrMu.Lock()
		_, _ = fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		stderrMu.Unlock()
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}
