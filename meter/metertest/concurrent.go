package metertest

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
)

// NewLedgers returns the ledgers of one new run capped at budget (nil: unlimited): one for an
// in-process ledger, one per simulated worker for a shared one. It closes them in t.Cleanup.
type NewLedgers func(t *testing.T, budget *decimal.Decimal) []meter.Ledger

// Options tune Concurrent; zero values take the defaults.
type Options struct {
	Timeout time.Duration // bounds each case; default 5 s
}

const (
	goroutines = 64
	iterations = 120
)

// maxWorstUnits is the largest worst case Concurrent draws, in units of 0.0001 USD.
const maxWorstUnits = 100

func d(s string) decimal.Decimal   { return decimal.RequireFromString(s) }
func dp(s string) *decimal.Decimal { v := d(s); return &v }

// concurrentCase is one of Concurrent's runs: the seed of its draws and its budget.
type concurrentCase struct {
	name          string
	seed          uint64
	budget        *decimal.Decimal
	wantExhausted bool // 64 × 120 requests cost about $17 when nothing stops them
}

var concurrentCases = []concurrentCase{
	{"tiny budget", 1, dp("0.05"), true},
	{"small budget", 2, dp("0.5"), true},
	{"budget of 2", 3, dp("2"), true},
	{"budget of 5.0001", 4, dp("5.0001"), true},
	{"budget of 7", 5, dp("7"), true},
	{"budget never reached", 6, dp("1000"), false},
	{"no budget", 7, nil, false},
}

// Concurrent runs many goroutines that reserve random worst cases (0 to 0.01 USD, free
// requests included) and settle random actual costs at most the worst case, or release, and
// checks, after every operation, that spent + reserved <= budget on a snapshot, and at the end
// that the ledger's sums equal what the goroutines charged and that a run stopped by the budget
// spent at least budget - the largest worst case. Values are drawn from fixed seeds (the
// interleaving is the scheduler's); every case is bounded by Options.Timeout. Goroutine g uses
// ledger g mod len(ledgers).
func Concurrent(t *testing.T, newLedgers NewLedgers, o Options) {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	for _, tt := range concurrentCases {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
			defer cancel()
			ls := newLedgers(t, tt.budget)
			h := &hammer{t: t, seed: tt.seed}
			h.run(ctx, ls)
			s := ls[0].Snapshot()
			h.check(s)
			for _, l := range ls {
				s.Waiting += l.Snapshot().Waiting // each ledger counts its own waiters
			}
			h.checkEnd(s, tt)
			t.Logf("%d ledgers: spent %s of %v, largest %s, %d settles, up to %d waiting, exhausted %t, in %v",
				len(ls), s.Spent, s.Budget, s.LargestReservation, s.Settled, h.maxWaiting.Load(), s.Exhausted,
				time.Since(start).Round(time.Millisecond))
			if elapsed := time.Since(start); elapsed > o.Timeout {
				t.Errorf("took %v, more than %v", elapsed, o.Timeout)
			}
		})
	}
}

// hammer is one case of Concurrent: its goroutines, what each charged, and the invariant's
// violations seen on their snapshots.
type hammer struct {
	t             *testing.T
	seed          uint64
	violations    atomic.Int64
	maxWaiting    atomic.Int64
	exhaustedSeen atomic.Bool
	tallies       [goroutines]tally
}

// tally is what one goroutine charged.
type tally struct {
	spent, estimated decimal.Decimal
	settles          int64
}

// check holds a snapshot to the invariant: nothing negative, spent + reserved <= budget.
func (h *hammer) check(s meter.Snapshot) {
	if w := int64(s.Waiting); w > h.maxWaiting.Load() {
		h.maxWaiting.Store(w) // racy maximum: only logged
	}
	bad := s.Reserved.Sign() < 0 || s.Spent.Sign() < 0 || s.InFlight < 0 || s.Waiting < 0 ||
		(s.Budget != nil && s.Spent.Add(s.Reserved).GreaterThan(*s.Budget))
	if bad && h.violations.Add(1) <= 5 {
		h.t.Errorf("snapshot breaks the invariant: spent %s + reserved %s, budget %v, in flight %d",
			s.Spent, s.Reserved, s.Budget, s.InFlight)
	}
}

