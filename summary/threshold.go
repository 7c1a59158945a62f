package summary

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
)

// Figures are what a threshold is judged on: those of a whole run, or of one task. The
// executor fills them from its live counters and histograms (during the run for the aborting
// thresholds, and at its end); a saved summary gives them with Run.Figures (report merge
// judges the merged run again). Judge is the one judge of both.
type Figures struct {
	Requests, Failures int64
	Seconds            float64      // how long the run ran, for rps; 0: unknown
	Latency            *Percentiles // ms; nil: no request recorded
	TTFT               *Percentiles // ms; nil: no stream recorded
	// CacheHitRate is the share of the responses that reported their usage that read the
	// cache; nil when none reported it.
	CacheHitRate *float64
	Cost         decimal.Decimal
	// Good is the number of good requests (succeeded and met their SLO) and WastedCost what
	// the others cost; Good is nil when unknown (a summary written before issue 16).
	Good       *int64
	WastedCost decimal.Decimal
}

// NoData is the actual value of a threshold with nothing to judge: it fails (an unknown is
// never a pass).
const NoData = "no data"

// Judge judges threshold th on f. Scope "task:NAME" becomes scope task with the task named;
// the limit is th.Text and the actual is written in the same units: a latency to the
// millisecond ("1.834s", "850ms"; a sub-millisecond one to the microsecond, "0.850ms"), a
// share as a percentage with up to two decimals rounded half away from zero (FormatPct), a
// rate to two decimals ("31.25/s"), money as a plain decimal (MoneyText).
func Judge(th plan.Threshold, f Figures) ThresholdResult {
	res := ThresholdResult{Name: string(th.Kind), Scope: th.Scope, Limit: th.Text}
	if name, ok := strings.CutPrefix(th.Scope, "task:"); ok {
		// DESIGN.md's scopes are plan, scenario and task; the task is named apart.
		res.Scope, res.Task = ScopeTask, name
	}
	latency := func(p *Percentiles, pick func(*Percentiles) float64) {
		if p == nil {
			res.Actual = NoData
			return
		}
		d := msDuration(pick(p))
		res.Actual = FormatLatency(d)
		res.Pass = d <= th.Duration
	}
	share := func(v float64, known bool) {
		if !known {
			res.Actual = NoData
			return
		}
		res.Actual = FormatPct(v)
		if th.Lower() {
			res.Pass = v >= th.Ratio
		} else {
			res.Pass = v <= th.Ratio
		}
	}
	switch th.Kind {
	case plan.ThP50:
		latency(f.Latency, func(p *Percentiles) float64 { return p.P50 })
	case plan.ThP90:
		latency(f.Latency, func(p *Percentiles) float64 { return p.P90 })
	case plan.ThP95:
		latency(f.Latency, func(p *Percentiles) float64 { return p.P95 })
	case plan.ThP99:
		latency(f.Latency, func(p *Percentiles) float64 { return p.P99 })
	case plan.ThTTFTP50:
		latency(f.TTFT, func(p *Percentiles) float64 { return p.P50 })
	case plan.ThTTFTP95:
		latency(f.TTFT, func(p *Percentiles) float64 { return p.P95 })
	case plan.ThFailureRate:
		if f.Requests > 0 {
			share(float64(f.Failures)/float64(f.Requests), true)
		} else {
			share(0, false)
		}
	case plan.ThCacheHitRate:
		if f.CacheHitRate != nil {
			share(*f.CacheHitRate, true)
		} else {
			share(0, false)
		}
	case plan.ThRPS:
		if f.Seconds <= 0 {
			res.Actual = NoData
			break
		}
		v := float64(f.Requests) / f.Seconds
		res.Actual = strconv.FormatFloat(v, 'f', 2, 64) + "/s"
		res.Pass = v >= th.Ratio
	case plan.ThCostPerRequest:
		if f.Requests == 0 {
			res.Actual = NoData
			break
		}
		cpr := f.Cost.Div(decimal.NewFromInt(f.Requests))
		res.Actual = MoneyText(cpr)
		res.Pass = cpr.LessThanOrEqual(th.Money)
	case plan.ThTotalCost:
		res.Actual = MoneyText(f.Cost)
		res.Pass = f.Cost.LessThanOrEqual(th.Money)
	case plan.ThSLOAttainment:
		if f.Good != nil && f.Requests > 0 {
			share(float64(*f.Good)/float64(f.Requests), true)
		} else {
			share(0, false)
		}
	case plan.ThWastedCostShare:
		if f.Good != nil && f.Cost.IsPositive() {
			v, _ := f.WastedCost.Div(f.Cost).Float64() // a share, not money
			share(v, true)
		} else {
			share(0, false)
		}
	case plan.ThGoodput:
		if f.Good == nil || f.Seconds <= 0 {
			res.Actual = NoData
			break
		}
		v := float64(*f.Good) / f.Seconds
		res.Actual = strconv.FormatFloat(v, 'f', 2, 64) + "/s"
		res.Pass = v >= th.Ratio
	case plan.ThCostPer1kGood:
		if f.Good == nil || *f.Good == 0 {
			res.Actual = NoData
			break
		}
		c := f.Cost.Mul(decimal.NewFromInt(1000)).Div(decimal.NewFromInt(*f.Good))
		res.Actual = MoneyText(c)
		res.Pass = c.LessThanOrEqual(th.Money)
	}
	return res
}

// msDuration is a summary's milliseconds as a duration, to the microsecond (the histograms'
// unit, so a value read from one comes back exactly).
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms*usPerMS)) * time.Microsecond
}

// FormatLatency writes a latency in the plan's units, to the millisecond ("850ms", "1.834s");
// under a millisecond, in milliseconds to the microsecond ("0.850ms").
func FormatLatency(d time.Duration) string {
	if d < time.Millisecond {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
	}
	return plan.FormatDuration(d.Round(time.Millisecond))
}

