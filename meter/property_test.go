package meter

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
)

// maxWorstUnits is the largest worst case the property test draws, in units of 0.0001 USD.
const maxWorstUnits = 100

// TestConcurrentInvariant runs many goroutines that reserve random worst cases (0 to 0.01 USD,
// free requests included) and settle random actual costs at most the worst case, or release,
// and checks, after every operation, that spent + reserved <= budget on a snapshot, and at the
// end that the ledger's sums equal what the goroutines charged and that a run stopped by the
// budget spent at least budget - the largest worst case. Values are drawn from fixed seeds (the
// interleaving is the scheduler's); every case is bounded by testTimeout.
func TestConcurrentInvariant(t *testing.T) {
	const (
		workers    = 64
		iterations = 120
	)
	tests := []struct {
		name          string
		seed          uint64
		budget        *decimal.Decimal
		wantExhausted bool // 64 × 120 requests cost about $17 when nothing stops them
	}{
		{"tiny budget", 1, dp("0.05"), true},
		{"small budget", 2, dp("0.5"), true},
		{"budget of 2", 3, dp("2"), true},
		{"budget of 5.0001", 4, dp("5.0001"), true},
		{"budget of 7", 5, dp("7"), true},
		{"budget never reached", 6, dp("1000"), false},
		{"no budget", 7, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			l := New(tt.budget)

			var violations, maxWaiting atomic.Int64
			check := func(s Snapshot) {
				if w := int64(s.Waiting); w > maxWaiting.Load() {
					maxWaiting.Store(w) // racy maximum: only logged
				}
				bad := s.Reserved.Sign() < 0 || s.Spent.Sign() < 0 || s.InFlight < 0 || s.Waiting < 0 ||
					(s.Budget != nil && s.Spent.Add(s.Reserved).GreaterThan(*s.Budget))
				if bad && violations.Add(1) <= 5 {
					t.Errorf("snapshot breaks the invariant: spent %s + reserved %s, budget %v, in flight %d",
						s.Spent, s.Reserved, s.Budget, s.InFlight)
				}
			}

			var exhaustedSeen atomic.Bool
			type tally struct {
				spent, estimated decimal.Decimal
				settles          int64
			}
			tallies := make([]tally, workers)
			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(tt.seed, uint64(g)+1))
					tl := &tallies[g]
					for range iterations {
						units := rng.Int64N(maxWorstUnits + 1) // 0: a free request
						worst := decimal.New(units, -4)
						stopped := exhaustedSeen.Load()
						r, err := l.Reserve(ctx, worst)
						check(l.Snapshot())
						if errors.Is(err, ErrBudgetExhausted) {
							exhaustedSeen.Store(true)
							return
						}
						if err != nil {
							t.Errorf("worker %d: Reserve(%s): %v", g, worst, err)
							return
						}
						if stopped {
							t.Errorf("worker %d: Reserve(%s) granted after ErrBudgetExhausted", g, worst)
						}
						if !r.Amount.Equal(worst) {
							t.Errorf("worker %d: Amount = %s, want %s", g, r.Amount, worst)
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
							c := Charge{Actual: decimal.New(actual, -4), Estimated: decimal.New(estimated, -4)}
							if err := l.Settle(r, c); err != nil {
								t.Errorf("worker %d: Settle: %v", g, err)
							}
							tl.spent = tl.spent.Add(c.Actual)
							tl.estimated = tl.estimated.Add(c.Estimated)
							tl.settles++
						}
						check(l.Snapshot())
					}
				})
			}
			wg.Wait()

			var spent, estimated decimal.Decimal
			var settles int64
			for _, tl := range tallies {
				spent = spent.Add(tl.spent)
				estimated = estimated.Add(tl.estimated)
				settles += tl.settles
			}
			s := l.Snapshot()
			check(s)
			if !s.Spent.Equal(spent) || !s.Estimated.Equal(estimated) || s.Settled != settles {
				t.Errorf("ledger: spent %s, estimated %s, %d settles; workers charged %s, %s, %d",
					s.Spent, s.Estimated, s.Settled, spent, estimated, settles)
			}
			if s.Reserved.Sign() != 0 || s.InFlight != 0 || s.Waiting != 0 || s.Overruns != 0 || s.Misuses != 0 {
				t.Errorf("at the end: reserved %s, in flight %d, waiting %d, overruns %d, misuses %d; want all 0",
					s.Reserved, s.InFlight, s.Waiting, s.Overruns, s.Misuses)
			}
			if s.Exhausted != tt.wantExhausted || exhaustedSeen.Load() != tt.wantExhausted {
				t.Errorf("Exhausted = %t (a worker saw it: %t), want %t",
					s.Exhausted, exhaustedSeen.Load(), tt.wantExhausted)
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
			t.Logf("spent %s of %v, largest %s, %d settles, up to %d waiting, exhausted %t",
				s.Spent, s.Budget, s.LargestReservation, s.Settled, maxWaiting.Load(), s.Exhausted)
			if elapsed := time.Since(start); elapsed > testTimeout {
				t.Errorf("took %v, more than %v", elapsed, testTimeout)
			}
		})
	}
}

func BenchmarkReserveSettle(b *testing.B) {
	budget := d("1000000000")
	l := New(&budget)
	worst, actual := d("0.003"), d("0.0021")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := l.Reserve(ctx, worst)
			if err != nil {
				b.Error(err)
				return
			}
			if err := l.Settle(r, Charge{Actual: actual}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReserveReleaseContended: the budget holds 4 reservations, so most Reserves wait for
// a release: the cost of the broadcast.
func BenchmarkReserveReleaseContended(b *testing.B) {
	budget := d("0.012")
	l := New(&budget)
	worst := d("0.003")
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines for 4 slots
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := l.Reserve(ctx, worst)
			if err != nil {
				b.Error(err)
				return
			}
			l.Release(r)
		}
	})
}
