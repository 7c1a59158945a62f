package meter

import (
	"context"
	"fmt"
	"sync"

	"github.com/shopspring/decimal"
)

// Local is the in-process Ledger, safe for concurrent use. Every method holds its mutex for a
// few decimal additions and a map update; none does I/O or waits under it.
type Local struct {
	mu     sync.Mutex
	budget *decimal.Decimal // nil: unlimited

	spent     decimal.Decimal
	reserved  decimal.Decimal // the sum of inFlight's amounts
	estimated decimal.Decimal
	largest   decimal.Decimal

	inFlight map[uint64]decimal.Decimal // ID -> amount reserved
	priced   int                        // reservations in inFlight with a positive amount
	lastID   uint64

	// wake is closed, and set to nil, when room may have been freed (a positive reservation
	// settled or released) or the budget ran out. Waiters create it when it is nil, so a
	// settle with nobody waiting allocates nothing.
	wake    chan struct{}
	waiting int

	settled, overruns, misuses int64
	exhausted                  bool
}

var _ Ledger = (*Local)(nil)

// New returns an empty ledger capped at budget (USD), which it copies. A nil budget is
// unlimited: Reserve never waits or fails for want of money, and the ledger still accounts.
func New(budget *decimal.Decimal) *Local {
	l := &Local{inFlight: make(map[uint64]decimal.Decimal)}
	if budget != nil {
		b := *budget
		l.budget = &b
	}
	return l
}

// Reserve implements Ledger. A zero worst case (a free request) never waits and never exhausts
// the budget, but it fails with ErrBudgetExhausted once the budget has run out, like any other.
// A negative worst case is refused with ErrInvalidAmount. A ctx already done is refused with
// ctx.Err() before anything is reserved.
func (l *Local) Reserve(ctx context.Context, worst decimal.Decimal) (Reservation, error) {
	if worst.Sign() < 0 {
		return Reservation{}, fmt.Errorf("reserve %s: %w", worst, ErrInvalidAmount)
	}
	if err := ctx.Err(); err != nil {
		return Reservation{}, err
	}
	l.mu.Lock()
	if !l.exhausted && worst.Cmp(l.largest) > 0 {
		l.largest = worst
	}
	for {
		if l.exhausted {
			l.mu.Unlock()
			return Reservation{}, ErrBudgetExhausted
		}
		if l.fits(worst) {
			r := l.grant(worst)
			l.mu.Unlock()
			return r, nil
		}
		if l.priced == 0 {
			// Nothing in flight can free room, and spent never shrinks: this reservation will
			// never fit. The run stops; the waiters learn it at once.
			l.exhausted = true
			l.broadcast()
			l.mu.Unlock()
			return Reservation{}, ErrBudgetExhausted
		}
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		wake := l.wake
		l.waiting++
		l.mu.Unlock()
		select {
		case <-wake:
			l.mu.Lock()
			l.waiting--
			if err := ctx.Err(); err != nil {
				// Woken and cancelled at once: the caller has stopped, so neither reserve nor
				// declare the budget exhausted on its behalf.
				l.mu.Unlock()
				return Reservation{}, err
			}
		case <-ctx.Done():
			l.mu.Lock()
			l.waiting--
			l.mu.Unlock()
			return Reservation{}, ctx.Err()
		}
	}
}

// fits reports whether worst can be reserved now: spent + reserved + worst <= budget. l.mu is
// held.
func (l *Local) fits(worst decimal.Decimal) bool {
	if l.budget == nil || worst.Sign() == 0 {
		return true
	}
	return l.spent.Add(l.reserved).Add(worst).Cmp(*l.budget) <= 0
}

// grant records a reservation of amount. l.mu is held.
func (l *Local) grant(amount decimal.Decimal) Reservation {
	l.lastID++
	l.inFlight[l.lastID] = amount
	if amount.Sign() > 0 {
		l.reserved = l.reserved.Add(amount)
		l.priced++
	}
	return Reservation{ID: l.lastID, Amount: amount}
}

// take removes reservation id from the flight, returning its amount, and wakes the waiters if
// that freed room. l.mu is held.
func (l *Local) take(id uint64) (decimal.Decimal, bool) {
	amount, ok := l.inFlight[id]
	if !ok {
		return decimal.Decimal{}, false
	}
	delete(l.inFlight, id)
	if amount.Sign() > 0 {
		l.reserved = l.reserved.Sub(amount)
		l.priced--
		l.broadcast()
	}
	return amount, true
}

// broadcast wakes every waiting Reserve. l.mu is held.
func (l *Local) broadcast() {
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
}

// Settle implements Ledger. A reservation this ledger does not hold (settled or released
// already, or never issued) charges nothing and returns ErrUnknownReservation. An invalid
// charge (see ErrInvalidAmount) settles the reservation at its full amount, flagged estimated,
// and returns the error.
func (l *Local) Settle(r Reservation, c Charge) error {
	valid := c.Actual.Sign() >= 0 && c.Estimated.Sign() >= 0 && c.Estimated.Cmp(c.Actual) <= 0
	l.mu.Lock()
	defer l.mu.Unlock()
	amount, ok := l.take(r.ID)
	if !ok {
		l.misuses++
		return fmt.Errorf("settle reservation %d: %w", r.ID, ErrUnknownReservation)
	}
	l.settled++
	if !valid {
		l.misuses++
		l.spent = l.spent.Add(amount)
		l.estimated = l.estimated.Add(amount)
		return fmt.Errorf("settle reservation %d: charge %s (estimated %s): %w",
			r.ID, c.Actual, c.Estimated, ErrInvalidAmount)
	}
	l.spent = l.spent.Add(c.Actual)
	if c.Estimated.Sign() > 0 {
		l.estimated = l.estimated.Add(c.Estimated)
	}
	if c.Actual.Cmp(amount) > 0 {
		l.overruns++
		return fmt.Errorf("settle reservation %d: charge %s above reservation %s: %w",
			r.ID, c.Actual, amount, ErrOverrun)
	}
	return nil
}

// Release implements Ledger. Releasing a reservation this ledger does not hold (settled or
// released already) changes nothing but is counted in Snapshot.Misuses; ReleaseErr reports it.
func (l *Local) Release(r Reservation) {
	_ = l.ReleaseErr(r)
}

// ReleaseErr is Release that reports a reservation this ledger does not hold with
// ErrUnknownReservation.
func (l *Local) ReleaseErr(r Reservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.take(r.ID); !ok {
		l.misuses++
		return fmt.Errorf("release reservation %d: %w", r.ID, ErrUnknownReservation)
	}
	return nil
}

// Snapshot implements Ledger.
func (l *Local) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{
		Spent:              l.spent,
		Reserved:           l.reserved,
		Estimated:          l.estimated,
		LargestReservation: l.largest,
		InFlight:           len(l.inFlight),
		Waiting:            l.waiting,
		Settled:            l.settled,
		Overruns:           l.overruns,
		Misuses:            l.misuses,
		Exhausted:          l.exhausted,
	}
	if l.budget != nil {
		b := *l.budget
		s.Budget = &b
	}
	return s
}
