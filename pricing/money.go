package pricing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// maxExponent bounds the exponent a price or amount may be written with ("3e-06" has -6).
// Real prices need a few; the bound keeps a hostile "1e-999999" from costing memory when the
// value is later printed.
const maxExponent = 40

// moneyHint says what ParseMoney accepts; it ends every ParseMoney error.
const moneyHint = "want a non-negative USD amount such as 5, 5.00, $5, 0.003 or 3e-06"

// ParseMoney parses a USD amount as users write it: "5", "5.00", "$5", "0.003", "$0.50", or
// with an exponent, "3e-06". Surrounding spaces are ignored. Negative amounts, NaN, infinities,
// thousands separators and currency names are rejected with an error that says what is valid.
// The value is exact: it is parsed from the text, never through a float.
func ParseMoney(s string) (decimal.Decimal, error) {
	d, err := parseDecimal(strings.TrimSpace(s), true)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invalid amount %q: %w; %s", s, err, moneyHint)
	}
	return d, nil
}

// errNegative is the cause of a parse failure for a negative number.
var errNegative = errors.New("negative")

// parseDecimal parses a non-negative decimal number from its text: digits with an optional
// fraction and an optional exponent of at most maxExponent, and, when dollar is set, an
// optional leading "$". It checks the syntax itself instead of leaving it to
// decimal.NewFromString, which also accepts signs, a Unicode minus and unbounded exponents.
func parseDecimal(s string, dollar bool) (decimal.Decimal, error) {
	text := s
	if dollar {
		text = strings.TrimPrefix(text, "$")
	}
	if text == "" {
		return decimal.Decimal{}, errors.New("empty")
	}
	if text[0] == '-' || strings.HasPrefix(text, "\u2212") { // "-5", "$-5", "-$5"
		return decimal.Decimal{}, errNegative
	}
	mantissa, exp, hasExp := strings.Cut(text, "e")
	if !hasExp {
		mantissa, exp, hasExp = strings.Cut(text, "E")
	}
	intPart, frac, hasPoint := strings.Cut(mantissa, ".")
	if !allDigits(intPart) || !allDigits(frac) || intPart+frac == "" || (hasPoint && strings.Contains(frac, ".")) {
		return decimal.Decimal{}, errors.New("not a number")
	}
	if hasExp {
		digits := strings.TrimLeft(exp, "+-")
		if len(exp)-len(digits) > 1 || !allDigits(digits) || digits == "" {
			return decimal.Decimal{}, errors.New("not a number")
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n > maxExponent {
			return decimal.Decimal{}, fmt.Errorf("exponent out of range (at most %d)", maxExponent)
		}
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return decimal.Decimal{}, errors.New("not a number")
	}
	return d.Normalize(), nil
}

// allDigits reports whether s is made of ASCII digits only (true for "").
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cent is one US cent, the rounding unit of FormatUSD for amounts of a dollar or more.
var cent = decimal.New(1, -2)

// minDisplay is the smallest magnitude FormatUSD writes out; anything smaller shows as
// "<$0.000000000001".
var minDisplay = decimal.New(1, -12)

// FormatUSD formats an amount for display, and is the only place this package rounds:
// at least cents and at least two significant digits, so "$4.50", "$1234.57", "$0.45",
// "$0.013" and "$0.0042", with no trailing zeros past the cents ("$0.004"). Rounding is half
// away from zero. Negative amounts print as "-$4.50", zero as "$0.00", and a non-zero amount
// below $0.000000000001 as "<$0.000000000001". Never feed the result back into arithmetic:
// money stays a decimal.Decimal at full precision everywhere else.
func FormatUSD(d decimal.Decimal) string {
	sign := ""
	if d.IsNegative() {
		sign = "-"
		d = d.Neg()
	}
	if d.IsZero() {
		return "$0.00"
	}
	if d.LessThan(minDisplay) {
		if sign != "" {
			return ">-$" + minDisplay.String()
		}
		return "<$" + minDisplay.String()
	}
	// lead is the power of ten of the leading digit: 4.5 -> 0, 0.0042 -> -3.
	lead := d.NumDigits() + int(d.Exponent()) - 1
	places := max(2, 1-lead)
	s := d.StringFixed(int32(places))
	if places > 2 {
		// Keep the cents, drop the zeros after them that rounding left ("0.0040" -> "0.004",
		// "0.0100" -> "0.01").
		point := strings.IndexByte(s, '.')
		s = strings.TrimRight(s, "0")
		if len(s) < point+3 {
			s += strings.Repeat("0", point+3-len(s))
		}
	}
	return sign + "$" + s
}
