package monitor

import (
	"math"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/internal/promql"
)

// Report is what the monitors saw over a run: the run summary's monitor key.
type Report struct {
	Targets []Target `json:"targets"`
	Series  []Series `json:"series"`
}

// Target is one monitored endpoint and how its scrapes went.
type Target struct {
	URL       string  `json:"url"` // passwords and query values masked
	EveryS    float64 `json:"every_s"`
	Scrapes   int     `json:"scrapes"`
	Failed    int     `json:"failed"` // scrapes that failed (a warning each, never fatal)
	LastError string  `json:"last_error,omitempty"`
}

// Series is one named series over the run. Points are at the times of the scrapes (t:
// seconds since the start of the run); Missing counts the scrapes that succeeded but gave it
// no value (the metric absent, or an ambiguous selection), Note says why the last did.
type Series struct {
	Name    string  `json:"name"`
	Expr    string  `json:"expr"`
	URL     string  `json:"url"`
	Unit    Unit    `json:"unit,omitempty"`
	Points  []Point `json:"points"`
	Missing int     `json:"missing"`
	Note    string  `json:"note,omitempty"`
}

// Point is a series' value at t seconds since the start of the run.
type Point struct {
	T float64 `json:"t"`
	V float64 `json:"v"`
}

// Unit is how a series' values read, guessed from its expression.
type Unit string

const (
	UnitNone  Unit = ""
	UnitCores Unit = "cores" // a rate of CPU seconds: 1 is one core busy, shown as 100%
	UnitBytes Unit = "bytes"
)

// UnitOf guesses a series' unit from its expression: the rate of a *_cpu_seconds_total
// counter is in cores, a *_bytes metric in bytes.
func UnitOf(e *promql.Expr) Unit {
	if e == nil {
		return UnitNone
	}
	name := e.Selector.Name
	switch {
	case e.Func == promql.FuncRate && strings.HasSuffix(name, "cpu_seconds_total"),
		e.Func == promql.FuncRate && strings.HasSuffix(name, "cpu_usage_seconds_total"):
		return UnitCores
	case e.Func == promql.FuncNone && strings.HasSuffix(name, "_bytes"):
		return UnitBytes
	}
	return UnitNone
}

// Format writes a value in its unit: cores as a share of one core ("12.5%"), bytes in MiB
// or GiB ("45.2 MiB"), other values as numbers ("3", "0.125", "1.5e+07").
func Format(u Unit, v float64) string {
	switch u {
	case UnitCores:
		return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%"
	case UnitBytes:
		switch {
		case math.Abs(v) >= 1<<30:
			return strconv.FormatFloat(v/(1<<30), 'f', 2, 64) + " GiB"
		case math.Abs(v) >= 1<<20:
			return strconv.FormatFloat(v/(1<<20), 'f', 1, 64) + " MiB"
		case math.Abs(v) >= 1<<10:
			return strconv.FormatFloat(v/(1<<10), 'f', 1, 64) + " KiB"
		}
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	return formatNumber(v)
}

// formatNumber writes a number with up to 4 significant digits, whole numbers in full.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Snapshot is the monitors' latest state, for a live view.
type Snapshot struct {
	Values    []Value
	Scrapes   int
	Failed    int
	LastError string
}

// Value is a series' latest point; OK is false before it has one.
type Value struct {
	Name string
	Unit Unit
	T, V float64
	OK   bool
}

// Snapshot returns each series' latest value and the scrape counts of all monitors.
func (g *Group) Snapshot() Snapshot {
	var out Snapshot
	if g == nil {
		return out
	}
	for _, m := range g.mons {
		m.mu.Lock()
		out.Scrapes += m.scrapes
		out.Failed += m.failed
		if m.lastErr != "" {
			out.LastError = m.lastErr
		}
		for _, s := range m.series {
			v := Value{Name: s.name, Unit: UnitOf(s.expr)}
			if n := len(s.points); n > 0 {
				v.T, v.V, v.OK = s.points[n-1].T, s.points[n-1].V, true
			}
			out.Values = append(out.Values, v)
		}
		m.mu.Unlock()
	}
	return out
}

// Report returns every monitor's account and every series with its points (copies).
func (g *Group) Report() *Report {
	r := &Report{Targets: []Target{}, Series: []Series{}}
	if g == nil {
		return r
	}
	for _, m := range g.mons {
		m.mu.Lock()
		r.Targets = append(r.Targets, Target{URL: m.shown, EveryS: m.every.Seconds(), Scrapes: m.scrapes, Failed: m.failed, LastError: m.lastErr})
		for _, s := range m.series {
			r.Series = append(r.Series, s.report(m.shown))
		}
		m.mu.Unlock()
	}
	return r
}

// Series returns the named series (a copy), or nil when no monitor has it.
func (g *Group) Series(name string) *Series {
	if g == nil {
		return nil
	}
	for _, m := range g.mons {
		m.mu.Lock()
		for _, s := range m.series {
			if s.name == name {
				out := s.report(m.shown)
				m.mu.Unlock()
				return &out
			}
		}
		m.mu.Unlock()
	}
	return nil
}

// Find returns the named series of a report, or nil.
func (r *Report) Find(name string) *Series {
	if r == nil {
		return nil
	}
	for i := range r.Series {
		if r.Series[i].Name == name {
			return &r.Series[i]
		}
	}
	return nil
}

func (s *series) report(url string) Series {
	return Series{Name: s.name, Expr: s.expr.String(), URL: url, Unit: UnitOf(s.expr),
		Points: append([]Point{}, s.points...), Missing: s.missing, Note: s.note}
}
