package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/internal/testenv"
	"github.com/loadplan/loadplan/meter/redisledger"
	"github.com/loadplan/loadplan/meter/redisledger/redistest"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
)

// fleetPlan is priced by usage on the mock's chat endpoint: every request's cost is what the
// mock bills for it.
const fleetPlan = `version: 1
name: fleet
seed: 7
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
budget: 50
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: "hello {{seq}}", max_tokens: 512}}
    expect: {input_tokens: 1200, output_tokens: 300, max_input_tokens: 4000}
scenarios:
  quick: {users: 7, spawn_rate: 20, duration: 2s, wait: {constant: 20ms}}
  long: {users: 6, duration: 60s, wait: {constant: 20ms}}
`

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the loadplan binary the fleet tests build.
// removeBinary removes the loadplan built for the fleet tests (TestMain calls it).
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// loadplanBinary builds this program once, for the worker processes of the fleet tests (the
// test binary is not a loadplan that can be run as a worker).
func loadplanBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "loadplan-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "loadplan")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startFleetMock starts the mock with profile, its time scaled by scale, for the test.
func startFleetMock(t *testing.T, profile string, scale float64) string {
	t.Helper()
	cfg, err := mock.Profile(profile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeScale, cfg.Seed = scale, 1
	ctx, cancel := context.WithCancel(context.Background())
	base, stop, err := mock.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	return base
}

func mockLedger(t *testing.T, base string) mock.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := mock.FetchLedger(ctx, http.DefaultClient, base)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ledgerRequests(s mock.Snapshot) int64 {
	n := int64(0)
	for _, byStatus := range s.Requests {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}

// fleetRun is a coordinator run in this process (its workers are processes of the built
// binary): MainIO's exit code, stdout and stderr, once it ends.
type fleetRun struct {
	done           chan int
	stdout, stderr bytes.Buffer
	signals        chan os.Signal
}

func startFleetRun(t *testing.T, args ...string) *fleetRun {
	t.Helper()
	exe := loadplanBinary(t)
	r := &fleetRun{done: make(chan int, 1), signals: make(chan os.Signal, 2)}
	env := func(k string) (string, bool) {
		if k == "LOADPLAN_EXECUTABLE" {
			return exe, true
		}
		return os.LookupEnv(k)
	}
	go func() {
		r.done <- MainIO(args, &IO{In: bytes.NewReader(nil), Out: &r.stdout, ErrOut: &r.stderr, Env: env, Signals: r.signals})
	}()
	return r
}

func (r *fleetRun) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(limit):
		r.signals <- os.Interrupt
		r.signals <- os.Interrupt
		<-r.done
		t.Fatalf("the run did not end in %s\nstdout:\n%s\nstderr:\n%s", limit, r.stdout.String(), r.stderr.String())
		return -1
	}
}

// TestWorkersMatchMock: three worker processes share the load and the ledger; the merged
// summary's requests and cost are exactly what the mock billed, the workers are listed, and
// their users add up to the scenario's.
func TestWorkersMatchMock(t *testing.T) {
	t.Parallel()
	testenv.NeedProgram(t, "redis-server")
	base := startFleetMock(t, "default", 0.01)
	out := filepath.Join(t.TempDir(), "run.json")
	r := startFleetRun(t, "run", writePlan(t, fleetPlan, base), "--scenario", "quick", "--workers", "3", "--quiet", "--json", out)
	code := r.wait(t, 60*time.Second)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, r.stdout.String(), r.stderr.String())
	}
	s := readSummary(t, out)
	led := mockLedger(t, base)
	if got := ledgerRequests(led); s.Actual.Requests != got || s.Actual.Requests == 0 {
		t.Errorf("summary: %d requests; the mock served %d", s.Actual.Requests, got)
	}
	if !s.Actual.Cost.Equal(led.Cost) || !s.Meter.Spent.Equal(led.Cost) {
		t.Errorf("summary: cost %s, meter spent %s; the mock billed %s", s.Actual.Cost, s.Meter.Spent, led.Cost)
	}
	if len(s.Workers) != 3 || s.WorkersLost != 0 {
		t.Fatalf("workers %+v, lost %d; want 3, none lost", s.Workers, s.WorkersLost)
	}
	var sum int64
	for i, w := range s.Workers {
		if w.Index != i || w.Ended != string(summary.StopCompleted) || w.Host == "" || w.Requests == 0 {
			t.Errorf("worker %d: %+v; want index %d, completed, a host, requests", i, w, i)
		}
		sum += w.Requests
	}
	if sum != s.Actual.Requests {
		t.Errorf("the workers' requests add up to %d, the summary says %d", sum, s.Actual.Requests)
	}
	if s.Tasks[0].Histogram == "" || s.Actual.Latency.P95 <= 0 {
		t.Error("the merged summary has no latency histogram or percentiles")
	}
	// 7 users over 3 workers: 3, 2, 2 at their peak.
	peak := 0
	for _, pt := range s.Timeline {
		peak = max(peak, pt.Users)
	}
	if peak != 7 {
		t.Errorf("the merged timeline peaks at %d users, want 7", peak)
	}
}

