package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// SameBandPct is the dead band of a comparison: a change smaller than this share (in percent)
// of the value before is "same", not better or worse.
const SameBandPct = 2.0

// Verdicts of a change.
const (
	VerdictBetter = "better"
	VerdictWorse  = "worse"
	VerdictSame   = "same"
	VerdictNew    = "new"  // only in the run after
	VerdictGone   = "gone" // only in the run before
)

// Comparison is what changed from one run to another (loadplan report compare).
type Comparison struct {
	Before  RunRef   `json:"before"`
	After   RunRef   `json:"after"`
	Notes   []string `json:"notes"`
	Changes []Change `json:"changes"`
	Better  int      `json:"better"`
	Worse   int      `json:"worse"`
	Same    int      `json:"same"`
}

// RunRef names a compared run.
type RunRef struct {
	File       string             `json:"file,omitempty"`
	Plan       string             `json:"plan"`
	Scenario   string             `json:"scenario"`
	StartedAt  time.Time          `json:"started_at"`
	StopReason summary.StopReason `json:"stop_reason"`
	Verdict    summary.Verdict    `json:"verdict"`
	Thresholds string             `json:"thresholds"` // "pass", "FAIL: p95 (plan)", "none"; on the part that ran
	DurationS  float64            `json:"duration_s"`
	Requests   int64              `json:"requests"`
}

// Change is one metric before and after. Values are JSON numbers, or decimal strings for USD;
// null where a run has no value. DeltaPct is null when the value before is 0 or absent.
type Change struct {
	Metric   string   `json:"metric"`
	Task     string   `json:"task,omitempty"`
	Unit     string   `json:"unit"` // req/s, ms, ratio, USD
	Before   any      `json:"before"`
	After    any      `json:"after"`
	Delta    any      `json:"delta"`
	DeltaPct *float64 `json:"delta_pct"`
	Verdict  string   `json:"verdict"`

	higherBetter bool
}

// value is one side of a change: a float, or money.
type value struct {
	ok    bool
	f     float64
	money *decimal.Decimal
}

func num(f float64) value { return value{ok: true, f: f} }

func money(d decimal.Decimal) value { return value{ok: true, f: d.InexactFloat64(), money: &d} }

func moneyPtr(d *decimal.Decimal) value {
	if d == nil {
		return value{}
	}
	return money(*d)
}

func (v value) json() any {
	switch {
	case !v.ok:
		return nil
	case v.money != nil:
		return v.money.String()
	}
	return v.f
}

