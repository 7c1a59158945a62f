package meter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// d parses a decimal literal; tests write money as text, never as a float.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// dp is d as a pointer, for budgets.
func dp(s string) *decimal.Decimal { v := d(s); return &v }

// testTimeout bounds every wait in these tests, so that a bug fails a test instead of hanging it.
const testTimeout = 5 * time.Second

// eventually waits until cond holds, failing the test after testTimeout. It only synchronises
// the test with goroutines it started; the ledger itself never polls.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type reserveResult struct {
	r   Reservation
	err error
}

// reserveAsync starts a Reserve in a goroutine and returns where its result will arrive.
func reserveAsync(ctx context.Context, l *Local, worst string) <-chan reserveResult {
	ch := make(chan reserveResult, 1)
	go func() {
		r, err := l.Reserve(ctx, d(worst))
		ch <- reserveResult{r, err}
	}()
	return ch
}

// await receives a Reserve's result, failing the test after testTimeout.
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

func mustReserve(t *testing.T, l *Local, worst string) Reservation {
	t.Helper()
	r, err := l.Reserve(context.Background(), d(worst))
	if err != nil {
		t.Fatalf("Reserve(%s): %v", worst, err)
	}
	return r
}

// checkMoney compares decimals with Cmp: 1.5 and 1.50 are the same money.
func checkMoney(t *testing.T, name string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}

func TestNewCopiesBudget(t *testing.T) {
	b := d("1")
	l := New(&b)
	b = d("100")
	if _, err := l.Reserve(context.Background(), d("2")); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("Reserve(2) on a budget of 1 changed after New: err = %v", err)
	}
	s := l.Snapshot()
	*s.Budget = d("50")
	if got := l.Snapshot().Budget; !got.Equal(d("1")) {
		t.Errorf("Budget = %s after a snapshot's copy changed, want 1", got)
	}
}

func TestReleaseErr(t *testing.T) {
	l := New(dp("1"))
	r := mustReserve(t, l, "0.5")
	if err := l.ReleaseErr(r); err != nil {
		t.Fatalf("first ReleaseErr: %v", err)
	}
	if err := l.ReleaseErr(r); !errors.Is(err, ErrUnknownReservation) {
		t.Errorf("second ReleaseErr: err = %v, want ErrUnknownReservation", err)
	}
	if err := l.ReleaseErr(Reservation{}); !errors.Is(err, ErrUnknownReservation) {
		t.Errorf("ReleaseErr(zero Reservation): err = %v, want ErrUnknownReservation", err)
	}
}

func TestReserveWokenBySettle(t *testing.T) {
	l := New(dp("1"))
	first := mustReserve(t, l, "0.6")
	ch := reserveAsync(context.Background(), l, "0.6") // 0.6 + 0.6 > 1: waits
	eventually(t, "the second Reserve waits", func() bool { return l.Snapshot().Waiting == 1 })
	select {
	case res := <-ch:
		t.Fatalf("Reserve returned %+v while it could not fit", res)
	default:
	}
	if err := l.Settle(first, Charge{Actual: d("0.3")}); err != nil { // 0.3 + 0.6 <= 1
		t.Fatal(err)
	}
	res := await(t, ch)
	if res.err != nil {
		t.Fatalf("woken Reserve: %v", res.err)
	}
	s := l.Snapshot()
	checkMoney(t, "Spent", s.Spent, "0.3")
	checkMoney(t, "Reserved", s.Reserved, "0.6")
	if s.Waiting != 0 || s.InFlight != 1 {
		t.Errorf("Waiting = %d, InFlight = %d, want 0, 1", s.Waiting, s.InFlight)
	}
}

func TestReserveWokenByRelease(t *testing.T) {
	l := New(dp("1"))
	first := mustReserve(t, l, "0.6")
	ch := reserveAsync(context.Background(), l, "1")
	eventually(t, "the second Reserve waits", func() bool { return l.Snapshot().Waiting == 1 })
	l.Release(first)
	if res := await(t, ch); res.err != nil {
		t.Fatalf("woken Reserve: %v", res.err)
	}
	checkMoney(t, "Reserved", l.Snapshot().Reserved, "1")
}