// fleetRuns is how many randomized runs TestWorkersRandomBudgets makes: a few in the suite,
// $LOADPLAN_FLEET_RUNS in bench/workers.sh (20).
func fleetRuns() int {
	if n, err := strconv.Atoi(os.Getenv("LOADPLAN_FLEET_RUNS")); err == nil && n > 0 {
		return n
	}
	return 2
}

// TestWorkersRandomBudgets: runs with faults (the mock's flaky and slow profiles), tiny
// budgets and 4 to 8 workers never spend more than the budget on the mock's own bill.
func TestWorkersRandomBudgets(t *testing.T) {
	testenv.NeedProgram(t, "redis-server")
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LOADPLAN_FLEET_SEED"), 10, 64); err == nil {
		seed = s
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	redisSrv := redistest.Start(t)
	for i := range fleetRuns() {
		profile := []string{"flaky", "slow"}[rnd.IntN(2)]
		workers := 4 + rnd.IntN(5)
		// $0.01 to $0.06: a chat request's worst case is about $0.0197, so 0 to 3 fit at once.
		budget := decimal.New(int64(10+rnd.IntN(51)), -3)
		base := startFleetMock(t, profile, 0.02)
		out := filepath.Join(t.TempDir(), fmt.Sprintf("run%d.json", i))
		r := startFleetRun(t, "run", writePlan(t, fleetPlan, base), "--scenario", "quick", "--workers", strconv.Itoa(workers),
			"--budget", budget.String(), "--allow-over-budget", "--ledger", redisSrv.URL(), "--run-id", fmt.Sprintf("rand-%d-%d", seed, i),
			"--quiet", "--json", out)
		code := r.wait(t, 60*time.Second)
		led := mockLedger(t, base)
		t.Logf("run %d (seed %d): %s, %d workers: spent %s of %s (the mock billed %s, %d requests), exit %d",
			i, seed, profile, workers, summaryCost(t, out), budget, led.Cost, ledgerRequests(led), code)
		if code != exitOK && code != exitBudget && code != exitThresholds {
			t.Errorf("run %d: exit %d\nstderr:\n%s", i, code, r.stderr.String())
		}
		if led.Cost.GreaterThan(budget) {
			t.Errorf("run %d (seed %d): the mock billed %s, over the budget %s", i, seed, led.Cost, budget)
		}
	}
}

func summaryCost(t *testing.T, path string) string {
	if _, err := os.Stat(path); err != nil {
		return "(no summary)"
	}
	s := readSummary(t, path)
	return s.Meter.Spent.String()
}

