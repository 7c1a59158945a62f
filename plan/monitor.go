package plan

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/internal/promql"
	"gopkg.in/yaml.v3"
)

// Monitor is a Prometheus endpoint scraped during a run (the target's own /metrics, a node or
// cAdvisor exporter), with named series computed from each scrape:
//
//	monitor: {url: /metrics, every: 5s, series: {cpu: 'rate(process_cpu_seconds_total[30s])',
//	          memory: process_resident_memory_bytes, breaker_trips: circuit_breaker_open_total}}
//
// A plan may give one monitor or a list of them.
type Monitor struct {
	URL    string        // relative to the target (/metrics), or absolute (a loopback or allowed host)
	Every  time.Duration // the time between two scrapes
	Series []MonitorSeries
	Pos    Pos
}

// MonitorSeries is one named series of a monitor: an expression evaluated on every scrape.
type MonitorSeries struct {
	Name string
	Expr *promql.Expr
	Pos  Pos
}

// Monitor defaults: the path scraped, the time between scrapes, the least time between
// scrapes a plan may ask for, and the names of the default series.
const (
	DefaultMonitorURL   = "/metrics"
	DefaultMonitorEvery = 5 * time.Second
	MinMonitorEvery     = time.Second
	SeriesCPU           = "cpu"    // the series target_cpu judges unless told otherwise
	SeriesMemory        = "memory" // the series target_memory_growth judges unless told otherwise
)

// DefaultMonitorSeries are the series of a monitor that names none (and of --monitor URL):
// the process's CPU, in cores (1 = one core busy), and its resident memory in bytes, as the
// Prometheus client libraries export them.
func DefaultMonitorSeries() []MonitorSeries {
	cpu, _ := promql.Parse("rate(process_cpu_seconds_total[30s])")
	mem, _ := promql.Parse("process_resident_memory_bytes")
	return []MonitorSeries{{Name: SeriesCPU, Expr: cpu}, {Name: SeriesMemory, Expr: mem}}
}

// NewMonitor is a monitor of rawURL (relative to the target, or absolute) with the default
// series and scrape interval: what run --monitor URL adds. The caller checks an absolute
// URL's host against the plan (HostAllowed).
func NewMonitor(rawURL string) (*Monitor, error) {
	if err := checkMonitorURL(rawURL); err != nil {
		return nil, err
	}
	return &Monitor{URL: rawURL, Every: DefaultMonitorEvery, Series: DefaultMonitorSeries()}, nil
}

