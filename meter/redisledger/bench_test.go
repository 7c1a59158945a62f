package redisledger

import (
	"context"
	"testing"

	"github.com/loadplan/loadplan/meter"
)

// BenchmarkReserveSettle is one request's cost to the ledger, reserve then settle, through
// Redis on loopback, one request at a time: two script round trips. Compare with meter's
// BenchmarkReserveSettle (in-process).
func BenchmarkReserveSettle(b *testing.B) {
	l := open(b, sharedServer(b), newRunID(), dp("1000000"), nil)
	worst, actual := d("0.003"), d("0.0021")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := l.Reserve(ctx, worst)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Settle(r, meter.Charge{Actual: actual}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveSettleParallel: the same with 64 goroutines (users) on one worker's ledger:
// the throughput of one worker's connection pool and of Redis's single thread.
func BenchmarkReserveSettleParallel(b *testing.B) {
	l := open(b, sharedServer(b), newRunID(), dp("1000000"), nil)
	worst, actual := d("0.003"), d("0.0021")
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(32) // 32 × GOMAXPROCS goroutines
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

// BenchmarkPing is one round trip to the same server, for scale: a reserve and a settle are
// two, each a script.
func BenchmarkPing(b *testing.B) {
	l := open(b, sharedServer(b), newRunID(), nil, nil)
	ctx := context.Background()
	for b.Loop() {
		if err := l.rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err) // a read timeout (grace/4, 500 ms) on a starved machine
		}
	}
}
