// Package fleet coordinates the worker processes of one run through the Redis that holds the
// run's ledger (meter/redisledger): the run's definition, a start barrier, a stop broadcast
// and a stream of per-second statistics, so that a run spread over many processes or
// machines is one run, with one budget, one live view and one summary. It is not a protocol
// of our own beside Redis: every step is a plain Redis command on keys under the run's
// prefix, loadplan:{RUN}:fleet:..., which any redis-cli can read.
//
//	c, err := fleet.Dial(ctx, "redis://redis:6379/0", os.Getenv("REDIS_PASSWORD"), "nightly-42")
//	// the coordinator
//	err = c.Publish(ctx, def)                  // the plan, its data, the flags, the bounds
//	start, err := c.AwaitReady(ctx, 8, time.Minute)
//	reports, next, err := c.Reports(ctx, next, time.Second) // progress and final summaries
//	err = c.Halt(ctx, fleet.Stop{Reason: "interrupted"})
//	// a worker
//	def, err := c.Definition(ctx, time.Minute)
//	err = c.Ready(ctx, fleet.Member{Index: 3, Host: host})
//	start, err := c.AwaitStart(ctx)
//	pos, n, ok := start.Position(3)            // this worker's share: schedule.Share(users, n, pos)
//	stops := c.Watch(ctx, 250*time.Millisecond)
//	err = c.Send(ctx, fleet.Report{Index: 3, Kind: fleet.KindProgress, Progress: &p})
//
// # The keys
//
//   - def: the Definition (JSON), set once by the coordinator (SET NX: a run ID names one run).
//   - ready: a hash of the workers that are ready, index to Member; HSETNX, so two workers
//     cannot take one index.
//   - start: set by the coordinator when every expected worker is ready or the barrier's
//     timeout has passed: the start time and the workers present. A worker sends nothing
//     before it sees it; a worker that arrives after it is turned away (ErrStarted), since
//     the load was split among those present.
//   - stop and abort: the stop broadcast, set by whoever stops the run first (SET NX, so the
//     first reason stays); workers poll them (Watch), a GET every 250 ms.
//   - stats: a stream of Reports (XADD), a progress report a second from each worker and its
//     final summary at the end; the coordinator reads it from the start (XREAD BLOCK).
//
// Every key expires a day after it was last written, as the ledger's do.
//
// A worker that sends nothing for a while (the coordinator's LostAfter) is lost: the
// coordinator reports it, and the ledger charges its reservations in full once its lease
// lapses. When Redis cannot be reached, a worker's run stops through its ledger
// (ledger_unreachable, within the ledger's grace) and Watch delivers the same stop when its
// own polls fail for as long.
package fleet
