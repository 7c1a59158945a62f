package redisledger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/meter/metertest"
	"github.com/loadplan/loadplan/meter/redisledger/redistest"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 10 * time.Second

func d(s string) decimal.Decimal   { return decimal.RequireFromString(s) }
func dp(s string) *decimal.Decimal { v := d(s); return &v }

var runSeq atomic.Int64

// newRunID is a run ID no other test uses.
func newRunID() string { return fmt.Sprintf("test-%d-%d", time.Now().UnixNano(), runSeq.Add(1)) }

// open joins run id on srv as a new worker; t.Cleanup closes it. mod changes the options.
func open(t testing.TB, srv *server, id string, budget *decimal.Decimal, mod func(*Options)) *Ledger {
	t.Helper()
	o := Options{URL: srv.URL(), RunID: id, Budget: budget}
	if mod != nil {
		mod(&o)
	}
	l, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// workers returns n workers of one new run on the shared server.
func workers(n int) metertest.NewLedgers {
	return func(t *testing.T, budget *decimal.Decimal) []meter.Ledger {
		srv, id := sharedServer(t), newRunID()
		ls := make([]meter.Ledger, n)
		for i := range ls {
			ls[i] = open(t, srv, id, budget, nil)
		}
		return ls
	}
}

// TestConcurrentInvariant is meter's property test on a run of 4 workers sharing one budget
// in Redis: 64 goroutines, 16 on each worker's ledger, spent + reserved <= budget on every
// snapshot, the sums and the exhaustion bound at the end.
func TestConcurrentInvariant(t *testing.T) {
	t.Parallel()
	metertest.Concurrent(t, workers(4), metertest.Options{Timeout: 60 * time.Second})
}

// TestArithmetic is meter's arithmetic table on a Redis ledger: the same sums as meter.Local.
func TestArithmetic(t *testing.T) {
	t.Parallel()
	metertest.Arithmetic(t, workers(2))
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type reserveResult struct {
	r   meter.Reservation
	err error
	at  time.Time
}

func reserveAsync(ctx context.Context, l *Ledger, worst string) <-chan reserveResult {
	ch := make(chan reserveResult, 1)
	go func() {
		r, err := l.Reserve(ctx, d(worst))
		ch <- reserveResult{r, err, time.Now()}
	}()
	return ch
}

func await(t *testing.T, ch <-chan reserveResult) reserveResult {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(testTimeout):
		t.Fatal("Reserve did not return")
		return reserveResult{}
	}
}

func mustReserve(t *testing.T, l *Ledger, worst string) meter.Reservation {
	t.Helper()
	r, err := l.Reserve(ctxTimeout(t), d(worst))
	if err != nil {
		t.Fatalf("Reserve(%s): %v", worst, err)
	}
	return r
}

func checkMoney(t *testing.T, name string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}

// TestWaitAcrossWorkers: a Reserve on one worker waits for a reservation of another, and the
// other's settle wakes it.
func TestWaitAcrossWorkers(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	a, b := open(t, srv, id, dp("1"), nil), open(t, srv, id, dp("1"), nil)
	first := mustReserve(t, a, "0.6")
	ch := reserveAsync(ctxTimeout(t), b, "0.6") // 0.6 + 0.6 > 1: waits for a's
	eventually(t, "b's Reserve waits", func() bool { return b.Snapshot().Waiting == 1 })
	select {
	case res := <-ch:
		t.Fatalf("Reserve returned %+v while it could not fit", res)
	default:
	}
	if err := a.Settle(first, meter.Charge{Actual: d("0.3")}); err != nil { // 0.3 + 0.6 <= 1
		t.Fatal(err)
	}
	if res := await(t, ch); res.err != nil {
		t.Fatalf("woken Reserve: %v", res.err)
	}
	s := a.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.3")
	checkMoney(t, "Reserved", s.Reserved, "0.6")
	if s.InFlight != 1 || s.Waiting != 0 || b.Snapshot().Waiting != 0 {
		t.Errorf("InFlight = %d, Waiting = %d and %d; want 1, 0, 0", s.InFlight, s.Waiting, b.Snapshot().Waiting)
	}
}

// TestExhaustionAcrossWorkers: a Reserve that cannot fit waits while another worker has a
// priced reservation in flight, and the budget is exhausted for every worker when it settles.
func TestExhaustionAcrossWorkers(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	a, b := open(t, srv, id, dp("1"), nil), open(t, srv, id, dp("1"), nil)
	r1 := mustReserve(t, a, "0.4")
	r2 := mustReserve(t, a, "0.4")
	free := mustReserve(t, b, "0")
	ch := reserveAsync(ctxTimeout(t), b, "0.5") // 0.8 + 0.5 > 1
	eventually(t, "the Reserve waits", func() bool { return b.Snapshot().Waiting == 1 })
	if err := a.Settle(r1, meter.Charge{Actual: d("0.35")}); err != nil { // 0.35 + 0.4 + 0.5 > 1
		t.Fatal(err)
	}
	if a.Snapshot().Exhausted {
		t.Fatal("exhausted with a reservation still in flight on another worker")
	}
	if err := a.Settle(r2, meter.Charge{Actual: d("0.35")}); err != nil { // 0.7 + 0.5 > 1, none in flight
		t.Fatal(err)
	}
	if res := await(t, ch); !errors.Is(res.err, meter.ErrBudgetExhausted) {
		t.Fatalf("Reserve: err = %v, want ErrBudgetExhausted", res.err)
	}
	if _, err := a.Reserve(ctxTimeout(t), d("0.01")); !errors.Is(err, meter.ErrBudgetExhausted) {
		t.Errorf("the other worker's Reserve: err = %v, want ErrBudgetExhausted", err)
	}
	if err := b.Settle(free, meter.Charge{}); err != nil {
		t.Errorf("settling the free request after exhaustion: %v", err)
	}
	s := b.Snapshot()
	if !s.Exhausted || s.Spent.LessThan(s.Budget.Sub(s.LargestReservation)) {
		t.Errorf("Exhausted = %t, spent %s, budget %s, largest %s", s.Exhausted, s.Spent, s.Budget, s.LargestReservation)
	}
}

// TestLeaseLapseChargesDeadWorker: a worker that stops renewing its lease (its process died)
// has its reservations charged in full, flagged estimated, which lets the others go on; it
// may not reserve again, and its late settle adds what it cost above the reservation.
func TestLeaseLapseChargesDeadWorker(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	const ttl = time.Second // renewed every 333 ms: a test on a busy machine does not lapse it early
	deadCtx, die := context.WithCancel(context.Background())
	dead, err := Open(deadCtx, Options{URL: srv.URL(), RunID: id, Budget: dp("1"), LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dead.Close() })
	live := open(t, srv, id, dp("1"), nil)

	r1 := mustReserve(t, dead, "0.3")
	r2 := mustReserve(t, dead, "0.2")
	mustReserve(t, dead, "0") // free: charged nothing, but counted
	// 0.5 reserved + 0.6 > 1: the live worker waits while the dead one's reservations are in
	// flight, until its lease lapses; then spent 0.5 + 0.6 > 1 with nothing in flight:
	// exhausted.
	ch := reserveAsync(ctxTimeout(t), live, "0.6")
	eventually(t, "the live worker's Reserve waits", func() bool { return live.Snapshot().Waiting == 1 })
	die() // its lease is no longer renewed
	res := await(t, ch)
	if !errors.Is(res.err, meter.ErrBudgetExhausted) {
		t.Fatalf("Reserve on the live worker: err = %v, want ErrBudgetExhausted", res.err)
	}
	s := live.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.5")
	checkMoney(t, "Estimated", s.Estimated, "0.5")
	checkMoney(t, "Reserved", s.Reserved, "0")
	if s.Abandoned != 3 || s.InFlight != 0 || !s.Exhausted {
		t.Errorf("Abandoned = %d, InFlight = %d, Exhausted = %t; want 3, 0, true", s.Abandoned, s.InFlight, s.Exhausted)
	}

	// The dead worker learns it at its next call, and may not reserve any more.
	if _, err := dead.Reserve(context.Background(), d("0")); !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Errorf("Reserve on the dead worker: err = %v, want ErrLedgerUnreachable", err)
	}
	// Its request 1 cost 0.25, less than charged: the charge stays (never lower). Request 2
	// cost 0.26, above its reservation: the excess is added, as an overrun.
	if err := dead.Settle(r1, meter.Charge{Actual: d("0.25")}); !errors.Is(err, meter.ErrLedgerUnreachable) || errors.Is(err, meter.ErrOverrun) {
		t.Errorf("late settle under the reservation: err = %v, want ErrLedgerUnreachable only", err)
	}
	if err := dead.Settle(r2, meter.Charge{Actual: d("0.26")}); !errors.Is(err, meter.ErrLedgerUnreachable) || !errors.Is(err, meter.ErrOverrun) {
		t.Errorf("late settle above the reservation: err = %v, want ErrLedgerUnreachable and ErrOverrun", err)
	}
	s = live.Snapshot()
	checkMoney(t, "Spent after the late settles", s.Spent, "0.56") // 0.3 + 0.2 + (0.26 - 0.2)
	if s.Overruns != 1 {
		t.Errorf("Overruns = %d, want 1", s.Overruns)
	}
}