// Percent is a share (0.00125) as a percentage rounded to places decimals, half away from
// zero (0.13). The share is taken at its shortest decimal form, the one strconv prints and
// that reads back as the same float, so that a share of two counts rounds as the exact
// fraction does: 1 failure in 800 requests is 0.125%, which is 0.13% (rounding the binary
// value to the nearest even, as %.2f does, gives 0.12%; adding 0.5 after scaling by 10,000
// rounds 57 in 800, 7.125%, to 7.12%, because 57/800 × 10,000 is 712.4999999999999 in
// floats). NaN and infinities are 0.
func Percent(share float64, places int32) decimal.Decimal {
	d, err := decimal.NewFromString(strconv.FormatFloat(share, 'e', -1, 64))
	if err != nil {
		return decimal.Zero
	}
	return d.Shift(2).Round(places)
}

// FormatPct writes a share as a percentage with up to two decimals, rounded as Percent does:
// "0.5%", "0.13%", "12.34%", "100%". Every figure of a run given as a percentage of a share
// with two decimals (a threshold's actual, the failure rate of the summary and of a merge)
// is written by FormatPct or, with trailing zeros kept, FormatPctFixed.
func FormatPct(share float64) string {
	return Percent(share, 2).String() + "%"
}

// FormatPctFixed writes a share as a percentage with exactly places decimals, rounded as
// Percent does: FormatPctFixed(1.0/800, 2) is "0.13%", FormatPctFixed(0, 2) "0.00%".
func FormatPctFixed(share float64, places int32) string {
	return Percent(share, places).StringFixed(places) + "%"
}

// MoneyText writes an amount of USD as a plain decimal, rounded for reading (the exact
// figures are in the cost keys): to nine decimals under a tenth of a cent, else to six.
func MoneyText(d decimal.Decimal) string {
	if d.Abs().LessThan(decimal.New(1, -3)) {
		return d.Round(9).String()
	}
	return d.Round(6).String()
}

// Figures are the figures of r for a threshold's scope: the whole run for "plan", "scenario"
// and "", a task's for "task:NAME" (its row, or the rows of its steps, TASK.STEP, together,
// their percentiles from the merge of their histograms). ok is false when the scope is
// unknown, or r has no row of the task or cannot merge its rows' histograms.
func (r *Run) Figures(scope string) (f Figures, ok bool, err error) {
	switch {
	case scope == "plan" || scope == "scenario" || scope == "":
		a := r.Actual
		f = Figures{Requests: a.Requests, Failures: a.Failures, Seconds: r.DurationS, TTFT: a.TTFT, Cost: a.Cost}
		if a.Goodput != nil {
			good := a.Good
			f.Good, f.WastedCost = &good, a.WastedCost
		}
		if a.Requests > 0 {
			lat := a.Latency
			f.Latency = &lat
		}
		f.CacheHitRate = cacheHitRate(a.CacheHitRate, a.Tokens.Input+a.Tokens.Output+a.Tokens.CacheRead+a.Tokens.CacheWrite)
		return f, true, nil
	case strings.HasPrefix(scope, "task:"):
		return r.taskFigures(strings.TrimPrefix(scope, "task:"))
	}
	return Figures{}, false, nil
}

// cacheHitRate is a summary's cache hit rate as a figure: unknown (nil) when no response
// reported its usage, which a summary shows as no reported tokens.
func cacheHitRate(rate float64, reportedTokens int64) *float64 {
	if reportedTokens == 0 && rate == 0 {
		return nil
	}
	return &rate
}

func (r *Run) taskFigures(task string) (Figures, bool, error) {
	var rows []TaskStats
	for _, t := range r.Tasks {
		if t.Name == task || strings.HasPrefix(t.Name, task+".") {
			rows = append(rows, t)
		}
	}
	if len(rows) == 0 {
		return Figures{}, false, nil
	}
	f := Figures{Seconds: r.DurationS}
	var hits float64
	var tokens, good int64
	knowGood := true
	for _, t := range rows {
		if t.Goodput != nil {
			good += t.Good
			f.WastedCost = f.WastedCost.Add(t.WastedCost)
		} else {
			knowGood = false
		}
		f.Requests += t.Requests
		f.Failures += t.Failures
		f.Cost = f.Cost.Add(t.Cost)
		hits += t.CacheHitRate * float64(t.Requests)
		tokens += t.Tokens.Input + t.Tokens.Output + t.Tokens.CacheRead + t.Tokens.CacheWrite
	}
	if len(rows) == 1 {
		f.Latency, f.TTFT = &rows[0].Latency, rows[0].TTFT
		f.CacheHitRate = cacheHitRate(rows[0].CacheHitRate, tokens)
	} else {
		lat, ok, err := AggregateLatency(rows)
		if err != nil || !ok {
			return Figures{}, false, err
		}
		f.Latency = &lat
		if f.TTFT, err = AggregateTTFT(rows); err != nil {
			return Figures{}, false, err
		}
		rate := 0.0
		if f.Requests > 0 {
			rate = hits / float64(f.Requests)
		}
		f.CacheHitRate = cacheHitRate(rate, tokens)
	}
	if f.Requests == 0 {
		f.Latency = nil
	}
	if knowGood {
		f.Good = &good
	}
	return f, true, nil
}

// Judge judges th again on the figures of r; ok is false when r lacks the figures of its
// scope (see Figures).
func (r *Run) Judge(th plan.Threshold) (res ThresholdResult, ok bool, err error) {
	f, ok, err := r.Figures(th.Scope)
	if err != nil || !ok {
		return ThresholdResult{}, false, err
	}
	return Judge(th, f), true, nil
}
