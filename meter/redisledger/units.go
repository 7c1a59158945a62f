package redisledger

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// unitExp is the money unit in Redis, 10^-9 USD (a nano-dollar): amounts are whole units.
const unitExp = 9

// maxUnits is the largest amount (a budget, a reservation, a charge) the ledger takes:
// 2^53 - 1 units, $9,007,199.254740991. Below 2^53 a Lua number (a double) holds every integer
// exactly; see the package documentation.
const maxUnits = 1<<53 - 1

var maxAmount = decimal.New(maxUnits, -unitExp)

// roundUp and roundDown say which way an amount with more decimal places than the unit goes.
const (
	roundUp   = true
	roundDown = false
)

// toUnits converts a non-negative amount in USD to units, rounding as told when it has more
// than 9 decimal places. ok is false for a negative amount or one above maxUnits.
func toUnits(usd decimal.Decimal, up bool) (units int64, ok bool) {
	if usd.Sign() < 0 || usd.GreaterThan(maxAmount) {
		return 0, false
	}
	n := usd.Shift(unitExp)
	if up {
		n = n.Ceil()
	} else {
		n = n.Floor()
	}
	return n.IntPart(), true
}

// fromUnits is units in USD.
func fromUnits(units int64) decimal.Decimal { return decimal.New(units, -unitExp) }

// unitText is units as Redis and the scripts hold them: a decimal integer, "0" for zero.
func unitText(units int64) string { return strconv.FormatInt(units, 10) }
