package meter

import (
	"context"
	"errors"

	"github.com/shopspring/decimal"
)

// ErrBudgetExhausted is returned by Reserve when a reservation cannot fit in the budget and
// nothing is in flight anywhere in the run, so no settle or release can make room; every later
// Reserve returns it at once (the run is stopping).
var ErrBudgetExhausted = errors.New("budget exhausted")

// ErrOverrun is returned by Settle when a response reported more than its reservation. The
// charge is recorded in full; the caller stops the run.
var ErrOverrun = errors.New("overrun")

// ErrLedgerUnreachable is returned by a shared ledger (one kept outside the process, such as
// package redisledger's) when it cannot keep the invariant for this process any more: its
// store has been unreachable for longer than the ledger's grace period, or this process's
// lease expired and the reservations it held were charged in full. Reserve returns it, and
// every later Reserve returns it at once: the run stops (ledger_unreachable), since nothing
// may be sent that was not reserved. Settle and Release return it when they could not record
// the outcome; the ledger keeps what it knows and charges, never releases, what it could not
// record.
var ErrLedgerUnreachable = errors.New("ledger unreachable")

// ErrUnknownReservation is returned by Settle for a reservation that this ledger does not hold:
// one already settled or released, the zero Reservation, or one from another ledger. It is a
// programming error; nothing is charged.
var ErrUnknownReservation = errors.New("unknown reservation")

// ErrInvalidAmount is returned by Reserve for a negative worst case, and by Settle for a charge
// that is negative or whose Estimated part is negative or above Actual. An invalid charge
// still settles the reservation, at its full amount flagged estimated, so the meter never
// undercounts and no waiter is left waiting for it.
var ErrInvalidAmount = errors.New("invalid amount")

// Reservation is money held for one request between Reserve and its Settle or Release. Callers
// read Amount (the worst case reserved) and pass the value back unchanged; the ledger keys it by
// ID and trusts its own record of the amount, not the caller's copy.
type Reservation struct {
	ID     uint64          // unique within a ledger; 0 is never issued
	Amount decimal.Decimal // USD
}

// Charge is what a request actually cost, in USD.
type Charge struct {
	Actual decimal.Decimal // the whole charge: what the response reported plus any estimated part
	// Estimated is the part of Actual charged without a usage report (a cut stream, a usage
	// source that yielded nothing) and flagged estimated; 0 <= Estimated <= Actual.
	Estimated decimal.Decimal
}

// Snapshot is a consistent view of a ledger at one instant. Money is in USD.
type Snapshot struct {
	Budget    *decimal.Decimal // nil: unlimited
	Spent     decimal.Decimal  // the sum of the charges settled
	Reserved  decimal.Decimal  // the sum of the reservations in flight
	Estimated decimal.Decimal  // the part of Spent charged without a usage report
	// LargestReservation is the largest worst case Reserve was asked for before the budget ran
	// out, granted or not: a run stopped by the budget has spent at least Budget minus it.
	LargestReservation decimal.Decimal
	InFlight           int   // reservations neither settled nor released (free ones included)
	Waiting            int   // Reserve calls waiting for room
	Settled            int64 // settles accepted (overruns included)
	Overruns           int64 // settles whose actual cost was above the reservation
	Misuses            int64 // settles and releases refused or corrected as programming errors
	Exhausted          bool  // Reserve has returned ErrBudgetExhausted; the run is stopping

	// Abandoned counts reservations charged in full, flagged estimated, because the process
	// that held them died (its lease expired) or closed without settling them. Shared ledgers
	// only: an in-process ledger dies with its requests.
	Abandoned int64
}

// Ledger is a live budget ledger: a request reserves its worst-case cost before it is sent and
// settles its actual cost when its response is read. See the package documentation for the
// invariant it keeps.
type Ledger interface {
	// Reserve reserves worst (the request's worst-case cost) before the request is sent. If
	// spent+reserved+worst > budget it waits while other reservations are in flight (a settle
	// or release may free room); when it still does not fit and nothing is in flight anywhere,
	// it returns ErrBudgetExhausted, and every later Reserve returns ErrBudgetExhausted at once
	// (the run is stopping). It returns ctx.Err() if ctx ends while waiting. With no budget it
	// never waits.
	Reserve(ctx context.Context, worst decimal.Decimal) (Reservation, error)
	// Settle replaces the reservation with what the request actually cost. Actual > reservation
	// is recorded in full (spent grows by Actual) and returns ErrOverrun; the caller stops the run.
	Settle(r Reservation, c Charge) error
	// Release frees a reservation whose request was never sent (charges nothing).
	Release(r Reservation)
	Snapshot() Snapshot
}
