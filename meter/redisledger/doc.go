// Package redisledger is a meter.Ledger kept in Redis, so that the worker processes of one
// run, on one machine or many, share one budget with the semantics of meter.Local: nothing is
// sent that was not reserved, and spent + reserved <= budget across every worker at every
// instant.
//
//	l, err := redisledger.Open(ctx, redisledger.Options{URL: "redis://127.0.0.1:6379/0",
//		Password: os.Getenv("REDIS_PASSWORD"), RunID: "nightly-42", Budget: &budget})
//	if err != nil { ... }
//	defer l.Close() // records what it could not, and leaves the run
//	r, err := l.Reserve(ctx, worst)
//	if errors.Is(err, meter.ErrLedgerUnreachable) { /* stop: ledger_unreachable */ }
//
// It lives apart from package meter so that only the programs that use it link go-redis.
//
// # The state
//
// Every key of a run starts with loadplan:{RUN}: (the braces make it one Redis Cluster hash
// slot, though a cluster is not supported: see Limits). "state" is a hash: budget, spent,
// reserved, estimated, largest, priced (the priced reservations in flight, every worker's),
// inflight, settled, overruns, misuses, abandoned, exhausted. "res:W" is worker W's
// reservations in flight (ID to amount), "lease:W" its lease, a key with a TTL; "workers" and
// "reaped" are the sets of live and dead workers; "waiting" a flag that is up while some
// Reserve waits; "wake" the pub/sub channel of wake-ups.
//
// # Why the invariant holds across processes
//
// meter/doc.go proves it for one process: spent, reserved and the reservations change only in
// steps that each keep spent + reserved <= budget, and each step happens under one lock hold.
// Here each step is one Lua script, and Redis runs a script atomically: no command of any
// client, on any machine, runs between its first command and its last. So a script is the
// lock hold, for every worker at once, and the steps are Local's:
//
//   - reserve adds worst to reserved only after checking spent + reserved + worst <= budget in
//     the same script (a free request adds nothing);
//   - settle moves a reservation a out of reserved and its charge c into spent: the sum
//     changes by c - a <= 0 unless c > a, an overrun; release removes a;
//   - two steps are new. When a worker's lease lapses (the janitor, below) its reservations
//     move from reserved to spent at their full amount: the sum does not change. When a worker
//     leaves (Close), what it still holds moves to spent in full, and what it was never given
//     (below) leaves reserved: the sum does not grow.
//
// Settle and release find their reservation in res:W and delete it in the same script, so a
// second call finds nothing (no double counting). Snapshot reads the state with one HMGET,
// which is one command, so what it shows is a state that existed.
//
// Exhaustion is Local's rule over the whole run: a reservation that does not fit marks the run
// exhausted only when priced is 0, that is when no priced reservation is in flight on any
// worker, live or dead-but-not-yet-noticed. Then nothing can make room (spent never shrinks),
// reserved is 0, and spent > budget - worst >= budget - largest, as in one process.
//
// # Waiting
//
// A Reserve that does not fit raises the "waiting" flag and waits; settles and releases that
// free priced room publish on "wake" while the flag is up, and every worker's subscription
// wakes its waiters, which run the reserve script again (a broadcast, as in Local). A waiter
// also looks again after 50 ms, doubling to 1 s, without a wake-up: a message can be lost
// while a subscription reconnects, and a lease that lapses publishes nothing. The wake-up
// cannot be missed between the script's answer and the wait: the waiter reads a generation
// counter before the script, and the subscription bumps it with every message.
//
// # Money in Lua
//
// Lua's numbers are doubles. Amounts are kept as integer strings of nano-USD (10^-9 USD, the
// "unit"), and Lua never adds money to store it: stored sums change only by HINCRBY with the
// amount's own string, which Redis adds as a 64-bit integer, exactly. Lua only compares
// (spent + reserved + worst <= budget, actual > reserved), and those comparisons are exact:
//
//   - Open refuses a budget, and Reserve and Settle an amount, above 2^53 - 1 units
//     ($9,007,199.254740991), and a double holds every integer up to 2^53 exactly, so
//     tonumber of each is exact, or, for a stored sum above 2^53 (only after an overrun or
//     with no budget), rounded to a double that is still >= 2^53, since rounding is monotonic.
//   - spent + reserved <= budget < 2^53 while no overrun happened, so spent + reserved is
//     exact; adding worst < 2^53 gives either the exact sum, when it is below 2^53, or a double
//     >= 2^53 > budget: the comparison's answer is right either way. After an overrun spent
//     may exceed the budget, and the sum, rounded, is then still > budget: no fit, rightly.
//   - A Lua number is never passed back as money (redis.call would format it with %.14g),
//     except the excess of a late settle, actual - amount, both below 2^53, so exact and
//     written with %.0f.
//
// Amounts with more decimal places than the unit are rounded so that the rounded figures bound
// the true ones: a reservation up, a charge and its estimated part up (the meter never
// undercounts; 0 <= estimated <= actual survives rounding up), the budget down. Then
// rounded spent + rounded reserved <= rounded budget implies the same of the true figures.
// Prices in the catalog are whole units per token (the smallest, $0.025 per million tokens,
// is 25 units), so in practice nothing rounds. A smaller unit would not do: at a pico-dollar,
// 2^53 units are $9,007, too small a budget.
//
// # Fail safe
//
// Each worker holds a lease, renewed every LeaseTTL/3 (1 s by default) by a goroutine bound to
// Open's ctx. Every script first checks its own worker's lease (a lapsed one: the worker is
// dead, its reservations charged, its answer "lost"), and at most every 100 ms looks for the
// other workers whose lease lapsed, the janitor step: their reservations are charged in full,
// flagged estimated (the requests may have been billed), never released, and the worker may
// not reserve again. A dead worker that was only slow learns it at its next call, and a late
// settle above its reservation still adds the excess, as an overrun.
//
// When Redis does not answer, a call tries again, pausing 10 ms doubling to 200 ms, until the
// grace period (2 s by default) has passed since the first failure of any call (the lease
// renewal's included). Then the ledger is unreachable for good: Reserve returns
// meter.ErrLedgerUnreachable, at once from then on, and the run stops; nothing was sent that
// Redis had not reserved. A settle or release Redis could not take is kept and recorded by
// Close; what this worker still holds at Close is charged in full; if Redis is still gone, the
// lease lapses and another worker's janitor charges it.
//
// A call's attempt is never cut by its ctx (only the pauses are), and a retried attempt is
// flagged: a reserve whose lost reply was a grant finds its ID already reserved and answers
// "ok"; a settle that finds nothing on a retry was done by the lost attempt, and its verdict is
// computed again from the worker's own record. A grant whose reply was lost and then given up
// is never used: Close releases it.
//
// A Redis that restarts and reloads an older snapshot of the run would have forgotten what was
// spent since, so a worker also stops when Redis's run_id (INFO server) changes, checked with
// each lease renewal: up to 1 s of reservations may go to the restarted server before that.
// Without persistence (the safe configuration) a restart loses the run's state, and every
// script answers "gone": the workers stop.
//
// # Limits
//
// Redis 5 or later (scripts call TIME, which needs effects replication, the only mode since
// Redis 7), a standalone server or a primary: scripts compute the key of another worker from
// the prefix, and replicas lag behind their primary, so Redis Cluster and failover are not
// supported. Run the ledger's Redis without persistence, or with appendfsync always.
package redisledger
