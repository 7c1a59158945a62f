package redisledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
)

// waitFlagTTL is how long the waiters' flag outlives the last Reserve told to wait: longer
// than a waiter sleeps between two looks (lastPoll), so that the flag is up while anyone waits
// and settles publish wake-ups only then.
const waitFlagTTL = 3 * lastPoll

// Reserve implements meter.Ledger, with meter.Local's semantics across every worker of the
// run: it waits while priced reservations are in flight anywhere in the run, and returns
// meter.ErrBudgetExhausted when the reservation does not fit and none is. A worst case with
// more decimal places than the unit (10^-9 USD) is reserved rounded up; Amount is what was
// reserved. When Redis has been unreachable for longer than the grace period, or this worker's
// lease lapsed, it returns an error wrapping meter.ErrLedgerUnreachable, and so does every
// later Reserve.
func (l *Ledger) Reserve(ctx context.Context, worst decimal.Decimal) (meter.Reservation, error) {
	if worst.Sign() < 0 {
		return meter.Reservation{}, fmt.Errorf("reserve %s: %w", worst, meter.ErrInvalidAmount)
	}
	units, ok := toUnits(worst, roundUp)
	if !ok {
		return meter.Reservation{}, fmt.Errorf("reserve %s: above the largest amount a Redis ledger takes, %s: %w",
			worst, maxAmount, meter.ErrInvalidAmount)
	}
	if err := ctx.Err(); err != nil {
		return meter.Reservation{}, err
	}
	if err := l.failure(); err != nil {
		return meter.Reservation{}, err
	}
	id := l.nextID.Add(1)
	idText, amount := strconv.FormatUint(id, 10), unitText(units)
	poll := firstPoll
	var timer *time.Timer
	for {
		gen := l.gen.Load()
		v, err := l.call(ctx, reserveScript, true, false, idText, amount, ms(waitFlagTTL))
		if err != nil {
			return meter.Reservation{}, err
		}
		switch v[0] {
		case "ok":
			l.mu.Lock()
			l.held[id] = units
			l.mu.Unlock()
			return meter.Reservation{ID: id, Amount: fromUnits(units)}, nil
		case "exhausted":
			return meter.Reservation{}, meter.ErrBudgetExhausted
		case "wait":
		default:
			return meter.Reservation{}, l.latch(v[0])
		}
		// Wait for a wake-up published since the script answered, or poll.
		l.mu.Lock()
		if l.gen.Load() != gen {
			l.mu.Unlock()
			continue
		}
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		wake := l.wake
		l.waiting++
		l.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(poll)
			defer timer.Stop()
		} else {
			timer.Reset(poll)
		}
		select {
		case <-wake:
			poll = firstPoll
		case <-timer.C:
			poll = min(2*poll, lastPoll)
		case <-ctx.Done():
		}
		l.mu.Lock()
		l.waiting--
		l.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return meter.Reservation{}, err
		}
		if err := l.failure(); err != nil {
			return meter.Reservation{}, err
		}
	}
}