// TestKilledWorker: a worker process killed with SIGKILL while it holds reservations: the
// other worker waits for them until the dead one's lease lapses, then they are charged in
// full, flagged estimated, and the budget is exhausted.
func TestKilledWorker(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+srv.URL()+" "+id)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		if line != "reserved" {
			t.Fatalf("the worker process said %q, want reserved", line)
		}
	case <-time.After(testTimeout):
		t.Fatal("the worker process did not reserve")
	}

	live := open(t, srv, id, dp("1"), nil)
	ch := reserveAsync(ctxTimeout(t), live, "0.6") // 0.5 + 0.6 > 1: waits for the worker's
	eventually(t, "the Reserve waits", func() bool { return live.Snapshot().Waiting == 1 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	if res := await(t, ch); !errors.Is(res.err, meter.ErrBudgetExhausted) {
		t.Fatalf("Reserve: err = %v, want ErrBudgetExhausted", res.err)
	}
	s := live.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.5")
	checkMoney(t, "Estimated", s.Estimated, "0.5")
	checkMoney(t, "Reserved", s.Reserved, "0")
	if s.Abandoned != 2 || s.InFlight != 0 {
		t.Errorf("Abandoned = %d, InFlight = %d; want 2, 0", s.Abandoned, s.InFlight)
	}
}

// TestCloseChargesWhatItHolds: a worker that leaves with a reservation it never settled (its
// settle could not be recorded) has it charged in full; one it released is not.
func TestCloseChargesWhatItHolds(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	a := open(t, srv, id, dp("1"), nil)
	b := open(t, srv, id, dp("1"), nil)
	mustReserve(t, a, "0.25")
	a.Release(mustReserve(t, a, "0.5"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	s := b.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.25")
	checkMoney(t, "Estimated", s.Estimated, "0.25")
	checkMoney(t, "Reserved", s.Reserved, "0")
	if s.Abandoned != 1 || s.InFlight != 0 {
		t.Errorf("Abandoned = %d, InFlight = %d; want 1, 0", s.Abandoned, s.InFlight)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestUnitsRounding: amounts below the unit (10^-9 USD) are reserved and charged rounded up,
// the budget rounded down, so the rounded sums bound the true ones.
func TestUnitsRounding(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	l := open(t, srv, newRunID(), dp("0.0000000039"), nil) // 3.9 units: a budget of 3
	r, err := l.Reserve(ctxTimeout(t), d("0.0000000011"))  // 1.1 units: 2 reserved
	if err != nil {
		t.Fatal(err)
	}
	checkMoney(t, "Amount", r.Amount, "0.000000002")
	if err := l.Settle(r, meter.Charge{Actual: d("0.00000000101"), Estimated: d("0.0000000000001")}); err != nil {
		t.Fatal(err) // 1.01 units: 2 charged, not an overrun; estimated 0.0001 units: 1
	}
	s := l.Snapshot()
	checkMoney(t, "Budget", *s.Budget, "0.000000003")
	checkMoney(t, "Spent", s.Spent, "0.000000002")
	checkMoney(t, "Estimated", s.Estimated, "0.000000001")
	if _, err := l.Reserve(ctxTimeout(t), d("0.0000000001")); err != nil { // 2 + 1 <= 3
		t.Fatalf("Reserve of one unit: %v", err)
	}
	if _, err := l.Reserve(ctxTimeout(t), d("9007199.254740992")); !errors.Is(err, meter.ErrInvalidAmount) {
		t.Errorf("Reserve above 2^53 - 1 units: err = %v, want ErrInvalidAmount", err)
	}
}

// TestBudgetOfTheRun: a worker joining a run with another budget is refused.
func TestBudgetOfTheRun(t *testing.T) {
	t.Parallel()
	srv, id := sharedServer(t), newRunID()
	open(t, srv, id, dp("1.5"), nil)
	for _, budget := range []*decimal.Decimal{dp("2"), nil} {
		_, err := Open(context.Background(), Options{URL: srv.URL(), RunID: id, Budget: budget})
		if err == nil || !strings.Contains(err.Error(), "budget of 1.5 USD") {
			t.Errorf("Open with budget %v: err = %v, want the run's budget named", budget, err)
		}
	}
	l := open(t, srv, id, dp("1.50"), nil) // the same money
	mustReserve(t, l, "1.5")
}

// TestRedisStopped: Redis dies mid-run. Reserve returns ErrLedgerUnreachable within the grace
// period and a bound, and so does every later Reserve, at once; nothing is reserved after.
func TestRedisStopped(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const grace = 500 * time.Millisecond
	l := open(t, srv, newRunID(), dp("1"), func(o *Options) { o.Grace = grace })
	r := mustReserve(t, l, "0.1")
	l.Snapshot() // the last state read
	srv.Stop()
	start := time.Now()
	_, err := l.Reserve(ctxTimeout(t), d("0.1"))
	took := time.Since(start)
	if !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Fatalf("Reserve with Redis stopped: err = %v, want ErrLedgerUnreachable", err)
	}
	// The bound: the grace, one attempt's timeout (grace/4), a pause between attempts, and
	// room for a busy machine.
	if bound := grace + time.Second; took > bound {
		t.Errorf("Reserve gave up after %v, more than %v", took, bound)
	}
	t.Logf("Reserve gave up after %v (grace %v): %v", took, grace, err)
	start = time.Now()
	if _, err := l.Reserve(ctxTimeout(t), d("0")); !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Errorf("the next Reserve: err = %v, want ErrLedgerUnreachable", err)
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("the next Reserve took %v: it should fail at once", took)
	}
	if err := l.Settle(r, meter.Charge{Actual: d("0.05")}); !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Errorf("Settle with Redis stopped: err = %v, want ErrLedgerUnreachable", err)
	}
	if s := l.Snapshot(); !s.Reserved.Equal(d("0.1")) || s.InFlight != 1 {
		t.Errorf("Snapshot with Redis stopped: reserved %s, in flight %d; want the last state read, 0.1 and 1", s.Reserved, s.InFlight)
	}
	if err := l.Close(); !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Errorf("Close with Redis stopped: err = %v, want ErrLedgerUnreachable", err)
	}
}

// TestRedisHangs: Redis stops answering (a paused process: a network partition) while Reserves
// are in flight. They return ErrLedgerUnreachable within the grace period and a bound; when
// Redis answers again, any reservation an unanswered attempt made is released by Close, the
// settle that could not be recorded is recorded, and the run's figures are exact.
func TestRedisHangs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const grace = 600 * time.Millisecond
	id := newRunID()
	l := open(t, srv, id, dp("1"), func(o *Options) { o.Grace = grace })
	r := mustReserve(t, l, "0.1")
	srv.Pause()
	start := time.Now()
	var chs []<-chan reserveResult
	for range 4 {
		chs = append(chs, reserveAsync(ctxTimeout(t), l, "0.1"))
	}
	for i, ch := range chs {
		res := await(t, ch)
		if !errors.Is(res.err, meter.ErrLedgerUnreachable) {
			t.Errorf("Reserve %d with Redis paused: err = %v, want ErrLedgerUnreachable", i, res.err)
		}
		if bound := grace + time.Second; res.at.Sub(start) > bound {
			t.Errorf("Reserve %d gave up after %v, more than %v", i, res.at.Sub(start), bound)
		}
	}
	if err := l.Settle(r, meter.Charge{Actual: d("0.07")}); !errors.Is(err, meter.ErrLedgerUnreachable) {
		t.Errorf("Settle with Redis paused: err = %v, want ErrLedgerUnreachable", err)
	}
	srv.Resume()
	if err := l.Close(); err != nil {
		t.Fatalf("Close once Redis answers: %v", err)
	}
	// A fresh worker reads the run: the settle was recorded at Close, nothing else is held.
	other := open(t, srv, id, dp("1"), nil)
	s := other.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.07")
	checkMoney(t, "Reserved", s.Reserved, "0")
	if s.InFlight != 0 || s.Abandoned != 0 || s.Settled != 1 {
		t.Errorf("InFlight = %d, Abandoned = %d, Settled = %d; want 0, 0, 1", s.InFlight, s.Abandoned, s.Settled)
	}
}