// checkMonitorURL accepts a path on the target (/metrics) or an http(s) URL with a host.
func checkMonitorURL(raw string) error {
	if strings.HasPrefix(raw, "/") {
		if _, err := url.Parse(raw); err != nil {
			return fmt.Errorf("%q is not a path: %v", raw, err)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s is not a metrics URL; give a path on the target (/metrics) or an absolute URL (http://HOST:PORT/metrics)", RedactURL(raw))
	}
	return nil
}

// Monitor threshold kinds: they judge the monitored series, not the requests.
const (
	ThTargetCPU          ThresholdKind = "target_cpu"           // CPU in cores (80% = 0.8 of one core), p95 of the run's points
	ThTargetMemoryGrowth ThresholdKind = "target_memory_growth" // (last - first) / first after the warm-up
	ThTargetMetric       ThresholdKind = "target_metric"        // a series' increase over the run, or its maximum
)

// MonitorThresholdKinds lists the threshold keys that judge monitored series.
var MonitorThresholdKinds = []ThresholdKind{ThTargetCPU, ThTargetMemoryGrowth, ThTargetMetric}

// IsMonitor reports whether the kind judges a monitored series.
func (k ThresholdKind) IsMonitor() bool {
	return k == ThTargetCPU || k == ThTargetMemoryGrowth || k == ThTargetMetric
}

// MonitorStat is what a monitor threshold computes from its series.
type MonitorStat string

const (
	StatP95         MonitorStat = "p95"          // the 95th percentile of the points (nearest rank)
	StatMax         MonitorStat = "max"          // the largest point
	StatGrowth      MonitorStat = "growth"       // (last - first) / first, after the warm-up
	StatMaxIncrease MonitorStat = "max_increase" // the increase over the run, a drop being a counter reset
)

// MonitorLimit is the limit of a monitor threshold (Threshold.Monitor). Limit is in the
// series' units: cores for CPU, a share for growth (0.1 = 10%), the series' own for
// target_metric.
type MonitorLimit struct {
	Series string
	Stat   MonitorStat
	Limit  float64
	// Warmup (growth) is how long after the start the points are not yet the baseline;
	// 0: a tenth of the run's planned duration.
	Warmup time.Duration
}

// monitorThreshold decodes a monitor threshold (the fields callback of thresholds). A
// target_metric may be a list; the others are one threshold each.
func (d *decoder) monitorThreshold(n *yaml.Node, path, scope string, kind ThresholdKind) []Threshold {
	if strings.HasPrefix(scope, "task:") {
		d.add(at(n), path, "a monitor threshold judges the target, not a task: put it under the plan's or a scenario's thresholds")
		return nil
	}
	base := Threshold{Kind: kind, Scope: scope, Pos: at(n)}
	if kind == ThTargetMetric {
		v := resolve(n)
		if v != nil && v.Kind == yaml.SequenceNode {
			var out []Threshold
			for i, e := range v.Content {
				if t, ok := d.targetMetric(e, fmt.Sprintf("%s[%d]", path, i), base); ok {
					out = append(out, t)
				}
			}
			return out
		}
		if t, ok := d.targetMetric(n, path, base); ok {
			return []Threshold{t}
		}
		return nil
	}
	lim := &MonitorLimit{Series: SeriesCPU, Stat: StatP95}
	if kind == ThTargetMemoryGrowth {
		lim.Series, lim.Stat = SeriesMemory, StatGrowth
	}
	limit := resolve(n)
	lp := path
	if limit != nil && limit.Kind == yaml.MappingNode {
		keys := []string{"limit", "series", "stat"}
		if kind == ThTargetMemoryGrowth {
			keys = []string{"limit", "series", "warmup"}
		}
		limit = nil
		d.fields(n, path, keys, func(k string, v *yaml.Node) {
			kp := join(path, k)
			switch k {
			case "limit":
				limit, lp = resolve(v), kp
			case "series":
				lim.Series = d.seriesName(v, kp)
			case "stat":
				if s, ok := d.scalar(v, kp, "p95 or max"); ok {
					if s != string(StatP95) && s != string(StatMax) {
						d.add(at(v), kp, "%q is not a statistic of target_cpu; valid: p95 (the default), max", s)
					} else {
						lim.Stat = MonitorStat(s)
					}
				}
			case "warmup":
				lim.Warmup = d.duration(v, kp)
			}
		})
		if limit == nil {
			d.add(at(n), path+".limit", "missing; the long form is {limit: %s, series: %s}", map[bool]string{true: "80%", false: "10%"}[kind == ThTargetCPU], lim.Series)
			return nil
		}
	}
	s, ok := d.scalar(limit, lp, "a limit such as 80%")
	if !ok {
		return nil
	}
	v, err := parseShare(s)
	if err != nil {
		d.add(at(limit), lp, "%v", err)
		return nil
	}
	lim.Limit = v
	base.Text, base.Monitor = s, lim
	return []Threshold{base}
}

// targetMetric decodes {series: NAME, max_increase: N} or {series: NAME, max: N}.
func (d *decoder) targetMetric(n *yaml.Node, path string, t Threshold) (Threshold, bool) {
	lim := &MonitorLimit{}
	var limitText string
	count := 0
	if v := resolve(n); v == nil || v.Kind != yaml.MappingNode {
		d.add(posOf(v), path, "must be {series: NAME, max_increase: N} or {series: NAME, max: N} (or a list of them)")
		return t, false
	}
	d.fields(n, path, []string{"series", "max_increase", "max"}, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "series":
			lim.Series = d.seriesName(v, kp)
		case "max_increase", "max":
			count++
			if s, ok := d.scalar(v, kp, "a number"); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
					d.add(at(v), kp, "%q is not a number", s)
					return
				}
				lim.Stat, lim.Limit, limitText = MonitorStat(k), f, strings.TrimSpace(s)
			}
		}
	})
	switch {
	case lim.Series == "":
		d.add(at(n), path+".series", "missing; name the monitor series to judge, e.g. {series: breaker_trips, max_increase: 0}")
		return t, false
	case count == 0:
		d.add(at(n), path, "give max_increase (the series' increase over the run) or max (its largest value)")
		return t, false
	case count > 1:
		d.add(at(n), path, "give one of max_increase or max")
		return t, false
	case lim.Stat == "":
		return t, false
	}
	t.Text = fmt.Sprintf("%s: %s %s", lim.Series, lim.Stat, limitText)
	t.Monitor = lim
	return t, true
}

// ParseMonitorShare reads the limit of target_cpu or target_memory_growth as written
// ("80%", "250%", "0.8"): a share that may exceed 100%.
func ParseMonitorShare(s string) (float64, error) { return parseShare(s) }

// parseShare reads a share that may exceed 100% (CPU of several cores, memory growth):
// "80%", "250%", "0.8".
func parseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(p), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a share; write a percentage (80%%, 250%% for 2.5 cores) or a fraction (0.8)", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative; a limit is 0 or more", s)
	}
	return v / scale, nil
}

// seriesNameOK: a series name is an identifier, used as a JSON key and in thresholds.
func seriesNameOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (d *decoder) seriesName(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path, "a series name")
	if !ok {
		return ""
	}
	if !seriesNameOK(s) {
		d.add(at(n), path, "%q is not a series name; use letters, digits and _, not starting with a digit", s)
		return ""
	}
	return s
}

var monitorKeys = []string{"url", "every", "series"}