// Settle implements meter.Ledger. The charge is rounded up to the unit (10^-9 USD), its
// estimated part too: the meter never undercounts. A charge above the largest amount
// ($9,007,199.254740991) is invalid, like a negative one: meter.ErrInvalidAmount, and the
// reservation is charged in full, flagged estimated. When Redis cannot record it within the
// grace period (or at once, once the ledger is unreachable) it returns an error wrapping
// meter.ErrLedgerUnreachable and Close records it; a worker declared dead gets the same error,
// and a charge above the reservation still adds its excess and wraps meter.ErrOverrun too.
func (l *Ledger) Settle(r meter.Reservation, c meter.Charge) error {
	p := pending{id: r.ID, op: "settle"}
	p.valid = c.Actual.Sign() >= 0 && c.Estimated.Sign() >= 0 && c.Estimated.Cmp(c.Actual) <= 0
	if p.valid {
		var okA, okE bool
		p.actual, okA = toUnits(c.Actual, roundUp)
		p.estimated, okE = toUnits(c.Estimated, roundUp)
		p.valid = okA && okE
	}
	v, amount, err := l.finish(p, false)
	if err != nil {
		return fmt.Errorf("settle reservation %d: %w", r.ID, err)
	}
	switch v[0] {
	case "ok":
		return nil
	case "unknown":
		return fmt.Errorf("settle reservation %d: %w", r.ID, meter.ErrUnknownReservation)
	case "invalid":
		return fmt.Errorf("settle reservation %d: charge %s (estimated %s): %w", r.ID, c.Actual, c.Estimated, meter.ErrInvalidAmount)
	case "overrun":
		return fmt.Errorf("settle reservation %d: charge %s above reservation %s: %w",
			r.ID, c.Actual, fromUnits(amount), meter.ErrOverrun)
	case "retried":
		// The attempt whose reply was lost settled it: its verdict is computed again here.
		switch {
		case !p.valid:
			return fmt.Errorf("settle reservation %d: charge %s (estimated %s): %w", r.ID, c.Actual, c.Estimated, meter.ErrInvalidAmount)
		case amount >= 0 && p.actual > amount:
			return fmt.Errorf("settle reservation %d: charge %s above reservation %s: %w",
				r.ID, c.Actual, fromUnits(amount), meter.ErrOverrun)
		}
		return nil
	case "lost":
		err := l.latch("lost")
		if p.valid && amount >= 0 && p.actual > amount {
			err = errors.Join(err, fmt.Errorf("charge %s above reservation %s: %w", c.Actual, fromUnits(amount), meter.ErrOverrun))
		}
		return fmt.Errorf("settle reservation %d: %w", r.ID, err)
	}
	return fmt.Errorf("settle reservation %d: %w", r.ID, l.latch(v[0]))
}

// Release implements meter.Ledger; ReleaseErr reports what went wrong.
func (l *Ledger) Release(r meter.Reservation) { _ = l.ReleaseErr(r) }

// ReleaseErr is Release that reports a reservation this ledger does not hold with
// meter.ErrUnknownReservation, and one Redis could not record with meter.ErrLedgerUnreachable
// (Close records it, or the run charges it in full). A reservation of a worker declared dead
// stays charged: its release returns meter.ErrLedgerUnreachable.
func (l *Ledger) ReleaseErr(r meter.Reservation) error {
	v, _, err := l.finish(pending{id: r.ID, op: "release"}, false)
	if err != nil {
		return fmt.Errorf("release reservation %d: %w", r.ID, err)
	}
	switch v[0] {
	case "ok", "retried":
		return nil
	case "unknown":
		return fmt.Errorf("release reservation %d: %w", r.ID, meter.ErrUnknownReservation)
	}
	return fmt.Errorf("release reservation %d: %w", r.ID, l.latch(v[0]))
}

// finish runs the settle script for p. It returns the script's answer and the units reserved
// (from the answer, else from this worker's own record; -1 unknown). When Redis could not be
// reached, p is kept for Close. retried: p is an attempt that may have run already.
func (l *Ledger) finish(p pending, retried bool) ([]string, int64, error) {
	l.mu.Lock()
	amount, held := l.held[p.id]
	l.mu.Unlock()
	if !held {
		amount = -1
	}
	v, err := l.call(context.Background(), settleScript, l.failure() == nil, retried,
		strconv.FormatUint(p.id, 10), p.op, unitText(p.actual), unitText(p.estimated), flag(p.valid))
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if held && errors.Is(err, meter.ErrLedgerUnreachable) {
			l.pending = append(l.pending, p)
		}
		return nil, amount, err
	}
	delete(l.held, p.id)
	if len(v) > 1 && v[1] != "" {
		if n, err := strconv.ParseInt(v[1], 10, 64); err == nil {
			amount = n
		}
	}
	return v, amount, nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Snapshot implements meter.Ledger: the run's state across every worker, read with one
