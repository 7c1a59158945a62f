package summary

import (
	"encoding/json"
	"time"

	"github.com/loadplan/loadplan/monitor"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// Schema is the JSON schema name of a run summary.
const Schema = "loadplan.run/v1"

// HistorySchema is the schema of a line of a run history (loadplan run --history), which
// package report writes and reads. It is named here so that a history given where a summary
// is expected is recognised and named.
const HistorySchema = "loadplan.history/v1"

// Run is the result of a run: JSON loadplan.run/v1. Keys named in DESIGN.md are stable;
// more may be added.
type Run struct {
	Schema     string          `json:"schema"`
	Plan       string          `json:"plan"`
	Scenario   string          `json:"scenario"`
	StartedAt  time.Time       `json:"started_at"`
	EndedAt    time.Time       `json:"ended_at"`
	StopReason StopReason      `json:"stop_reason"`
	StopDetail string          `json:"stop_detail,omitempty"` // a human sentence: which threshold, which error
	ExitCode   int             `json:"exit_code"`
	Budget     *Budget         `json:"budget"`
	Estimate   json.RawMessage `json:"estimate"` // the scenario's planner estimate, as in loadplan.estimate/v1
	// EstimateElapsed is the estimate of the part of the schedule that ran, for a run stopped
	// before its end (nil otherwise): actual.estimate_error_pct is computed against it.
	EstimateElapsed *ElapsedEstimate  `json:"estimate_elapsed,omitempty"`
	Actual          Actual            `json:"actual"`
	Tasks           []TaskStats       `json:"tasks"`
	Failures        []Failure         `json:"failures"`
	Timeline        []TimelinePoint   `json:"timeline"`
	Events          []Event           `json:"events,omitempty"` // changes made while it ran (run --web)
	Thresholds      []ThresholdResult `json:"thresholds"`
	Pass            bool              `json:"pass"`

	Partial   bool    `json:"partial"` // stopped before its planned end: thresholds judged on partial data
	Target    string  `json:"target"`
	Seed      uint64  `json:"seed"`
	DurationS float64 `json:"duration_s"` // seconds from the start of the run to its end (the last response)
	Meter     *Meter  `json:"meter,omitempty"`
	// Monitor is what the plan's monitors saw of the target: each series' points (t: seconds
	// since the start) and each endpoint's scrapes; nil without monitors.
	Monitor *monitor.Report `json:"monitor,omitempty"`
	// RateLimits is the run's rate-limit headroom (summary/ratelimit.go); nil when no
	// response carried rate-limit headers and the plan gives no rate_limit.
	RateLimits *RateLimits `json:"rate_limits,omitempty"`

	// Workers are the worker processes of a run spread over several (loadplan run --workers
	// or --expect-workers), by index; WorkersLost counts those that stopped sending
	// statistics (their reservations were charged in full by the ledger).
	Workers     []Worker `json:"workers,omitempty"`
	WorkersLost int      `json:"workers_lost,omitempty"`
}

// ElapsedEstimate is the planner's estimate of a scenario cut at the moment a run stopped:
// what the part that ran was expected to cost.
type ElapsedEstimate struct {
	ElapsedS float64         `json:"elapsed_s"` // seconds of the schedule that ran
	Requests ElapsedRequests `json:"requests"`
	Cost     ElapsedCost     `json:"cost"`
}

// ElapsedRequests are the low, expected and worst request counts of the part that ran
// (worst nil when unbounded), as in the estimate.
type ElapsedRequests struct {
	Low      *float64 `json:"low"`
	Expected *float64 `json:"expected"`
	Worst    *float64 `json:"worst"`
}

// ElapsedCost is the low, expected and worst cost of the part that ran (worst nil when
// unbounded), decimal strings as in the estimate.
type ElapsedCost struct {
	Low      *decimal.Decimal `json:"low"`
	Expected *decimal.Decimal `json:"expected"`
	Worst    *decimal.Decimal `json:"worst"`
}

// SetEstimateElapsed records the estimate of the part that ran and judges the actual cost
// against it: a partial run is compared with what it ran, not with the whole schedule.
func (s *Run) SetEstimateElapsed(e *ElapsedEstimate) {
	s.EstimateElapsed = e
	if e != nil {
		s.Actual.EstimateErrorPct = EstimateErrorPct(s.Actual.Cost, e.Cost.Expected)
	}
}

// Unreachable reports whether the run stopped on an error before any request got a
// response (the target unreachable at start): its rates measure how fast connections fail,
// not the target, and are not shown.
func (s *Run) Unreachable() bool {
	return s.StopReason == StopError && s.Actual.Failures == s.Actual.Requests
}

// Budget is a run's limit.
type Budget struct {
	Limit    decimal.Decimal `json:"limit"`
	Currency string          `json:"currency"`
}

// Actual is what the run did and spent, over all requests.
type Actual struct {
	Requests         int64           `json:"requests"`
	Failures         int64           `json:"failures"`
	RPS              float64         `json:"rps"`
	Cost             decimal.Decimal `json:"cost"`
	CostEstimated    decimal.Decimal `json:"cost_estimated"` // the part charged without a usage report
	Tokens           pricing.Tokens  `json:"tokens"`         // reported tokens only
	CacheHitRate     float64         `json:"cache_hit_rate"`
	LateStarts       int64           `json:"late_starts"`
	DroppedArrivals  int64           `json:"dropped_arrivals"`   // open model: arrivals due before the stop that never started
	EstimateErrorPct *float64        `json:"estimate_error_pct"` // (actual - expected) / expected × 100; nil without an estimate
	RateLimited      int64           `json:"rate_limited"`       // 429 and 529 responses
	// UnpricedResponses are responses of steps with no worst case (uncapped runs) that did
	// not report all their usage: that part of their cost is unknown and was charged nothing.
	UnpricedResponses int64 `json:"unpriced_responses"`
	// IncompleteUsage are responses whose usage lacked a bucket their source requires (a JSON
	// path or header that matched nothing, a null member, a stream that stopped without its
	// final count): that bucket was charged at the request's bound, in cost_estimated.
	IncompleteUsage int64            `json:"incomplete_usage"`
	Latency         Percentiles      `json:"latency_ms"`
	TTFT            *Percentiles     `json:"ttft_ms,omitempty"`
	CostPerRequest  *decimal.Decimal `json:"cost_per_request"`
	// Goodput is nil in a summary written before loadplan knew about it.
	*Goodput
}

// Goodput is how many requests were good and what the others cost (issue 16). A request is
// good when it succeeded and met the per-request SLO in force for it (plan, scenario or task
// slo:); with no SLO, every successful request is good.
type Goodput struct {
	Good       int64   `json:"good"`
	GoodputRPS float64 `json:"goodput_rps"`
	// SLOAttainment is Good / Requests; nil with no requests.
	SLOAttainment *float64 `json:"slo_attainment"`
	// CostPerGoodRequest is the whole cost (good or not) over Good; nil with no good request.
	CostPerGoodRequest *decimal.Decimal `json:"cost_per_good_request"`
	// WastedCost is what failed, retried, cut or out-of-SLO requests cost.
	WastedCost decimal.Decimal `json:"wasted_cost"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	Min    float64 `json:"min"`
	Avg    float64 `json:"avg"`
	Max    float64 `json:"max"`
	P50    float64 `json:"p50"`
	P66    float64 `json:"p66"`
	P75    float64 `json:"p75"`
	P80    float64 `json:"p80"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P98    float64 `json:"p98"`
	P99    float64 `json:"p99"`
	P99_9  float64 `json:"p99_9"`
	P99_99 float64 `json:"p99_99"`
}

// TaskStats are one request name's statistics (a task, TASK.STEP, or on_start.NAME).
type TaskStats struct {
	Name           string           `json:"name"`
	Method         string           `json:"method"`
	Requests       int64            `json:"requests"`
	Failures       int64            `json:"failures"`
	RPS            float64          `json:"rps"`
	Latency        Percentiles      `json:"latency_ms"`
	TTFT           *Percentiles     `json:"ttft_ms"` // nil for non-streamed requests
	AvgContentSize float64          `json:"avg_content_size"`
	Tokens         pricing.Tokens   `json:"tokens"`
	Cost           decimal.Decimal  `json:"cost"`
	CostEstimated  decimal.Decimal  `json:"cost_estimated"`
	CostPerRequest *decimal.Decimal `json:"cost_per_request"` // nil with no requests
	CostSource     string           `json:"cost_source"`      // anthropic | openai | json | headers | prometheus | flat | free
	CacheHitRate   float64          `json:"cache_hit_rate"`
	RateLimited    int64            `json:"rate_limited"`
	// IncompleteUsage: as Actual.IncompleteUsage, for this request name.
	IncompleteUsage int64 `json:"incomplete_usage"`
	// OutputTokensPerS and InterTokenMS describe streams after their first token: output
	// tokens per second, and the mean time between two tokens (0 without streams).
	OutputTokensPerS float64 `json:"output_tokens_per_s,omitempty"`
	InterTokenMS     float64 `json:"inter_token_ms,omitempty"`
	*Goodput                 // nil in a summary written before loadplan knew about it
	// Histogram is the HDR latency histogram (microseconds), encoded with
	// hdrhistogram-go's Encode (compressed V2 log format, base64), so that the summaries of
	// several workers merge exactly. TTFTHistogram likewise.
	Histogram     string `json:"histogram"`
	TTFTHistogram string `json:"ttft_histogram,omitempty"`
	// TokenDist is the distribution of tokens per response (issue 16: loadplan calibrate);
	// nil without usage reports, and in a summary written before loadplan recorded it.
	TokenDist *TokenDist `json:"token_dist,omitempty"`
}

// Failure is one kind of failure of one request name, as in Locust's failures table.
type Failure struct {
	Task        string `json:"task"`
	Method      string `json:"method"`
	Error       string `json:"error"`
	Occurrences int64  `json:"occurrences"`
}

// TimelinePoint is one second of the run (t: seconds since the start).
type TimelinePoint struct {
	T        float64         `json:"t"`
	Users    int             `json:"users"`
	RPS      float64         `json:"rps"`
	FPS      float64         `json:"fps"`
	P50      float64         `json:"p50"` // ms, over that second's requests
	P95      float64         `json:"p95"`
	Spent    decimal.Decimal `json:"spent"`
	Reserved decimal.Decimal `json:"reserved"`
	InFlight int             `json:"in_flight"`
}

// ThresholdResult is one threshold's verdict; limit and actual in the plan's units. Scope is
// plan, scenario or task; a task's threshold names its task.
type ThresholdResult struct {
	Name   string `json:"name"`
	Scope  string `json:"scope"`
	Task   string `json:"task,omitempty"`
	Limit  string `json:"limit"`
	Actual string `json:"actual"`
	Pass   bool   `json:"pass"`
	// Implicit: the failure_rate 0 that applies when no scope sets a failure_rate (any
	// failed request fails the run, as in Locust).
	Implicit bool `json:"implicit,omitempty"`
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

// Meter is the cost meter's account of the run.
type Meter struct {
	Spent             decimal.Decimal `json:"spent"`
	Reserved          decimal.Decimal `json:"reserved"` // left reserved at the end: 0 after a clean stop
	LargestWorstCase  decimal.Decimal `json:"largest_worst_case"`
	Overruns          int64           `json:"overruns"`
	UnreportedCharged int64           `json:"unreported_charged"` // responses whose usage source yielded nothing: charged the reservation
	BoundsHeld        bool            `json:"bounds_held"`        // no response reported more than its reservation
}

// EstimateErrorPct is how far the actual cost is from the expected one, in percent of it:
// (actual - expected) / expected × 100, computed in decimals; nil without a positive
// expected cost.
func EstimateErrorPct(actual decimal.Decimal, expected *decimal.Decimal) *float64 {
	if expected == nil || !expected.IsPositive() {
		return nil
	}
	pct := actual.Sub(*expected).Div(*expected).Mul(decimal.NewFromInt(100)).InexactFloat64()
	return &pct
}