// Compare compares two runs: requests/s, latency percentiles, time to first token, failure
// rate, cache hit rate, cost per request and total cost, and per request name its p95, cost
// per request and cost. Lower latency, failures and cost are better, higher throughput and
// cache hit rate are better; a change within SameBandPct is the same.
func Compare(before, after *summary.Run) *Comparison {
	c := &Comparison{Before: runRef(before), After: runRef(after), Notes: []string{}, Changes: []Change{}}
	if before.Plan != after.Plan || before.Scenario != after.Scenario {
		c.Notes = append(c.Notes, fmt.Sprintf("the runs are of different scenarios (%s/%s, %s/%s): compare rates, latencies and cost per request rather than totals",
			before.Plan, before.Scenario, after.Plan, after.Scenario))
	} else if d0, d1 := before.DurationS, after.DurationS; d0 > 0 && d1 > 0 && math.Abs(d1-d0)/d0 > 0.1 {
		c.Notes = append(c.Notes, fmt.Sprintf("the runs lasted %s and %s: total cost follows the length; cost per request compares them", humanSeconds(d0), humanSeconds(d1)))
	}
	for _, s := range []*summary.Run{before, after} {
		if s.StopReason != summary.StopCompleted {
			c.Notes = append(c.Notes, fmt.Sprintf("the run of %s stopped early (%s)", s.StartedAt.UTC().Format("2006-01-02 15:04"), s.StopReason))
		}
	}
	b, a := before.Actual, after.Actual
	add := func(metric, task, unit string, higherBetter bool, v0, v1 value) {
		c.Changes = append(c.Changes, newChange(metric, task, unit, higherBetter, v0, v1))
	}
	add("rps", "", "req/s", true, num(b.RPS), num(a.RPS))
	add("p50_ms", "", "ms", false, latencyValue(b.Requests, b.Latency.P50), latencyValue(a.Requests, a.Latency.P50))
	add("p95_ms", "", "ms", false, latencyValue(b.Requests, b.Latency.P95), latencyValue(a.Requests, a.Latency.P95))
	add("p99_ms", "", "ms", false, latencyValue(b.Requests, b.Latency.P99), latencyValue(a.Requests, a.Latency.P99))
	if b.TTFT != nil || a.TTFT != nil {
		add("ttft_p50_ms", "", "ms", false, ttftValue(b.TTFT, false), ttftValue(a.TTFT, false))
		add("ttft_p95_ms", "", "ms", false, ttftValue(b.TTFT, true), ttftValue(a.TTFT, true))
	}
	add("failure_rate", "", "ratio", false, rateValue(b.Failures, b.Requests), rateValue(a.Failures, a.Requests))
	add("cache_hit_rate", "", "ratio", true, num(b.CacheHitRate), num(a.CacheHitRate))
	add("cost_per_request", "", "USD", false, moneyPtr(b.CostPerRequest), moneyPtr(a.CostPerRequest))
	add("total_cost", "", "USD", false, money(b.Cost), money(a.Cost))
	if b.Goodput != nil || a.Goodput != nil {
		gp := func(x *summary.Actual, f func(*summary.Goodput) value) value {
			if x.Goodput == nil {
				return value{}
			}
			return f(x.Goodput)
		}
		good := func(g *summary.Goodput) value { return num(float64(g.Good)) }
		att := func(g *summary.Goodput) value {
			if g.SLOAttainment == nil {
				return value{}
			}
			return num(*g.SLOAttainment)
		}
		rate := func(g *summary.Goodput) value { return num(g.GoodputRPS) }
		cpg := func(g *summary.Goodput) value { return moneyPtr(g.CostPerGoodRequest) }
		per1k := func(g *summary.Goodput) value {
			if g.CostPerGoodRequest == nil {
				return value{}
			}
			return money(g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000)))
		}
		wasted := func(g *summary.Goodput) value { return money(g.WastedCost) }
		add("good", "", "requests", true, gp(&b, good), gp(&a, good))
		add("slo_attainment", "", "ratio", true, gp(&b, att), gp(&a, att))
		add("goodput_rps", "", "req/s", true, gp(&b, rate), gp(&a, rate))
		add("cost_per_good_request", "", "USD", false, gp(&b, cpg), gp(&a, cpg))
		add("cost_per_1k_good", "", "USD", false, gp(&b, per1k), gp(&a, per1k))
		add("wasted_cost", "", "USD", false, gp(&b, wasted), gp(&a, wasted))
	}

	var names []string
	rows0, rows1 := map[string]summary.TaskStats{}, map[string]summary.TaskStats{}
	for _, t := range before.Tasks {
		rows0[t.Name] = t
		names = append(names, t.Name)
	}
	for _, t := range after.Tasks {
		rows1[t.Name] = t
		if _, ok := rows0[t.Name]; !ok {
			names = append(names, t.Name)
		}
	}
	for _, n := range names {
		t0, ok0 := rows0[n]
		t1, ok1 := rows1[n]
		side := func(ok bool, f func() value) value {
			if !ok {
				return value{}
			}
			return f()
		}
		add("p95_ms", n, "ms", false, side(ok0, func() value { return latencyValue(t0.Requests, t0.Latency.P95) }), side(ok1, func() value { return latencyValue(t1.Requests, t1.Latency.P95) }))
		add("cost_per_request", n, "USD", false, side(ok0, func() value { return moneyPtr(t0.CostPerRequest) }), side(ok1, func() value { return moneyPtr(t1.CostPerRequest) }))
		add("cost", n, "USD", false, side(ok0, func() value { return money(t0.Cost) }), side(ok1, func() value { return money(t1.Cost) }))
	}
	for _, ch := range c.Changes {
		switch ch.Verdict {
		case VerdictBetter:
			c.Better++
		case VerdictWorse:
			c.Worse++
		case VerdictSame:
			c.Same++
		}
	}
	return c
}

func runRef(s *summary.Run) RunRef {
	return RunRef{Plan: s.Plan, Scenario: s.Scenario, StartedAt: s.StartedAt.UTC(), StopReason: s.StopReason,
		Verdict: s.Verdict(), Thresholds: s.ThresholdsText(), DurationS: s.DurationS, Requests: s.Actual.Requests}
}

func latencyValue(n int64, ms float64) value {
	if n == 0 {
		return value{}
	}
	return num(ms)
}

func ttftValue(p *summary.Percentiles, p95 bool) value {
	if p == nil {
		return value{}
	}
	if p95 {
		return num(p.P95)
	}
	return num(p.P50)
}

func rateValue(n, of int64) value {
	if of == 0 {
		return value{}
	}
	return num(float64(n) / float64(of))
}

