package planner

import (
	"fmt"
	"math/big"
	"time"

	"github.com/loadplan/loadplan/schedule"
	"github.com/shopspring/decimal"
)

// The estimate's arithmetic is exact: every figure between the plan's numbers and a dollar
// amount (user-seconds, periods, iterations, shares, request counts, tokens) is a rational
// number (math/big.Rat), and each figure of the estimate is made a decimal once, at the end.
// The only floats are the log-normal's mean and variance (an exponential), taken at their
// shortest decimal text, and rates written as floats by the plan (a spawn rate), likewise.
// So 604 iterations × a share of 2/5 × $0.01 is $2.416, and a budget equal to a worst case
// passes the gate.

// MoneyPlaces is where an amount whose decimal expansion does not end (a third of a dollar)
// is rounded, up, so that an estimate is never below its exact value. Amounts that end are
// exact.
const MoneyPlaces = 18

// QuantityPlaces is where a modelled count of requests or tokens is rounded (half to even)
// for the estimate. Money is computed from the exact counts, not from these.
const QuantityPlaces = 9

// Quantity is a modelled number of requests or tokens (possibly fractional), a decimal that
// JSON writes as a number (DESIGN.md: request counts are JSON numbers).
type Quantity decimal.Decimal

// Decimal is q as a decimal.
func (q Quantity) Decimal() decimal.Decimal { return decimal.Decimal(q) }

// Float64 is q as a float, for display and for figures that are not money (rates).
func (q Quantity) Float64() float64 { return decimal.Decimal(q).InexactFloat64() }

// Add is q + o.
func (q Quantity) Add(o Quantity) Quantity {
	return Quantity(decimal.Decimal(q).Add(decimal.Decimal(o)))
}

func (q Quantity) String() string { return decimal.Decimal(q).String() }

// MarshalJSON writes q as a JSON number at full precision.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalJSON reads a JSON number (or a numeric string) exactly.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("quantity %s: %w", b, err)
	}
	*q = Quantity(d)
	return nil
}

// quantity is r rounded half to even at QuantityPlaces places.
func quantity(r *big.Rat) Quantity {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(QuantityPlaces), nil)
	n := new(big.Int).Mul(r.Num(), scale)
	q, m := new(big.Int).DivMod(n, r.Denom(), new(big.Int)) // floor, 0 <= m < denom
	switch new(big.Int).Lsh(m, 1).Cmp(r.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return Quantity(decimal.NewFromBigInt(q, -QuantityPlaces))
}

// money is r in USD as a decimal: exact when its decimal expansion ends, else rounded up at
// MoneyPlaces places.
func money(r *big.Rat) decimal.Decimal {
	// r's expansion ends when its denominator (in lowest terms) is 2^a·5^b: then r·10^max(a,b)
	// is a whole number.
	den := new(big.Int).Set(r.Denom())
	twos, fives := 0, 0
	for den.Bit(0) == 0 {
		den.Rsh(den, 1)
		twos++
	}
	five, q, m := big.NewInt(5), new(big.Int), new(big.Int)
	for {
		if q.QuoRem(den, five, m); m.Sign() != 0 {
			break
		}
		den.Set(q)
		fives++
	}
	places := MoneyPlaces
	if den.IsInt64() && den.Int64() == 1 {
		places = max(twos, fives)
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := new(big.Int).Mul(r.Num(), scale)
	q.DivMod(n, r.Denom(), m) // floor
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1)) // up
	}
	return decimal.NewFromBigInt(q, -int32(places))
}

// rat is a decimal as an exact rational.
func rat(d decimal.Decimal) *big.Rat { return d.Rat() }

func ratInt(n int64) *big.Rat { return big.NewRat(n, 1) }

func secs(d time.Duration) *big.Rat { return schedule.Seconds(d) }

func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }
func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func quo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }

func float(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}
