package main

import (
	"strings"

	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// usdAs writes v in USD with as many decimals as pricing.FormatUSD writes ref: the live
// view's reserved with the precision of its spent.
func usdAs(v, ref decimal.Decimal) string {
	r := pricing.FormatUSD(ref)
	places := 0
	if i := strings.LastIndexByte(r, '.'); i >= 0 {
		places = len(r) - i - 1
	}
	return "$" + v.StringFixed(int32(places))
}