// command (so at one instant), and this worker's waiting Reserves. When Redis cannot be read
// it is the last state read; Read says so.
func (l *Ledger) Snapshot() meter.Snapshot {
	s, err := l.Read(context.Background())
	if err != nil {
		l.mu.Lock()
		s = l.last
		s.Waiting = l.waiting
		l.mu.Unlock()
		s.Budget = l.budgetCopy()
	}
	return s
}

// Read is Snapshot that returns an error when Redis cannot be read.
func (l *Ledger) Read(ctx context.Context) (meter.Snapshot, error) {
	vals, err := l.rdb.HMGet(ctx, l.keys[0], snapshotFields...).Result()
	if err != nil {
		if transient(err) {
			_, _ = l.unreachable(err)
		}
		return meter.Snapshot{}, l.redact(fmt.Errorf("ledger %s: read the run's state: %w", l.addr, err))
	}
	l.reachable()
	n := make([]int64, len(vals))
	for i, v := range vals {
		text, _ := v.(string)
		if i == 0 { // the budget: "" unlimited
			if v == nil {
				return meter.Snapshot{}, fmt.Errorf("ledger %s: the run's state is gone from Redis: %w", l.addr, meter.ErrLedgerUnreachable)
			}
			continue
		}
		if n[i], err = strconv.ParseInt(text, 10, 64); err != nil {
			return meter.Snapshot{}, fmt.Errorf("ledger %s: the run's %s is %q, not units", l.addr, snapshotFields[i], text)
		}
	}
	s := meter.Snapshot{Budget: l.budgetCopy(), Spent: fromUnits(n[1]), Reserved: fromUnits(n[2]),
		Estimated: fromUnits(n[3]), LargestReservation: fromUnits(n[4]), InFlight: int(n[5]),
		Settled: n[6], Overruns: n[7], Misuses: n[8], Exhausted: n[9] == 1, Abandoned: n[10]}
	l.mu.Lock()
	s.Waiting = l.waiting
	l.last = s
	l.mu.Unlock()
	return s, nil
}