// workerPIDs reads the workers' process IDs from the run's start barrier in Redis.
func workerPIDs(t *testing.T, redisURL, runID string, n int) map[int]int {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all, err := c.HGetAll(context.Background(), "loadplan:{"+runID+"}:fleet:ready").Result()
		if err == nil && len(all) == n {
			pids := map[int]int{}
			for k, v := range all {
				i, _ := strconv.Atoi(k)
				j := strings.Index(v, `"pid":`)
				p, _ := strconv.Atoi(strings.TrimRight(v[j+6:], "}"))
				pids[i] = p
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %d workers were not ready in 30 s: %v %v", n, all, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitRequests waits until the mock has served at least n requests.
func awaitRequests(t *testing.T, base string, n int64, r *fleetRun) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for ledgerRequests(mockLedger(t, base)) < n {
		select {
		case code := <-r.done:
			t.Fatalf("the run ended (exit %d) too soon\nstderr:\n%s", code, r.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mock served fewer than %d requests in 30 s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkersKilled: a worker killed with SIGKILL mid-run is reported lost; the run goes
// on, and the mock's bill stays within the budget.
func TestWorkersKilled(t *testing.T) {
	t.Parallel()
	redisSrv := redistest.Start(t)
	base := startFleetMock(t, "default", 0.05)
	out := filepath.Join(t.TempDir(), "run.json")
	budget := decimal.RequireFromString("0.40")
	plan := strings.Replace(fleetPlan, "long: {users: 6, duration: 60s", "long: {users: 6, duration: 9s", 1)
	r := startFleetRun(t, "run", writePlan(t, plan, base), "--scenario", "long", "--workers", "3", "--budget", "0.40",
		"--allow-over-budget", "--ledger", redisSrv.URL(), "--run-id", "killed", "--quiet", "--json", out)
	pids := workerPIDs(t, redisSrv.URL(), "killed", 3)
	awaitRequests(t, base, 10, r)
	if err := syscall.Kill(pids[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	code := r.wait(t, 60*time.Second)
	led := mockLedger(t, base)
	s := readSummary(t, out)
	t.Logf("kill -9 of worker 1: exit %d, %s; spent %s of %s (mock billed %s); workers %+v",
		code, s.StopReason, s.Meter.Spent, budget, led.Cost, s.Workers)
	if code != exitOK && code != exitBudget {
		t.Errorf("exit %d; want the run to go on (0, or 4 at the budget)\nstderr:\n%s", code, r.stderr.String())
	}
	if s.WorkersLost != 1 || s.Workers[1].Ended != summary.WorkerLost {
		t.Errorf("workers_lost %d, worker 1 ended %q; want 1, lost", s.WorkersLost, s.Workers[1].Ended)
	}
	if led.Cost.GreaterThan(budget) || s.Meter.Spent.GreaterThan(budget) {
		t.Errorf("the mock billed %s, the ledger spent %s: over the budget %s", led.Cost, s.Meter.Spent, budget)
	}
	if s.Meter.Spent.LessThan(led.Cost) {
		t.Errorf("the ledger spent %s, less than the mock billed (%s): the killed worker's reservations were not charged", s.Meter.Spent, led.Cost)
	}
}

// TestWorkersRedisStops: Redis stops mid-run. Every worker stops sending within the ledger's
// grace period, and the coordinator ends ledger_unreachable, exit 5, with a summary.
func TestWorkersRedisStops(t *testing.T) {
	t.Parallel()
	redisSrv := redistest.Start(t)
	base := startFleetMock(t, "default", 0.01)
	out := filepath.Join(t.TempDir(), "run.json")
	r := startFleetRun(t, "run", writePlan(t, fleetPlan, base), "--scenario", "long", "--workers", "3", "--budget", "50",
		"--allow-over-budget", "--ledger", redisSrv.URL(), "--run-id", "redis-stops", "--quiet", "--json", out)
	workerPIDs(t, redisSrv.URL(), "redis-stops", 3)
	awaitRequests(t, base, 20, r)
	redisSrv.Stop()
	stopped := time.Now()
	// Nothing is sent after the grace period (and a request's time): the mock's count then
	// is its count at the end.
	time.Sleep(redisledger.DefaultGrace + time.Second)
	atGrace := ledgerRequests(mockLedger(t, base))
	code := r.wait(t, 30*time.Second)
	took := time.Since(stopped)
	final := ledgerRequests(mockLedger(t, base))
	t.Logf("Redis stopped: the coordinator ended after %s, exit %d; the mock served %d requests at the grace, %d at the end", took.Round(time.Millisecond), code, atGrace, final)
	if code != exitFailed {
		t.Errorf("exit %d, want 5\nstderr:\n%s", code, r.stderr.String())
	}
	if final != atGrace {
		t.Errorf("the mock served %d requests after the grace period", final-atGrace)
	}
	if took > redisledger.DefaultGrace+8*time.Second {
		t.Errorf("the coordinator ended %s after Redis stopped", took)
	}
	s := readSummary(t, out)
	if s.StopReason != summary.StopLedgerUnreachable || s.ExitCode != exitFailed {
		t.Errorf("stop_reason %s, exit_code %d; want ledger_unreachable, 5", s.StopReason, s.ExitCode)
	}
}

// TestFleetFlags: bad combinations of the fleet flags are usage errors (exit 2), before
// anything starts.
func TestFleetFlags(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, fleetPlan, "http://127.0.0.1:1")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"both", []string{"--workers", "2", "--expect-workers", "2"}, "not both"},
		{"expect without ledger", []string{"--expect-workers", "2"}, "--expect-workers needs --ledger"},
		{"loss without workers", []string{"--fail-on-worker-loss"}, "--fail-on-worker-loss is for a run with --workers"},
		{"negative", []string{"--workers", "-1"}, "take 1 or more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, append([]string{"run", plan, "--scenario", "quick"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
	code, _, stderr := runCLI(t, "worker", "--ledger", "redis://127.0.0.1:1/0")
	if code != exitUsage || !strings.Contains(stderr, "--run ID") {
		t.Errorf("worker without --run: exit %d, %q; want 2", code, stderr)
	}
}