// TestExhaustionOnlyWhenNothingInFlight checks that a Reserve that cannot fit keeps waiting
// while any priced reservation is in flight, even after settles that do not make enough room,
// and returns ErrBudgetExhausted when the last one settles.
func TestExhaustionOnlyWhenNothingInFlight(t *testing.T) {
	l := New(dp("1"))
	a := mustReserve(t, l, "0.4")
	b := mustReserve(t, l, "0.4")
	free := mustReserve(t, l, "0")
	ch := reserveAsync(context.Background(), l, "0.5") // 0.8 + 0.5 > 1
	eventually(t, "the Reserve waits", func() bool { return l.Snapshot().Waiting == 1 })

	// spent 0.35, reserved 0.4: 0.35 + 0.4 + 0.5 > 1, and b is still in flight.
	if err := l.Settle(a, Charge{Actual: d("0.35")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Reserve waits again", func() bool { return l.Snapshot().Waiting == 1 })
	select {
	case res := <-ch:
		t.Fatalf("Reserve returned %+v with a reservation still in flight", res)
	default:
	}
	if l.Snapshot().Exhausted {
		t.Fatal("exhausted with a reservation still in flight")
	}

	// spent 0.7, nothing priced in flight (the free request cannot make room): 0.7 + 0.5 > 1.
	if err := l.Settle(b, Charge{Actual: d("0.35")}); err != nil {
		t.Fatal(err)
	}
	if res := await(t, ch); !errors.Is(res.err, ErrBudgetExhausted) {
		t.Fatalf("Reserve: err = %v, want ErrBudgetExhausted", res.err)
	}
	s := l.Snapshot()
	if !s.Exhausted {
		t.Error("Snapshot().Exhausted = false")
	}
	// The bound: spent 0.7 >= budget 1 - largest 0.5.
	if s.Spent.LessThan(s.Budget.Sub(s.LargestReservation)) {
		t.Errorf("spent %s < budget %s - largest %s", s.Spent, s.Budget, s.LargestReservation)
	}
	// Requests in flight still settle; new ones are refused at once.
	if err := l.Settle(free, Charge{}); err != nil {
		t.Errorf("settling the free request after exhaustion: %v", err)
	}
	if _, err := l.Reserve(context.Background(), d("0.01")); !errors.Is(err, ErrBudgetExhausted) {
		t.Errorf("Reserve after exhaustion: err = %v, want ErrBudgetExhausted", err)
	}
}

// TestExhaustionWakesAllWaiters: the waiter that finds the ledger exhausted wakes the others,
// which return ErrBudgetExhausted at once.
func TestExhaustionWakesAllWaiters(t *testing.T) {
	l := New(dp("1"))
	a := mustReserve(t, l, "0.9")
	const n = 8
	chs := make([]<-chan reserveResult, n)
	for i := range chs {
		chs[i] = reserveAsync(context.Background(), l, "0.5")
	}
	eventually(t, "all Reserves wait", func() bool { return l.Snapshot().Waiting == n })
	// spent 0.6, nothing in flight: 0.6 + 0.5 > 1 for every waiter.
	if err := l.Settle(a, Charge{Actual: d("0.6")}); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chs {
		if res := await(t, ch); !errors.Is(res.err, ErrBudgetExhausted) {
			t.Errorf("Reserve %d: err = %v, want ErrBudgetExhausted", i, res.err)
		}
	}
	if s := l.Snapshot(); s.Waiting != 0 || !s.Exhausted {
		t.Errorf("Waiting = %d, Exhausted = %t; want 0, true", s.Waiting, s.Exhausted)
	}
}

func TestReserveCanceledWhileWaiting(t *testing.T) {
	l := New(dp("1"))
	first := mustReserve(t, l, "0.6")
	ctx, cancel := context.WithCancel(context.Background())
	ch := reserveAsync(ctx, l, "0.6")
	eventually(t, "the Reserve waits", func() bool { return l.Snapshot().Waiting == 1 })
	cancel()
	if res := await(t, ch); !errors.Is(res.err, context.Canceled) {
		t.Fatalf("Reserve: err = %v, want context.Canceled", res.err)
	}
	s := l.Snapshot()
	checkMoney(t, "Reserved", s.Reserved, "0.6")
	if s.Waiting != 0 || s.InFlight != 1 || s.Exhausted {
		t.Errorf("after cancel: Waiting = %d, InFlight = %d, Exhausted = %t; want 0, 1, false",
			s.Waiting, s.InFlight, s.Exhausted)
	}
	// The ledger still works: the settle wakes nobody, and room is there again.
	if err := l.Settle(first, Charge{Actual: d("0.1")}); err != nil {
		t.Fatal(err)
	}
	mustReserve(t, l, "0.9")
}

func TestReserveDeadlineWhileWaiting(t *testing.T) {
	l := New(dp("1"))
	mustReserve(t, l, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Reserve(ctx, d("0.01")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reserve: err = %v, want context.DeadlineExceeded", err)
	}
}

func TestReserveContextAlreadyDone(t *testing.T) {
	l := New(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Reserve(ctx, d("0")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Reserve: err = %v, want context.Canceled", err)
	}
	if n := l.Snapshot().InFlight; n != 0 {
		t.Errorf("InFlight = %d, want 0", n)
	}
}

// TestFreeRequestsNeverWait: with the budget fully reserved, free requests still pass.
func TestFreeRequestsNeverWait(t *testing.T) {
	l := New(dp("1"))
	mustReserve(t, l, "1")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for range 100 {
		r, err := l.Reserve(ctx, decimal.Zero)
		if err != nil {
			t.Fatalf("free Reserve: %v", err)
		}
		if err := l.Settle(r, Charge{}); err != nil {
			t.Fatal(err)
		}
	}
}