// TestRedisRestarted: Redis restarts from a snapshot of the run's state (persistence on, as in
// Debian's default configuration). The state may be older than what was spent, so the workers
// stop: ErrLedgerUnreachable, once a lease renewal has seen the new server.
func TestRedisRestarted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	persist := []string{"--dir", dir, "--dbfilename", "dump.rdb"}
	srv := redistest.Start(t, persist...)
	l := open(t, srv, newRunID(), dp("1"), nil)
	mustReserve(t, l, "0.1")
	if err := l.rdb.Save(ctxTimeout(t)).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	redistest.StartOn(t, srv.Port(), persist...)
	eventually(t, "Reserve fails", func() bool {
		_, err := l.Reserve(ctxTimeout(t), d("0"))
		return err != nil
	})
	_, err := l.Reserve(ctxTimeout(t), d("0"))
	if !errors.Is(err, meter.ErrLedgerUnreachable) || !strings.Contains(err.Error(), "restarted") {
		t.Errorf("Reserve after a restart: err = %v, want ErrLedgerUnreachable naming the restart", err)
	}
}

// TestPasswordNeverPrinted: the password, from the URL or from Options.Password, is in no
// error: a wrong one, a bad URL, an unreachable server.
func TestPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55"
	srv := redistest.Start(t, "--requirepass", secret)
	host := srv.Addr
	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "Pa55") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
	opts := func(url, password string) Options {
		return Options{URL: url, Password: password, RunID: newRunID(), Budget: dp("1"), Grace: 300 * time.Millisecond}
	}
	_, err := Open(context.Background(), opts("redis://:wrong-"+secret+"@"+host+"/0", ""))
	check("wrong password in the URL", err)
	_, err = Open(context.Background(), opts("redis://"+host+"/0", "wrong-"+secret))
	check("wrong password from the environment", err)
	_, err = Open(context.Background(), opts("redis://:"+secret+"@"+host+":99999999/0", ""))
	check("bad port", err)
	for name, url := range map[string]string{
		"unparsable URL": "redis://:" + secret + "@" + host + "/0%zz",
		"wrong scheme":   "http://:" + secret + "@" + host + "/0",
		"bad option":     "redis://:" + secret + "@" + host + "/0?dial_timeout=x" + secret,
	} {
		_, err = Open(context.Background(), opts(url, ""))
		check(name, err)
		if !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: err = %v, want ErrBadOptions", name, err)
		}
	}

	// The right password, in the URL and from the environment; then the server goes.
	l, err := Open(context.Background(), opts("redis://:"+secret+"@"+host+"/0", ""))
	if err != nil {
		t.Fatalf("Open with the password in the URL: %v", err)
	}
	defer l.Close()
	l2, err := Open(context.Background(), opts("redis://"+host+"/0", secret))
	if err != nil {
		t.Fatalf("Open with the password from the environment: %v", err)
	}
	defer l2.Close()
	mustReserve(t, l, "0.1")
	// A script error from the server carries the keys and arguments: none is the password.
	srv.Stop()
	_, err = l.Reserve(ctxTimeout(t), d("0.1"))
	check("unreachable, password in the URL", err)
	_, err = l2.Reserve(ctxTimeout(t), d("0.1"))
	check("unreachable, password from the environment", err)
	if !strings.Contains(err.Error(), host) {
		t.Errorf("the error does not name the server %s: %v", host, err)
	}
}

// TestTransient: network failures and a server starting or failing over are waited out; other
// server errors are bugs, reported at once.
func TestTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), true},
		{context.DeadlineExceeded, true},
		{redis.ErrClosed, false},
		{redisErr("LOADING Redis is loading the dataset in memory"), true},
		{redisErr("BUSY Redis is busy running a script"), true},
		{redisErr("ERR Error running script: attempt to compare nil with number"), false},
		{redisErr("NOSCRIPT No matching script"), false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}

type redisErr string

func (e redisErr) Error() string { return string(e) }
func (redisErr) RedisError()     {}