func newChange(metric, task, unit string, higherBetter bool, v0, v1 value) Change {
	ch := Change{Metric: metric, Task: task, Unit: unit, Before: v0.json(), After: v1.json(), higherBetter: higherBetter}
	switch {
	case !v0.ok && !v1.ok:
		ch.Verdict = VerdictSame
		return ch
	case !v0.ok:
		ch.Verdict = VerdictNew
		return ch
	case !v1.ok:
		ch.Verdict = VerdictGone
		return ch
	}
	var diff float64
	if v0.money != nil && v1.money != nil {
		d := v1.money.Sub(*v0.money)
		ch.Delta = d.String()
		diff = d.InexactFloat64()
		if !v0.money.IsZero() {
			pct := d.Div(*v0.money).InexactFloat64() * 100
			ch.DeltaPct = &pct
		}
	} else {
		diff = v1.f - v0.f
		ch.Delta = diff
		if v0.f != 0 {
			pct := diff / v0.f * 100
			ch.DeltaPct = &pct
		}
	}
	switch {
	case diff == 0, ch.DeltaPct != nil && math.Abs(*ch.DeltaPct) < SameBandPct:
		ch.Verdict = VerdictSame
	case (diff > 0) == higherBetter:
		ch.Verdict = VerdictBetter
	default:
		ch.Verdict = VerdictWorse
	}
	return ch
}

var metricNames = map[string]string{
	"rps": "Requests/s", "p50_ms": "Latency p50", "p95_ms": "Latency p95", "p99_ms": "Latency p99",
	"ttft_p50_ms": "TTFT p50", "ttft_p95_ms": "TTFT p95", "failure_rate": "Failure rate",
	"cache_hit_rate": "Cache hit rate", "cost_per_request": "Cost per request", "total_cost": "Total cost", "cost": "Cost",
	"good": "Good requests", "slo_attainment": "SLO attainment", "goodput_rps": "Goodput (good req/s)",
	"cost_per_good_request": "Cost per good request", "cost_per_1k_good": "Cost per 1k good", "wasted_cost": "Wasted cost",
}

// CompareTable writes a comparison for the terminal.
func CompareTable(w io.Writer, c *Comparison) error {
	ref := func(r RunRef) string {
		name := r.File
		if name == "" {
			name = r.Plan + "/" + r.Scenario
		}
		v := string(r.Verdict)
		if v == "" { // a comparison read back from JSON written before verdicts
			v = string(r.StopReason)
		}
		if r.Verdict.Stopped() && r.Thresholds != "" {
			v += ", thresholds on the part that ran: " + r.Thresholds
		}
		return fmt.Sprintf("%s (%s/%s, %s, %s requests, %s)", name, r.Plan, r.Scenario, r.StartedAt.Format("2006-01-02 15:04 UTC"),
			groupThousands(float64(r.Requests)), v)
	}
	fmt.Fprintf(w, "Before: %s\nAfter:  %s\n", ref(c.Before), ref(c.After))
	for _, n := range c.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Metric", "Before", "After", "Change", "Change %", "Verdict"})
	task := ""
	for _, ch := range c.Changes {
		if ch.Task != task {
			t.AppendSeparator()
			task = ch.Task
		}
		name := metricNames[ch.Metric]
		if ch.Task != "" {
			name = ch.Task + ": " + strings.ToLower(name[:1]) + name[1:]
		}
		pct := "-"
		if ch.DeltaPct != nil {
			pct = signed(*ch.DeltaPct, strconv.FormatFloat(math.Abs(*ch.DeltaPct), 'f', 1, 64)) + "%"
		}
		t.AppendRow(table.Row{name, formatChangeValue(ch.Unit, ch.Before), formatChangeValue(ch.Unit, ch.After), formatDelta(ch.Unit, ch.Delta), pct, ch.Verdict})
	}
	t.SetColumnConfigs(rightAligned(2, 5))
	t.Render()
	fmt.Fprintf(w, "%d better, %d worse, %d same (changes within %g%% count as the same)\n", c.Better, c.Worse, c.Same, SameBandPct)
	return nil
}

func formatChangeValue(unit string, v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return x
		}
		return pricing.FormatUSD(d)
	case float64:
		switch unit {
		case "ms":
			return msText(x)
		case "ratio":
			return ratioText(x)
		case "req/s":
			return strconv.FormatFloat(x, 'f', 2, 64)
		}
		return formatNumber(x)
	}
	return fmt.Sprint(v)
}

func formatDelta(unit string, v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return x
		}
		return signed(d.InexactFloat64(), pricing.FormatUSD(d.Abs()))
	case float64:
		switch unit {
		case "ms":
			return signed(x, msText(math.Abs(x)))
		case "ratio":
			return signed(x, summary.Percent(math.Abs(x), 2).StringFixed(2)+" pp")
		case "req/s":
			return signed(x, strconv.FormatFloat(math.Abs(x), 'f', 2, 64))
		}
		return signed(x, formatNumber(math.Abs(x)))
	}
	return fmt.Sprint(v)
}