// call runs script s with this worker's keys and the arguments after the common ones. While
// Redis is unreachable it tries again (patient) until the grace period, counted from the first
// failure of any call since the last success, is over; then the ledger is unreachable for good.
// ctx bounds the pauses between attempts, never an attempt: a script that ran is never taken
// for one that did not. retried: the first attempt is flagged as a retry too.
func (l *Ledger) call(ctx context.Context, s *redis.Script, patient, retried bool, args ...any) ([]string, error) {
	argv := append([]any{l.prefix, l.worker, flag(retried)}, args...)
	backoff := minBackoff
	for {
		v, err := s.Run(context.WithoutCancel(ctx), l.rdb, l.keys, argv...).StringSlice()
		if err == nil && len(v) > 0 {
			l.reachable()
			return v, nil
		}
		if err == nil || !transient(err) {
			return nil, l.redact(fmt.Errorf("ledger %s: %v", l.addr, err))
		}
		down, failed := l.unreachable(err)
		if failed != nil {
			return nil, failed
		}
		if !patient {
			return nil, l.redact(fmt.Errorf("ledger %s: %v: %w", l.addr, err, meter.ErrLedgerUnreachable))
		}
		wait := min(backoff, l.grace-down)
		backoff = min(2*backoff, maxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		argv[2] = "1"
	}
}

// transient reports whether err may pass: the network, or a server that is starting or failing
// over. Other errors from the server are bugs.
func transient(err error) bool {
	if errors.Is(err, redis.ErrClosed) {
		return false
	}
	var re redis.Error
	if !errors.As(err, &re) {
		return true
	}
	return slices.ContainsFunc([]string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY"},
		func(p string) bool { return redis.HasErrorPrefix(err, p) })
}

// reachable records a success.
func (l *Ledger) reachable() {
	l.mu.Lock()
	l.downSince = time.Time{}
	l.mu.Unlock()
}

// unreachable records a failure to reach Redis, and latches the ledger unreachable once the
// failures have lasted the grace period. It returns how long they have lasted and the latched
// error, if any.
func (l *Ledger) unreachable(cause error) (time.Duration, error) {
	now := time.Now()
	l.mu.Lock()
	if l.downSince.IsZero() {
		l.downSince = now
	}
	down := now.Sub(l.downSince)
	latched := false
	if down >= l.grace && l.failed == nil {
		l.failed = l.redact(fmt.Errorf("ledger %s unreachable for %v (grace %v): %v: %w",
			l.addr, down.Round(time.Millisecond), l.grace, cause, meter.ErrLedgerUnreachable))
		latched = true
	}
	failed := l.failed
	l.mu.Unlock()
	if latched {
		l.broadcast()
	}
	return down, failed
}

// latch records an answer that ends this worker's part in the run ("lost": its lease lapsed;
// "gone": the run's state is not in Redis; "restarted": another Redis process answers) and
// returns the ledger's latched error.
func (l *Ledger) latch(status string) error {
	var err error
	switch status {
	case "lost":
		err = fmt.Errorf("ledger %s: this worker's lease lapsed, so the run charged its reservations in full: %w",
			l.addr, meter.ErrLedgerUnreachable)
	case "gone":
		err = fmt.Errorf("ledger %s: the run's state is gone from Redis (expired, deleted, or lost in a restart): %w",
			l.addr, meter.ErrLedgerUnreachable)
	case "restarted":
		err = fmt.Errorf("ledger %s: Redis restarted (or failed over) since this worker joined: its state may be older than what was spent: %w",
			l.addr, meter.ErrLedgerUnreachable)
	default:
		err = fmt.Errorf("ledger %s: unexpected answer %q: %w", l.addr, status, meter.ErrLedgerUnreachable)
	}
	l.mu.Lock()
	if l.failed == nil {
		l.failed = l.redact(err)
	}
	err = l.failed
	l.mu.Unlock()
	l.broadcast()
	return err
}

// failure is the latched error: nil while the ledger works.
func (l *Ledger) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// broadcast wakes every waiting Reserve of this worker: room may have been made.
func (l *Ledger) broadcast() {
	l.mu.Lock()
	l.gen.Add(1)
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	l.mu.Unlock()
}

// renew renews this worker's lease every LeaseTTL/3 until ctx ends.
func (l *Ledger) renew(ctx context.Context) {
	t := time.NewTicker(l.leaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := l.call(ctx, renewScript, false, false, ms(l.leaseTTL))
		if err != nil {
			continue
		}
		if v[0] != "ok" {
			l.latch(v[0])
			continue
		}
		if id, err := l.serverRunID(ctx); err == nil && id != l.serverID {
			l.latch("restarted")
		}
	}
}

// Close leaves the run. It records the settles and releases Redis could not take in time, then,
// in one script, charges in full (flagged estimated) the reservations this worker still holds,
// releases any granted to an attempt whose reply was lost, and ends its lease. If Redis cannot
// be reached within the grace period, the lease lapses and the run charges what this worker
// held in full. Close is idempotent; the ledger may not be used after it.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.stop()
	l.done.Wait()

	l.mu.Lock()
	todo := l.pending
	l.pending = nil
	l.mu.Unlock()
	var errs []error
	for _, p := range todo {
		if _, _, err := l.finish(p, true); err != nil {
			errs = append(errs, err)
			break
		}
	}
	if len(errs) == 0 {
		l.mu.Lock()
		ids := make([]any, 0, len(l.held))
		for id := range l.held {
			ids = append(ids, strconv.FormatUint(id, 10))
		}
		l.mu.Unlock()
		v, err := l.call(context.Background(), leaveScript, l.failure() == nil, false, ids...)
		switch {
		case err != nil:
			errs = append(errs, err)
		case v[0] != "ok":
			errs = append(errs, l.latch(v[0]))
		}
	}
	_ = l.ps.Close()
	_ = l.rdb.Close()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("leave run: %w", err)
	}
	return nil
}
