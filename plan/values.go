package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ParseDuration parses a duration that carries its unit: "30s", "10m", "1h30m", "500ms".
// A bare number is refused, because "30" could mean seconds or minutes.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration; write it with a unit: 500ms, 30s, 10m, 1h")
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit; write %ss or %sm (units: ms, s, m, h)", s, s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write e.g. 500ms, 30s, 10m, 1h30m", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; a duration is 0 or more", s)
	}
	return d, nil
}

var rateUnits = map[string]float64{
	"s": 1, "sec": 1, "second": 1, "m": 1.0 / 60, "min": 1.0 / 60, "minute": 1.0 / 60,
	"h": 1.0 / 3600, "hour": 1.0 / 3600,
}

// ParseRate parses a rate with its unit: "30/s", "3/min", "120/h". A bare number is refused.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return Rate{}, fmt.Errorf("%q has no unit; write %s/s or %s/min", s, s, s)
		}
		return Rate{}, fmt.Errorf("%q is not a rate; write e.g. 30/s, 3/min, 120/h", s)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return Rate{}, fmt.Errorf("%q is not a rate; write e.g. 30/s, 3/min, 120/h", s)
	}
	if n < 0 {
		return Rate{}, fmt.Errorf("%q is negative; a rate is 0 or more", s)
	}
	f, ok := rateUnits[strings.TrimSpace(unit)]
	if !ok {
		return Rate{}, fmt.Errorf("%q has an unknown unit %q; valid: /s, /min, /h", s, unit)
	}
	return Rate{PerSecond: n * f, Text: s}, nil
}

// ParseRatio parses a share: "1%", "70%" or "0.7", exactly (as a decimal). The result is in
// [0, 1].
func ParseRatio(s string) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	shift := int32(0)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, shift = strings.TrimSpace(p), -2
	}
	v, err := decimal.NewFromString(t)
	if err != nil || t == "" {
		return decimal.Decimal{}, fmt.Errorf("%q is not a share; write a percentage (70%%) or a fraction (0.7)", s)
	}
	v = v.Shift(shift)
	if v.IsNegative() || v.GreaterThan(decimal.NewFromInt(1)) {
		return decimal.Decimal{}, fmt.Errorf("%q is out of range; a share is between 0%% and 100%%", s)
	}
	return v, nil
}

// ParseMoney parses an amount of USD: "5", "5.00", "$5", "0.003". It never goes through a
// float, so "0.1" is exactly one tenth.
func ParseMoney(s string) (decimal.Decimal, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "$")
	t = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(t, "USD")), " ")
	d, err := decimal.NewFromString(strings.TrimSpace(t))
	if err != nil || t == "" {
		return decimal.Decimal{}, fmt.Errorf("%q is not an amount of USD; write e.g. 5, 5.00, $5 or 0.003", s)
	}
	if d.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("%q is negative; an amount is 0 or more", s)
	}
	return d, nil
}

// ParseTokens parses an expected number of tokens, a mean: "1200", "1_200" or "1399.5". It
// never goes through a float. Negative counts, exponents and anything else are refused.
func ParseTokens(s string) (decimal.Decimal, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" ||
		strings.HasSuffix(t, ".") || len(t) > 30 {
		if strings.HasPrefix(t, "-") {
			return decimal.Decimal{}, fmt.Errorf("%q is negative; a number of tokens is 0 or more", s)
		}
		return decimal.Decimal{}, fmt.Errorf("%q is not a number of tokens; write e.g. 1200 or, for a mean, 1399.5", s)
	}
	return decimal.RequireFromString(t), nil
}

// FormatDuration writes a duration in the plan's units, shortest form ("5s", "1.5s", "10m",
// "1h30m").
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FormatRatio writes a share as a percentage ("1%", "99.5%").
func FormatRatio(v float64) string {
	return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
}