// run runs the goroutines to their end: each its iterations, or until the budget stops it.
func (h *hammer) run(ctx context.Context, ls []meter.Ledger) {
	var wg sync.WaitGroup
	for g := range goroutines {
		l := ls[g%len(ls)]
		wg.Go(func() { h.goroutine(ctx, g, l) })
	}
	wg.Wait()
}

// goroutine reserves, and settles or releases, iterations times on l, with draws from its
// own seed.
func (h *hammer) goroutine(ctx context.Context, g int, l meter.Ledger) {
	t := h.t
	rng := rand.New(rand.NewPCG(h.seed, uint64(g)+1))
	tl := &h.tallies[g]
	for range iterations {
		units := rng.Int64N(maxWorstUnits + 1) // 0: a free request
		worst := decimal.New(units, -4)
		stopped := h.exhaustedSeen.Load()
		r, err := l.Reserve(ctx, worst)
		h.check(l.Snapshot())
		if errors.Is(err, meter.ErrBudgetExhausted) {
			h.exhaustedSeen.Store(true)
			return
		}
		if err != nil {
			t.Errorf("goroutine %d: Reserve(%s): %v", g, worst, err)
			return
		}
		if stopped {
			t.Errorf("goroutine %d: Reserve(%s) granted after ErrBudgetExhausted", g, worst)
		}
		if !r.Amount.Equal(worst) {
			t.Errorf("goroutine %d: Amount = %s, want %s", g, r.Amount, worst)
		}
		if rng.IntN(4) == 0 {
			runtime.Gosched() // the request is in flight a little longer
		}
		if rng.IntN(10) == 0 {
			l.Release(r) // never sent
		} else {
			actual := rng.Int64N(units + 1)
			var estimated int64
			if rng.IntN(5) == 0 { // a cut stream: part of it unreported
				estimated = rng.Int64N(actual + 1)
			}
			c := meter.Charge{Actual: decimal.New(actual, -4), Estimated: decimal.New(estimated, -4)}
			if err := l.Settle(r, c); err != nil {
				t.Errorf("goroutine %d: Settle: %v", g, err)
			}
			tl.spent = tl.spent.Add(c.Actual)
			tl.estimated = tl.estimated.Add(c.Estimated)
			tl.settles++
		}
		h.check(l.Snapshot())
	}
}

// checkEnd checks the ledger at the end: its sums are what the goroutines charged, nothing
// is left reserved, and a run stopped by the budget spent at least budget - the largest
// worst case.
func (h *hammer) checkEnd(s meter.Snapshot, tt concurrentCase) {
	t := h.t
	var spent, estimated decimal.Decimal
	var settles int64
	for _, tl := range h.tallies {
		spent = spent.Add(tl.spent)
		estimated = estimated.Add(tl.estimated)
		settles += tl.settles
	}
	if !s.Spent.Equal(spent) || !s.Estimated.Equal(estimated) || s.Settled != settles {
		t.Errorf("ledger: spent %s, estimated %s, %d settles; goroutines charged %s, %s, %d",
			s.Spent, s.Estimated, s.Settled, spent, estimated, settles)
	}
	if s.Reserved.Sign() != 0 || s.InFlight != 0 || s.Waiting != 0 || s.Overruns != 0 || s.Misuses != 0 || s.Abandoned != 0 {
		t.Errorf("at the end: reserved %s, in flight %d, waiting %d, overruns %d, misuses %d, abandoned %d; want all 0",
			s.Reserved, s.InFlight, s.Waiting, s.Overruns, s.Misuses, s.Abandoned)
	}
	if s.Exhausted != tt.wantExhausted || h.exhaustedSeen.Load() != tt.wantExhausted {
		t.Errorf("Exhausted = %t (a goroutine saw it: %t), want %t",
			s.Exhausted, h.exhaustedSeen.Load(), tt.wantExhausted)
	}
	if s.Exhausted {
		// The bound, against the ledger's largest and against the largest that could be
		// drawn: spent >= budget - largest worst case.
		maxWorst := decimal.New(maxWorstUnits, -4)
		if s.LargestReservation.GreaterThan(maxWorst) {
			t.Errorf("LargestReservation = %s, above any worst case drawn (%s)", s.LargestReservation, maxWorst)
		}
		if s.Spent.LessThan(s.Budget.Sub(s.LargestReservation)) {
			t.Errorf("stopped by the budget with spent %s < budget %s - largest %s",
				s.Spent, s.Budget, s.LargestReservation)
		}
	}
}