// monitors decodes monitor: one mapping, or a list of them.
func (d *decoder) monitors(n *yaml.Node, path string) []*Monitor {
	v := resolve(n)
	if v != nil && v.Kind == yaml.SequenceNode {
		var out []*Monitor
		for i, e := range v.Content {
			if m := d.monitor(e, fmt.Sprintf("%s[%d]", path, i)); m != nil {
				out = append(out, m)
			}
		}
		if len(v.Content) == 0 {
			d.add(at(v), path, "an empty list; give {url: /metrics, series: {...}} or leave monitor out")
		}
		return out
	}
	if m := d.monitor(n, path); m != nil {
		return []*Monitor{m}
	}
	return nil
}

func (d *decoder) monitor(n *yaml.Node, path string) *Monitor {
	m := &Monitor{URL: DefaultMonitorURL, Every: DefaultMonitorEvery, Pos: posOf(resolve(n))}
	hasSeries := false
	if !d.fields(n, path, monitorKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "url":
			if s, ok := d.scalar(v, kp, "a path on the target (/metrics) or a URL"); ok {
				if err := checkMonitorURL(s); err != nil {
					d.add(at(v), kp, "%v", err)
				}
				m.URL = s
			}
		case "every":
			m.Every = d.duration(v, kp)
			if m.Every < MinMonitorEvery {
				d.add(at(v), kp, "%s is too often; scrape every %s or more", FormatDuration(m.Every), FormatDuration(MinMonitorEvery))
			}
		case "series":
			hasSeries = true
			for _, e := range d.entries(v, kp, "series names to expressions") {
				sp := join(kp, e.k.Value)
				if !seriesNameOK(e.k.Value) {
					d.add(at(e.k), sp, "%q is not a series name; use letters, digits and _, not starting with a digit", e.k.Value)
					continue
				}
				s := MonitorSeries{Name: e.k.Value, Pos: at(e.k)}
				text, ok := d.scalar(e.v, sp, "an expression such as rate(process_cpu_seconds_total[30s])")
				if !ok {
					continue
				}
				expr, err := promql.Parse(text)
				if err != nil {
					d.exprError(e.v, sp, err)
					continue
				}
				s.Expr = expr
				m.Series = append(m.Series, s)
			}
		}
	}) {
		return nil
	}
	if !hasSeries {
		m.Series = DefaultMonitorSeries()
	}
	return m
}

// exprError reports an expression's error at its own column in the file: the scalar's
// column, past its opening quote, plus the error's.
func (d *decoder) exprError(n *yaml.Node, path string, err error) {
	var pe *promql.Error
	if !errors.As(err, &pe) {
		d.add(at(n), path, "%v", err)
		return
	}
	p := at(n)
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		p.Column++
	}
	if !strings.Contains(pe.Expr, "\n") {
		p.Column += pe.Column() - 1
	}
	msg := pe.Msg
	if !strings.Contains(msg, "supported") {
		msg += "; supported: a metric, name{label=\"value\"}, sum(...), rate(name[30s]), increase(name[1m])"
	}
	d.add(p, path, "%s", msg)
}

// validateMonitors checks what spans the plan: series names are unique across monitors, an
// absolute URL's host is allowed, and every monitor threshold names a series some monitor
// has (when the plan has monitors; without any, run --monitor may add them).
func validateMonitors(c *collector, p *Plan) {
	names := map[string]bool{}
	for i, m := range p.Monitors {
		path := "monitor"
		if len(p.Monitors) > 1 {
			path = fmt.Sprintf("monitor[%d]", i)
		}
		if u, err := url.Parse(m.URL); err == nil && u.Host != "" && !HostAllowed(p, u.Hostname()) {
			c.add(m.Pos, path+".url", "host %s is not allowed; add it to allowed_hosts (loopback and the target's host are always allowed)", u.Hostname())
		}
		for _, s := range m.Series {
			if names[s.Name] {
				c.add(s.Pos, path+".series."+s.Name, "series %s is named twice; series names are unique across monitors", s.Name)
			}
			names[s.Name] = true
		}
	}
	if len(p.Monitors) == 0 {
		return
	}
	check := func(ths []Threshold, path string) {
		for _, t := range ths {
			if t.Monitor == nil || names[t.Monitor.Series] {
				continue
			}
			c.add(t.Pos, path+"."+string(t.Kind), "series %s is not monitored; %s", t.Monitor.Series, didYouMean(t.Monitor.Series, sortedKeys(names)))
		}
	}
	check(p.Thresholds, "thresholds")
	for _, s := range p.Scenarios {
		var own []Threshold
		for _, t := range s.Thresholds {
			if t.Scope == "scenario" {
				own = append(own, t)
			}
		}
		check(own, "scenarios."+s.Name+".thresholds")
	}
}

// MonitorThresholds are the monitor thresholds among ths.
func MonitorThresholds(ths []Threshold) []Threshold {
	var out []Threshold
	for _, t := range ths {
		if t.Monitor != nil {
			out = append(out, t)
		}
	}
	return out
}

// MonitoredSeries lists the series names of the monitors, in order.
func MonitoredSeries(ms []*Monitor) []string {
	var out []string
	for _, m := range ms {
		for _, s := range m.Series {
			out = append(out, s.Name)
		}
	}
	return out
}
