// Package meter is the live budget ledger of a run: every priced request reserves its
// worst-case cost before it is sent, and settles what it actually cost when its response has
// been read (or releases the reservation if it was never sent).
//
//	l := meter.New(&budget) // nil: no budget, still accounts
//	r, err := l.Reserve(ctx, worst)
//	if errors.Is(err, meter.ErrBudgetExhausted) { /* stop the run: budget_exhausted */ }
//	resp, err := send(ctx, req)
//	if err != nil && nothingWasSent { l.Release(r) }
//	err = l.Settle(r, meter.Charge{Actual: cost, Estimated: unreported})
//	if errors.Is(err, meter.ErrOverrun) { /* stop the run at once: overrun */ }
//	s := l.Snapshot() // spent, reserved, budget, in flight: the live view
//
// Money is USD in decimal.Decimal, exact: sums and differences never round, so reserved
// returns to exactly zero when the last reservation leaves.
//
// # The invariant, and why it holds
//
// While no overrun has happened, spent + reserved <= budget at every instant, whatever the
// concurrency; and a run stopped by the budget has spent at least budget - the largest single
// worst case, once its in-flight requests have settled.
//
// Spent, reserved and the set of reservations in flight change only under one mutex, and only
// in three steps, each of which keeps spent + reserved <= budget if it held before:
//
//   - Reserve adds worst to reserved only after checking spent + reserved + worst <= budget
//     under the same lock hold; no other goroutine can move spent or reserved between the check
//     and the addition. A free request (worst = 0) adds nothing, so it needs no check.
//   - Settle moves a reservation of amount a out of reserved and its actual cost c into spent:
//     the sum changes by c - a, which is <= 0 unless c > a, and that is an overrun (reported
//     with ErrOverrun; the run stops).
//   - Release removes a from reserved: the sum shrinks.
//
// A settle or release finds its reservation in the in-flight map and deletes it in the same
// lock hold, so a second settle or release of it finds nothing and changes nothing
// (ErrUnknownReservation): no double counting. Snapshot copies the fields under the lock, so
// what it shows is a state that existed, and the invariant can be checked on it.
//
// A Reserve that does not fit waits, without the lock, on a channel that the next settle or
// release of a priced reservation closes (and the next waiter replaces): that is the only event
// that can make room, because spent never shrinks. When, under the lock, the reservation does
// not fit and no priced reservation is in flight (free ones cannot make room), nothing can ever
// make room for it: the ledger marks itself exhausted, wakes every waiter, and every Reserve
// from then on returns ErrBudgetExhausted. At that instant reserved is zero (it is the sum of
// the priced reservations in flight) and spent + worst > budget, so spent > budget - worst >=
// budget - LargestReservation; spent only grows afterwards, since no more reservations are
// granted and the ones left in flight are free. Until then the run is never stopped for want
// of budget while a settle could still make room.
//
// Waiting is a broadcast: every waiter wakes and checks again under the lock, and the first to
// fit wins. A large worst case may wait while smaller ones keep fitting; and the first request
// found not to fit with nothing in flight stops the run, even if a smaller one (another waiter,
// or the next request) would still have fit. Both are within the bound above, which is what the
// design promises: the money left unspent is less than the largest single worst case.
//
// # A shared ledger in Redis
//
// Worker processes sharing one budget use package redisledger, a Ledger with these semantics
// whose state is in Redis; meter/metertest runs the same property test (64 goroutines, here
// over 4 ledgers of one run) and the same arithmetic table against both. The argument above
// carries over because Redis runs a Lua script atomically, for every client at once: each of
// Reserve, Settle and Release is one script, which is the lock hold, and the state it reads
// and writes (spent, reserved, estimated, largest, the count of priced reservations in flight,
// the exhausted flag, the reservations of each worker) is under one key prefix per run.
// "Nothing in flight" is the count over every worker, so one worker does not stop the run
// while another worker's request may still free room. Waiters are woken by a pub/sub message
// that the settle and release scripts publish, with polling as a backstop.
//
// Amounts are integers of nano-USD (10^-9), added only by Redis's 64-bit HINCRBY and merely
// compared in Lua, exact below 2^53 units ($9 million); amounts with more decimal places are
// rounded up when reserved or charged and the budget down, so the meter never undercounts.
// Each worker holds a lease renewed every second: a worker whose lease lapses is dead, and its
// reservations are charged in full, flagged estimated (Snapshot.Abandoned), never released.
// When Redis has been unreachable for longer than a grace period (2 s), Reserve returns
// ErrLedgerUnreachable and the run stops (ledger_unreachable): nothing is sent that was not
// reserved. The details and the proof that Lua's doubles compare exactly are in
// redisledger's package documentation.
package meter
