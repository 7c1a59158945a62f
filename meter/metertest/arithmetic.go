package metertest

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
)

// arithStep is one operation of an arithmetic case.
type arithStep struct {
	op        string // reserve, settle, release
	worst     string // reserve: the worst case
	ref       int    // settle, release: the index of the step that reserved
	actual    string // settle
	estimated string // settle; "" is 0
	err       error  // the error expected, matched with errors.Is
}

// arithCase is a sequence of operations on a ledger capped at budget, and its sums after them.
type arithCase struct {
	name                                string
	budget                              *decimal.Decimal
	steps                               []arithStep
	spent, reserved, estimated, largest string
	inFlight                            int
	settled, overruns, misuses          int64
	exhausted                           bool
}

// arithmeticCases are Arithmetic's cases.
var arithmeticCases = []arithCase{
	{
		name:   "reserve holds the worst case",
		budget: dp("1"),
		steps:  []arithStep{{op: "reserve", worst: "0.25"}, {op: "reserve", worst: "0.5"}},
		spent:  "0", reserved: "0.75", estimated: "0", largest: "0.5", inFlight: 2,
	},
	{
		// 0.25 + 0.5 reserved; the first settles at 0.1: spent 0.1, reserved 0.5.
		name:   "settle replaces the reservation with the actual cost",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.25"}, {op: "reserve", worst: "0.5"},
			{op: "settle", ref: 0, actual: "0.1"},
		},
		spent: "0.1", reserved: "0.5", estimated: "0", largest: "0.5", inFlight: 1, settled: 1,
	},
	{
		name:   "release charges nothing",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.25"}, {op: "release", ref: 0},
		},
		spent: "0", reserved: "0", estimated: "0", largest: "0.25",
	},
	{
		// A cut stream: 0.002 reported, 0.003 (the rest of the reservation) estimated.
		name:   "estimated part accumulates",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.005"}, {op: "settle", ref: 0, actual: "0.005", estimated: "0.003"},
			{op: "reserve", worst: "0.005"}, {op: "settle", ref: 2, actual: "0.001"},
		},
		spent: "0.006", reserved: "0", estimated: "0.003", largest: "0.005", settled: 2,
	},
	{
		// 0.4 + 0.6 = 1.0 <= 1: exactly the budget fits.
		name:   "exactly the budget fits",
		budget: dp("1.00"),
		steps:  []arithStep{{op: "reserve", worst: "0.4"}, {op: "reserve", worst: "0.6"}},
		spent:  "0", reserved: "1", estimated: "0", largest: "0.6", inFlight: 2,
	},
	{
		// spent 0.9; 0.9 + 0.2 > 1 and nothing in flight: exhausted, though 0.1 is left.
		name:   "no fit with nothing in flight exhausts",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.9"}, {op: "settle", ref: 0, actual: "0.9"},
			{op: "reserve", worst: "0.2", err: meter.ErrBudgetExhausted},
			{op: "reserve", worst: "0.05", err: meter.ErrBudgetExhausted}, // would fit: the run is stopping
			{op: "reserve", worst: "0", err: meter.ErrBudgetExhausted},
		},
		spent: "0.9", reserved: "0", estimated: "0", largest: "0.9", settled: 1, exhausted: true,
	},
	{
		// The largest worst case counts the one refused: spent 0.5 >= 1 - 0.7.
		name:   "largest counts the refused worst case",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.5"}, {op: "settle", ref: 0, actual: "0.5"},
			{op: "reserve", worst: "0.7", err: meter.ErrBudgetExhausted},
		},
		spent: "0.5", reserved: "0", estimated: "0", largest: "0.7", settled: 1, exhausted: true,
	},
	{
		name:   "zero budget: free requests pass, priced ones exhaust",
		budget: dp("0"),
		steps: []arithStep{
			{op: "reserve", worst: "0"}, {op: "reserve", worst: "0"},
			{op: "settle", ref: 0, actual: "0"},
			// The free request still in flight cannot make room: no waiting.
			{op: "reserve", worst: "0.000001", err: meter.ErrBudgetExhausted},
		},
		spent: "0", reserved: "0", estimated: "0", largest: "0.000001", inFlight: 1, settled: 1,
		exhausted: true,
	},
	{
		name:   "no budget never refuses and still accounts",
		budget: nil,
		steps: []arithStep{
			{op: "reserve", worst: "1000000"}, {op: "reserve", worst: "2000000"},
			{op: "settle", ref: 0, actual: "999999.999999"}, {op: "release", ref: 1},
		},
		spent: "999999.999999", reserved: "0", estimated: "0", largest: "2000000", settled: 1,
	},
	{
		// Charged in full: spent 0.15 > the reservation 0.1, and here > the budget too.
		name:   "overrun is recorded in full",
		budget: dp("0.12"),
		steps: []arithStep{
			{op: "reserve", worst: "0.1"},
			{op: "settle", ref: 0, actual: "0.15", err: meter.ErrOverrun},
		},
		spent: "0.15", reserved: "0", estimated: "0", largest: "0.1", settled: 1, overruns: 1,
	},
	{
		name:   "a free request that reports a cost overruns",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0"}, {op: "settle", ref: 0, actual: "0.001", err: meter.ErrOverrun},
		},
		spent: "0.001", reserved: "0", estimated: "0", largest: "0", settled: 1, overruns: 1,
	},
	{
		name:   "double settle is refused and not counted",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.3"}, {op: "settle", ref: 0, actual: "0.2"},
			{op: "settle", ref: 0, actual: "0.2", err: meter.ErrUnknownReservation},
			{op: "release", ref: 0},
		},
		spent: "0.2", reserved: "0", estimated: "0", largest: "0.3", settled: 1, misuses: 2,
	},
	{
		name:   "double release is not counted twice",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.3"}, {op: "reserve", worst: "0.3"},
			{op: "release", ref: 0}, {op: "release", ref: 0},
			{op: "settle", ref: 0, actual: "0.1", err: meter.ErrUnknownReservation},
		},
		spent: "0", reserved: "0.3", estimated: "0", largest: "0.3", inFlight: 1, misuses: 2,
	},
	{
		name:   "negative worst case is refused",
		budget: dp("1"),
		steps:  []arithStep{{op: "reserve", worst: "-0.1", err: meter.ErrInvalidAmount}},
		spent:  "0", reserved: "0", estimated: "0", largest: "0",
	},
	{
		// An invalid charge settles the reservation at its full amount, flagged estimated.
		name:   "invalid charges settle at the reservation",
		budget: dp("1"),
		steps: []arithStep{
			{op: "reserve", worst: "0.1"}, {op: "settle", ref: 0, actual: "-0.01", err: meter.ErrInvalidAmount},
			{op: "reserve", worst: "0.2"}, {op: "settle", ref: 2, actual: "0.05", estimated: "0.06", err: meter.ErrInvalidAmount},
			{op: "reserve", worst: "0.3"}, {op: "settle", ref: 4, actual: "0.05", estimated: "-0.01", err: meter.ErrInvalidAmount},
		},
		spent: "0.6", reserved: "0", estimated: "0.6", largest: "0.3", settled: 3, misuses: 3,
	},
}

