package calibration

import (
	"fmt"
	"slices"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// Schema names the calibration file format.
const Schema = "loadplan.calibration/v1"

// Percents are the quantiles a calibration keeps of each token bucket, in the order of
// Tokens.Quantiles: min, p10, p25, p50, p75, p90, p95, p99, max.
var Percents = []float64{0, 10, 25, 50, 75, 90, 95, 99, 100}

// QuantileKeys are the keys of Percents in the file.
var QuantileKeys = []string{"min", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "max"}

// Calibration is what runs of a plan measured, per request name.
type Calibration struct {
	File  string // where it was read from; "" when built
	Plan  string
	Runs  []string // the summaries it was computed from
	Steps []Step   // in the plan's order, then the others
	// Unmatched are request names measured that the plan does not have; NoData the plan's
	// priced steps the runs did not measure (left as the plan says).
	Unmatched, NoData []string
}

// Step is one request name's measurements.
type Step struct {
	Name     string
	Requests int64 // requests measured: the latency sample
	// Samples are the responses with a usage report: the token sample. Zero: no token data
	// (Prompt, Cacheable, Output are nil).
	Samples                   int64
	Prompt, Cacheable, Output *Tokens
	CacheHitRate              *decimal.Decimal // hits / samples
	Latency, TTFT             *plan.Dist       // nil when not measured
	Line, Column              int              // where the file writes it (0 when built)
}

// Tokens is one bucket's tokens per response: the exact mean (rounded to 0.01 token) and
// quantiles at Percents.
type Tokens struct {
	Mean      decimal.Decimal
	Quantiles []int64
}

// Max is the largest value measured.
func (t *Tokens) Max() int64 { return t.Quantiles[len(t.Quantiles)-1] }

// Source is one summary to calibrate from.
type Source struct {
	Name string
	Run  *summary.Run
}

// FromRuns pools the runs' statistics per request name (weighted by sample size: sums and
// counts add, histograms merge exactly) and lines them up with p's steps.
func FromRuns(p *plan.Plan, runs []Source) (*Calibration, error) {
	c := &Calibration{Plan: p.Name}
	var order []string
	rows := map[string][]summary.TaskStats{}
	for _, r := range runs {
		c.Runs = append(c.Runs, r.Name)
		if r.Run.Plan != "" && p.Name != "" && r.Run.Plan != p.Name {
			return nil, fmt.Errorf("%s: a run of plan %q, not %q", r.Name, r.Run.Plan, p.Name)
		}
		for _, t := range r.Run.Tasks {
			if _, ok := rows[t.Name]; !ok {
				order = append(order, t.Name)
			}
			rows[t.Name] = append(rows[t.Name], t)
		}
	}
	steps := planSteps(p)
	names := make([]string, 0, len(steps))
	for _, st := range steps {
		names = append(names, st.Name)
		if len(rows[st.Name]) == 0 || total(rows[st.Name]) == 0 {
			if st.Cost.Kind != plan.CostFree {
				c.NoData = append(c.NoData, st.Name)
			}
			continue
		}
		s, err := pool(st.Name, rows[st.Name])
		if err != nil {
			return nil, err
		}
		c.Steps = append(c.Steps, s)
	}
	for _, n := range order {
		if !slices.Contains(names, n) {
			c.Unmatched = append(c.Unmatched, n)
		}
	}
	return c, nil
}

func total(rows []summary.TaskStats) int64 {
	var n int64
	for _, r := range rows {
		n += r.Requests
	}
	return n
}

func planSteps(p *plan.Plan) []*plan.Step {
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, t := range p.Tasks {
		steps = append(steps, t.Steps...)
	}
	return steps
}

// pool merges one request name's rows of several runs.
func pool(name string, rows []summary.TaskStats) (Step, error) {
	s := Step{Name: name}
	var lat, ttft []string
	var dists []*summary.TokenDist
	for _, r := range rows {
		s.Requests += r.Requests
		lat = append(lat, r.Histogram)
		ttft = append(ttft, r.TTFTHistogram)
		dists = append(dists, r.TokenDist)
	}
	var err error
	if s.Latency, err = dist(lat); err != nil {
		return s, fmt.Errorf("%s: latency: %w", name, err)
	}
	if s.TTFT, err = dist(ttft); err != nil {
		return s, fmt.Errorf("%s: ttft: %w", name, err)
	}
	d, err := summary.MergeTokenDists(dists)
	if err != nil || d == nil || d.Responses == 0 {
		return s, err
	}
	s.Samples = d.Responses
	n := decimal.NewFromInt(d.Responses)
	hit := decimal.NewFromInt(d.Hits).DivRound(n, 4)
	s.CacheHitRate = &hit
	for _, x := range []struct {
		dst **Tokens
		h   summary.TokenHist
	}{{&s.Prompt, d.Prompt}, {&s.Cacheable, d.Cacheable}, {&s.Output, d.Output}} {
		q, err := summary.TokenQuantiles(x.h, Percents)
		if err != nil {
			return s, fmt.Errorf("%s: tokens: %w", name, err)
		}
		if q == nil {
			continue
		}
		*x.dst = &Tokens{Mean: decimal.NewFromInt(x.h.Sum).DivRound(n, 2), Quantiles: q}
	}
	return s, nil
}

// dist is the median and p95 of merged latency histograms (microseconds), to the
// millisecond; nil when they are empty.
func dist(enc []string) (*plan.Dist, error) {
	h, err := summary.MergeHistograms(enc)
	if err != nil || h == nil || h.TotalCount() == 0 {
		return nil, err
	}
	ms := func(us int64) time.Duration {
		return (time.Duration(us) * time.Microsecond).Round(time.Millisecond)
	}
	return &plan.Dist{Median: ms(h.ValueAtPercentile(50)), P95: ms(h.ValueAtPercentile(95))}, nil
}

// Lookup is the step named name; nil when c has none.
func (c *Calibration) Lookup(name string) *Step {
	for i := range c.Steps {
		if c.Steps[i].Name == name {
			return &c.Steps[i]
		}
	}
	return nil
}
