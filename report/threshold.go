package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// figures are the numbers thresholds are judged on, for a whole run or one task.
type figures struct {
	requests, failures int64
	rps                float64
	latency            executor.Percentiles
	ttft               *executor.Percentiles
	cacheHitRate       float64
	cost               decimal.Decimal
	costPerRequest     *decimal.Decimal
}

// runFigures are the figures of the whole run.
func runFigures(s *executor.Summary) figures {
	return figures{requests: s.Actual.Requests, failures: s.Actual.Failures, rps: s.Actual.RPS,
		latency: s.Actual.Latency, ttft: s.Actual.TTFT, cacheHitRate: s.Actual.CacheHitRate,
		cost: s.Actual.Cost, costPerRequest: s.Actual.CostPerRequest}
}

// taskFigures are the figures of one task: its row, or the rows of its steps (TASK.STEP)
// together, their percentiles from the merge of their histograms.
func taskFigures(s *executor.Summary, task string) (figures, bool, error) {
	var rows []executor.TaskStats
	for _, t := range s.Tasks {
		if t.Name == task || strings.HasPrefix(t.Name, task+".") {
			rows = append(rows, t)
		}
	}
	switch len(rows) {
	case 0:
		return figures{}, false, nil
	case 1:
		t := rows[0]
		return figures{requests: t.Requests, failures: t.Failures, rps: t.RPS, latency: t.Latency, ttft: t.TTFT,
			cacheHitRate: t.CacheHitRate, cost: t.Cost, costPerRequest: t.CostPerRequest}, true, nil
	}
	var f figures
	var hits float64
	for _, t := range rows {
		f.requests += t.Requests
		f.failures += t.Failures
		f.rps += t.RPS
		f.cost = f.cost.Add(t.Cost)
		hits += t.CacheHitRate * float64(t.Requests)
	}
	lat, ok, err := aggregateLatency(rows)
	if err != nil || !ok {
		return figures{}, false, err
	}
	f.latency = lat
	ttft, err := aggregateTTFT(rows)
	if err != nil {
		return figures{}, false, err
	}
	f.ttft = ttft
	if f.requests > 0 {
		f.cacheHitRate = hits / float64(f.requests)
		cpr := f.cost.Div(decimal.NewFromInt(f.requests))
		f.costPerRequest = &cpr
	}
	return f, true, nil
}

// evaluateThreshold judges a threshold (DESIGN.md's kinds and scopes; limit in the plan's
// units) on a summary's figures. ok is false when it cannot be judged from the summary: an
// unknown kind or scope, or a figure the run does not have (TTFT without streams).
func evaluateThreshold(s *executor.Summary, kind, scope, limit string) (actual string, pass, ok bool, err error) {
	var f figures
	switch {
	case scope == "plan" || scope == "scenario" || scope == "":
		f = runFigures(s)
	case strings.HasPrefix(scope, "task:"):
		var found bool
		f, found, err = taskFigures(s, strings.TrimPrefix(scope, "task:"))
		if err != nil || !found {
			return "", false, false, err
		}
	default:
		return "", false, false, nil
	}
	latency := func(ms float64) (string, bool, bool, error) {
		d, perr := plan.ParseDuration(limit)
		if perr != nil {
			return "", false, false, nil
		}
		return formatThresholdMS(ms), ms <= float64(d)/float64(time.Millisecond), true, nil
	}
	switch plan.ThresholdKind(kind) {
	case plan.ThP50:
		return latency(f.latency.P50)
	case plan.ThP90:
		return latency(f.latency.P90)
	case plan.ThP95:
		return latency(f.latency.P95)
	case plan.ThP99:
		return latency(f.latency.P99)
	case plan.ThTTFTP50, plan.ThTTFTP95:
		if f.ttft == nil {
			return "", false, false, nil
		}
		if kind == string(plan.ThTTFTP50) {
			return latency(f.ttft.P50)
		}
		return latency(f.ttft.P95)
	case plan.ThFailureRate, plan.ThCacheHitRate:
		r, perr := plan.ParseRatio(limit)
		if perr != nil {
			return "", false, false, nil
		}
		lim := r.InexactFloat64()
		if kind == string(plan.ThCacheHitRate) {
			return formatRatio(f.cacheHitRate), f.cacheHitRate >= lim, true, nil
		}
		fr := 0.0
		if f.requests > 0 {
			fr = float64(f.failures) / float64(f.requests)
		}
		return formatRatio(fr), fr <= lim, true, nil
	case plan.ThRPS:
		var lim float64
		if strings.Contains(limit, "/") {
			r, perr := plan.ParseRate(limit)
			if perr != nil {
				return "", false, false, nil
			}
			lim = r.PerSecond
		} else if lim, err = strconv.ParseFloat(limit, 64); err != nil {
			return "", false, false, nil
		}
		return fmt.Sprintf("%.2f/s", f.rps), f.rps >= lim, true, nil
	case plan.ThCostPerRequest:
		m, perr := plan.ParseMoney(limit)
		if perr != nil || f.costPerRequest == nil {
			return "", false, false, nil
		}
		return thresholdMoney(*f.costPerRequest), f.costPerRequest.LessThanOrEqual(m), true, nil
	case plan.ThTotalCost:
		m, perr := plan.ParseMoney(limit)
		if perr != nil {
			return "", false, false, nil
		}
		return thresholdMoney(f.cost), f.cost.LessThanOrEqual(m), true, nil
	}
	return "", false, false, nil
}

// formatThresholdMS writes a latency in the plan's units, to the millisecond ("4.123s").
func formatThresholdMS(ms float64) string {
	return plan.FormatDuration(time.Duration(math.Round(ms)) * time.Millisecond)
}

// formatRatio writes a share as a percentage to two decimals at most ("0.85%").
func formatRatio(r float64) string {
	s := strconv.FormatFloat(r*100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// thresholdMoney writes an amount as the executor writes a threshold's actual: a plain
// decimal rounded for reading.
func thresholdMoney(d decimal.Decimal) string {
	if d.Abs().LessThan(decimal.New(1, -3)) {
		return d.Round(9).String()
	}
	return d.Round(6).String()
}
