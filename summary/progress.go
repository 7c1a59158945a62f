package summary

import (
	"time"

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
}

// TaskProgress is one row of the live statistics.
type TaskProgress struct {
	Name           string
	Method         string
	Requests       int64
	Failures       int64
	CurrentRPS     float64
	CurrentFPS     float64
	Latency        Percentiles // cumulative, ms
	AvgContentSize float64
	Cost           decimal.Decimal
	// Histogram is a copy of the cumulative latency histogram (µs), from which a reader
	// takes the percentiles of a recent window (Locust's current percentiles: the
	// difference with a copy of some seconds before); nil when not given.
	Histogram *hdr.Histogram
}
