package summary

import (
	"time"

	"github.com/loadplan/loadplan/monitor"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/shopspring/decimal"
)

// Progress is the live state of a run, delivered about once a second to the executor's
// OnProgress callback (the live view, the CSV history writer). It is a copy: the callee may
// keep it.
type Progress struct {
	Elapsed   time.Duration
	Remaining time.Duration // 0 when unknown
	Users     int           // active users (closed model) or workers in use (open model)
	InFlight  int
	// Tasks are the per-request-name statistics so far (cumulative counts and percentiles;
	// CurrentRPS/CurrentFPS over the last second). Total is the Aggregated row.
	Tasks []TaskProgress
	Total TaskProgress
	// Cost: spent and reserved so far, the budget (nil: none), the spend rate over the last
	// minute and the cost projected at the planned end at that rate.
	Spent       decimal.Decimal
	Reserved    decimal.Decimal
	Budget      *decimal.Decimal
	SpendPerMin decimal.Decimal
	Projected   decimal.Decimal
	// ProjectedEarly: the run is younger than one pacing period or a tenth of its duration,
	// so Projected blends the spend rate seen with the estimate's expected rate.
	ProjectedEarly bool
	LateStarts     int64
	Stopping       bool // no new requests are being started
	// GoodKnown says the rows' Good and WastedCost are counted (a run of this executor);
	// false in a progress that does not carry them.
	GoodKnown bool
	// Failures is the failures table so far (as the summary's).
	Failures []Failure
	// Monitor is the monitors' latest values and scrape counts; nil without monitors.
	Monitor *monitor.Snapshot
	// Point is this second of the timeline (its p50 and p95 are over this second's requests);
	// Events are the run's events so far (users changed, stop asked for).
	Point  TimelinePoint
	Events []Event
}

// TaskProgress is one row of the live statistics.
type TaskProgress struct {
	Name           string
	Method         string
	Requests       int64
	Failures       int64
	CurrentRPS     float64
	CurrentFPS     float64
	Latency        Percentiles  // cumulative, ms
	TTFT           *Percentiles // cumulative time to first token, ms; nil: no stream yet
	AvgContentSize float64
	Cost           decimal.Decimal
	// Good are the requests so far that succeeded and met their SLO, and WastedCost what the
	// others cost (as the summary's Goodput); meaningful when Progress.GoodKnown.
	Good       int64
	WastedCost decimal.Decimal
	// LatencyHist and TTFTHist count the latencies and times to first token at
	// Config.LatencyBuckets, for a Prometheus histogram; nil unless the buckets are set.
	LatencyHist, TTFTHist *Histogram
	// Cumulative is a copy of the cumulative latency histogram (µs), from which a reader
	// takes the percentiles of a recent window (Locust's current percentiles: the
	// difference with a copy of some seconds before); nil when not given.
	Cumulative *hdr.Histogram
	// Histogram is the cumulative latency histogram, encoded (EncodeHistogram), when the
	// run was asked for it (a worker's progress, merged on its coordinator); else "".
	Histogram string
}

// Histogram is a cumulative histogram at fixed bounds: Counts[i] requests took at most
// Bounds[i]; Count is all of them (the +Inf bucket), Sum their total time.
type Histogram struct {
	Bounds []time.Duration
	Counts []int64
	Count  int64
	Sum    time.Duration
}
