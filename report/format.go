package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// The formatters every renderer of this package shares: counts, money, durations, latencies
// and percentages as the tables, the HTML pages and the comparisons write them. Money is
// rounded only here (pricing.FormatUSD). A share is written as a percentage with
// summary.FormatPctFixed, the rule the thresholds' verdicts follow too (half away from zero),
// so that a failure rate reads the same in every table, page and verdict.

// rightAligned aligns columns from to to (1-based) of a table to the right.
func rightAligned(from, to int) []table.ColumnConfig {
	var cc []table.ColumnConfig
	for i := from; i <= to; i++ {
		cc = append(cc, table.ColumnConfig{Number: i, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight})
	}
	return cc
}

// usd writes an amount of USD; "unknown" for nil (an unknown cost is never $0).
func usd(d *decimal.Decimal) string {
	if d == nil {
		return "unknown"
	}
	return pricing.FormatUSD(*d)
}

// count writes an estimated count; "unbounded" for nil.
func count(x planner.Count) string {
	if x == nil {
		return "unbounded"
	}
	return groupThousands(x.Float64())
}

// tokens writes a number of tokens.
func tokens(x planner.Quantity) string { return groupThousands(x.Float64()) }

// groupThousands writes a count rounded to a whole number with thousands separators; counts
// under 10 keep one decimal.
func groupThousands(x float64) string {
	if x != 0 && math.Abs(x) < 10 && x != math.Trunc(x) {
		return fmt.Sprintf("%.1f", x)
	}
	s := fmt.Sprintf("%.0f", math.Round(x))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatNumber writes a number compactly: 1.5k, 2M, 0.25.
func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// humanSeconds writes a duration for reading: 31.2 s, 10 min 3 s, 1 h 2 min.
func humanSeconds(sec float64) string {
	switch {
	case sec < 60:
		return strconv.FormatFloat(math.Round(sec*10)/10, 'f', -1, 64) + " s"
	case sec < 3600:
		d := int(math.Round(sec))
		return fmt.Sprintf("%d min %d s", d/60, d%60)
	}
	d := int(math.Round(sec / 60))
	return fmt.Sprintf("%d h %d min", d/60, d%60)
}

// msText writes a latency for reading: 4.2 ms, 812 ms, 1.84 s.
func msText(ms float64) string {
	switch {
	case ms >= 10000:
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// latencyCell writes a latency in milliseconds for a table: "850ms", "1.83s"; "-" with no requests.
func latencyCell(v float64, n int64) string {
	switch {
	case n == 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.2fms", v)
	case v < 10:
		return fmt.Sprintf("%.1fms", v)
	case v < 1000:
		return fmt.Sprintf("%.0fms", v)
	case v < 100_000:
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.0fs", v/1000)
}

// sizeCell writes a size in bytes for a table: "812 B", "3.2 KiB".
func sizeCell(b float64) string {
	switch {
	case b < 1024:
		return fmt.Sprintf("%.0f B", b)
	case b < 1<<20:
		return fmt.Sprintf("%.1f KiB", b/1024)
	}
	return fmt.Sprintf("%.1f MiB", b/(1<<20))
}

// SizeText is a size in bytes as the summary writes it ("812 B", "3.2 KiB"), for the live
// view.
func SizeText(b float64) string { return sizeCell(b) }

// costCell writes a cost for a table, starred when part of it was estimated.
func costCell(c, estimated decimal.Decimal) string {
	if estimated.IsPositive() {
		return pricing.FormatUSD(c) + "*"
	}
	return pricing.FormatUSD(c)
}

// ratioText writes a share as a percentage with two decimals: "0.13%" for 1 in 800.
func ratioText(r float64) string { return summary.FormatPctFixed(r, 2) }

// pctText writes a share as a percentage for a tile: "0%", "<0.1%", "4.2%", "37%".
func pctText(r float64) string {
	switch {
	case r == 0:
		return "0%"
	case r < 0.001:
		return "<0.1%"
	case r < 0.1:
		return summary.FormatPctFixed(r, 1)
	}
	return summary.FormatPctFixed(r, 0)
}

// signed writes abs, the absolute value of x, with x's sign.
func signed(x float64, abs string) string {
	switch {
	case x > 0:
		return "+" + abs
	case x < 0:
		return "-" + abs
	}
	return abs
}

// signedPctText writes a change in percent with its sign and one decimal: "+3.2%", "-0.5%".
func signedPctText(p float64) string {
	return signed(math.Round(p*10)/10, strconv.FormatFloat(math.Abs(p), 'f', 1, 64)) + "%"
}

// signedPct writes an estimate's error for a tile, in brackets: " (+3.2%)", " (−0.5%)"; ""
// for nil.
func signedPct(p *float64) string {
	if p == nil {
		return ""
	}
	sign := "+"
	if *p < 0 {
		sign = "−"
	}
	return fmt.Sprintf(" (%s%.1f%%)", sign, math.Abs(*p))
}

// quoteAll quotes each of ss.
func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// MaxInputBytes bounds a file report reads whole (a history's whole-file check, a Locust
// CSV): far more than any run writes.
const MaxInputBytes = 256 << 20
