package meter_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/meter/metertest"
)

// local is one in-process ledger: every goroutine of a test shares it.
func local(t *testing.T, budget *decimal.Decimal) []meter.Ledger {
	return []meter.Ledger{meter.New(budget)}
}

// TestConcurrentInvariant: spent + reserved <= budget on every snapshot under 64 goroutines,
// and the sums and the exhaustion bound at the end (metertest.Concurrent).
func TestConcurrentInvariant(t *testing.T) {
	metertest.Concurrent(t, local, metertest.Options{})
}

// TestArithmetic: the sums after short sequences of operations (metertest.Arithmetic).
func TestArithmetic(t *testing.T) {
	metertest.Arithmetic(t, local)
}

func BenchmarkReserveSettle(b *testing.B) {
	budget := decimal.RequireFromString("1000000000")
	l := meter.New(&budget)
	worst, actual := decimal.RequireFromString("0.003"), decimal.RequireFromString("0.0021")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := l.Reserve(ctx, worst)
			if err != nil {
				b.Error(err)
				return
			}
			if err := l.Settle(r, meter.Charge{Actual: actual}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReserveReleaseContended: the budget holds 4 reservations, so most Reserves wait for
// a release: the cost of the broadcast.
func BenchmarkReserveReleaseContended(b *testing.B) {
	budget := decimal.RequireFromString("0.012")
	l := meter.New(&budget)
	worst := decimal.RequireFromString("0.003")
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