// Arithmetic runs short sequences of operations on one goroutine, on the first ledger
// newLedgers returns for each case, and checks the ledger's sums after them.
func Arithmetic(t *testing.T, newLedgers NewLedgers) {
	t.Helper()
	for _, tt := range arithmeticCases {
		t.Run(tt.name, func(t *testing.T) {
			l := newLedgers(t, tt.budget)[0]
			applySteps(t, l, tt.steps)
			checkSums(t, l.Snapshot(), tt)
		})
	}
}

// applySteps applies steps to l, checking each one's error.
func applySteps(t *testing.T, l meter.Ledger, steps []arithStep) {
	t.Helper()
	res := make([]meter.Reservation, len(steps))
	for i, s := range steps {
		var err error
		switch s.op {
		case "reserve":
			res[i], err = l.Reserve(context.Background(), d(s.worst))
			if err == nil && !res[i].Amount.Equal(d(s.worst)) {
				t.Errorf("step %d: Amount = %s, want %s", i, res[i].Amount, s.worst)
			}
		case "settle":
			c := meter.Charge{Actual: d(s.actual)}
			if s.estimated != "" {
				c.Estimated = d(s.estimated)
			}
			err = l.Settle(res[s.ref], c)
		case "release":
			l.Release(res[s.ref])
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		if !errors.Is(err, s.err) || (err == nil) != (s.err == nil) {
			t.Errorf("step %d (%s): err = %v, want %v", i, s.op, err, s.err)
		}
	}
}

// checkSums checks a snapshot against the case's sums and counts.
func checkSums(t *testing.T, s meter.Snapshot, tt arithCase) {
	t.Helper()
	checkMoney(t, "Spent", s.Spent, tt.spent)
	checkMoney(t, "Reserved", s.Reserved, tt.reserved)
	checkMoney(t, "Estimated", s.Estimated, tt.estimated)
	checkMoney(t, "LargestReservation", s.LargestReservation, tt.largest)
	if s.InFlight != tt.inFlight || s.Settled != tt.settled || s.Overruns != tt.overruns ||
		s.Misuses != tt.misuses || s.Exhausted != tt.exhausted || s.Waiting != 0 || s.Abandoned != 0 {
		t.Errorf("counts = {InFlight:%d Settled:%d Overruns:%d Misuses:%d Exhausted:%t Waiting:%d}, "+
			"want {InFlight:%d Settled:%d Overruns:%d Misuses:%d Exhausted:%t Waiting:0} (abandoned %d)",
			s.InFlight, s.Settled, s.Overruns, s.Misuses, s.Exhausted, s.Waiting,
			tt.inFlight, tt.settled, tt.overruns, tt.misuses, tt.exhausted, s.Abandoned)
	}
	if (s.Budget == nil) != (tt.budget == nil) || (s.Budget != nil && !s.Budget.Equal(*tt.budget)) {
		t.Errorf("Budget = %v, want %v", s.Budget, tt.budget)
	}
}

// checkMoney compares decimals with Cmp: 1.5 and 1.50 are the same money.
func checkMoney(t *testing.T, name string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}
