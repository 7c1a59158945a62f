package executor

import (
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// thresholds are the scenario's (the plan's, overridden by the scenario's) and every task's.
func (r *runner) thresholds() []plan.Threshold {
	out := append([]plan.Threshold(nil), r.sc.Thresholds...)
	for _, t := range r.cfg.Plan.Tasks {
		out = append(out, t.Thresholds...)
	}
	return out
}

// ScopeTask is the scope of a task's own thresholds; ThresholdResult.Task names the task.
const ScopeTask = "task"

// ScopeText is a threshold's scope for reading: "plan", "scenario", "task chat".
func (t ThresholdResult) ScopeText() string {
	if t.Scope == ScopeTask && t.Task != "" {
		return "task " + t.Task
	}
	return t.Scope
}

// noData is the actual value of a threshold with nothing to judge: it fails (an unknown is
// never a pass).
const noData = "no data"

// latencyKind: a threshold on a latency or TTFT percentile (the others read counters only).
func latencyKind(k plan.ThresholdKind) bool {
	switch k {
	case plan.ThP50, plan.ThP90, plan.ThP95, plan.ThP99, plan.ThTTFTP50, plan.ThTTFTP95:
		return true
	}
	return false
}

// evalThreshold judges one threshold on rows (all of them for the plan and scenario scopes,
// the task's own for a task scope). It also returns the number of requests in scope.
func evalThreshold(th plan.Threshold, rows []rowSnap, elapsed time.Duration) (ThresholdResult, int64) {
	res := ThresholdResult{Name: string(th.Kind), Scope: th.Scope, Limit: th.Text}
	keep := func(*rowSnap) bool { return true }
	if name, ok := strings.CutPrefix(th.Scope, "task:"); ok {
		// DESIGN.md's scopes are plan, scenario and task; the task is named apart.
		res.Scope, res.Task = ScopeTask, name
		keep = func(s *rowSnap) bool { return s.task == name }
	}
	t := total(rows, keep, latencyKind(th.Kind))
	duration := func(h *hdr.Histogram, q float64) {
		if h.TotalCount() == 0 {
			res.Actual = noData
			return
		}
		d := time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
		res.Actual = formatLatency(d)
		res.Pass = d <= th.Duration
	}
	ratio := func(num, den int64) {
		if den == 0 {
			res.Actual = noData
			return
		}
		v := float64(num) / float64(den)
		res.Actual = formatPct(v)
		if th.Lower() {
			res.Pass = v >= th.Ratio
		} else {
			res.Pass = v <= th.Ratio
		}
	}
	switch th.Kind {
	case plan.ThP50:
		duration(t.lat, 50)
	case plan.ThP90:
		duration(t.lat, 90)
	case plan.ThP95:
		duration(t.lat, 95)
	case plan.ThP99:
		duration(t.lat, 99)
	case plan.ThTTFTP50:
		duration(t.ttft, 50)
	case plan.ThTTFTP95:
		duration(t.ttft, 95)
	case plan.ThFailureRate:
		ratio(t.failures, t.requests)
	case plan.ThCacheHitRate:
		ratio(t.cacheHits, t.reported)
	case plan.ThRPS:
		if elapsed <= 0 {
			res.Actual = noData
			break
		}
		v := float64(t.requests) / elapsed.Seconds()
		res.Actual = strconv.FormatFloat(v, 'f', 2, 64) + "/s"
		res.Pass = v >= th.Ratio
	case plan.ThCostPerRequest:
		if cpr := t.costPerRequest(); cpr != nil {
			res.Actual = moneyText(*cpr)
			res.Pass = cpr.LessThanOrEqual(th.Money)
		} else {
			res.Actual = noData
		}
	case plan.ThTotalCost:
		res.Actual = moneyText(t.cost)
		res.Pass = t.cost.LessThanOrEqual(th.Money)
	}
	return res, t.requests
}

// formatLatency writes a latency in the plan's units, to the millisecond ("850ms", "1.834s").
func formatLatency(d time.Duration) string {
	if d < time.Millisecond {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
	}
	return plan.FormatDuration(d.Round(time.Millisecond))
}

// formatPct writes a share as a percentage with up to two decimals ("0.5%", "12.34%").
func formatPct(v float64) string {
	return strconv.FormatFloat(float64(int64(v*10000+0.5))/100, 'f', -1, 64) + "%"
}

// moneyText writes an amount of USD as a plain decimal, rounded for reading (the exact
// figures are in the cost keys).
func moneyText(d decimal.Decimal) string {
	if d.Abs().LessThan(decimal.New(1, -3)) {
		return d.Round(9).String()
	}
	return d.Round(6).String()
}
