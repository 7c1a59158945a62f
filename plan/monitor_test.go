package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/internal/promql"
)

func TestMonitorDecodes(t *testing.T) {
	t.Parallel()
	p, err := parse(t, minimal+`allowed_hosts: [metrics.internal]
monitor:
  - url: /metrics
    every: 2s
    series:
      cpu: 'rate(process_cpu_seconds_total[30s])'
      memory: process_resident_memory_bytes
      breaker_trips: circuit_breaker_open_total
      input: 'sum(claude_api_tokens_total{type="input"})'
  - {url: "http://metrics.internal:9100/metrics", series: {node_free: node_memory_MemAvailable_bytes}}
thresholds:
  target_cpu: 80%
  target_memory_growth: {limit: 10%, warmup: 1m}
  target_metric: [{series: breaker_trips, max_increase: 0}, {series: input, max: 1e6}]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Monitors) != 2 {
		t.Fatalf("monitors %d", len(p.Monitors))
	}
	m := p.Monitors[0]
	if m.URL != "/metrics" || m.Every != 2*time.Second || len(m.Series) != 4 {
		t.Fatalf("monitor %+v", m)
	}
	if s := m.Series[0]; s.Name != "cpu" || s.Expr.Func != promql.FuncRate || s.Expr.Range != 30*time.Second {
		t.Errorf("cpu %+v", s)
	}
	if s := m.Series[3]; !s.Expr.Sum || s.Expr.Selector.Matchers[0] != (promql.Matcher{Label: "type", Value: "input"}) {
		t.Errorf("input %+v", s.Expr)
	}
	if d := p.Monitors[1]; d.Every != DefaultMonitorEvery || len(d.Series) != 1 || d.URL != "http://metrics.internal:9100/metrics" {
		t.Errorf("second monitor %+v", d)
	}
	want := []struct {
		kind   ThresholdKind
		series string
		stat   MonitorStat
		limit  float64
		text   string
	}{
		{ThTargetCPU, "cpu", StatP95, 0.8, "80%"},
		{ThTargetMemoryGrowth, "memory", StatGrowth, 0.1, "10%"},
		{ThTargetMetric, "breaker_trips", StatMaxIncrease, 0, "breaker_trips: max_increase 0"},
		{ThTargetMetric, "input", StatMax, 1e6, "input: max 1e6"},
	}
	if len(p.Thresholds) != len(want) {
		t.Fatalf("thresholds %+v", p.Thresholds)
	}
	for i, w := range want {
		th := p.Thresholds[i]
		if th.Kind != w.kind || th.Monitor == nil || th.Monitor.Series != w.series || th.Monitor.Stat != w.stat ||
			th.Monitor.Limit != w.limit || th.Text != w.text || th.Scope != "plan" {
			t.Errorf("threshold %d: %+v %+v", i, th, th.Monitor)
		}
	}
	if p.Thresholds[1].Monitor.Warmup != time.Minute {
		t.Errorf("warmup %s", p.Thresholds[1].Monitor.Warmup)
	}
	// A scenario inherits them, as the other thresholds.
	if n := len(MonitorThresholds(p.Scenarios[0].Thresholds)); n != 4 {
		t.Errorf("scenario has %d monitor thresholds", n)
	}
}

func TestMonitorThresholdsWithoutMonitor(t *testing.T) {
	t.Parallel()
	// Without monitor: in the plan, the series are not checked at load: run --monitor adds them.
	p, err := parse(t, minimal+"thresholds: {target_cpu: {limit: 250%, stat: max}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Monitors) != 0 {
		t.Errorf("monitors %+v", p.Monitors)
	}
	if th := p.Thresholds[0]; th.Monitor.Limit != 2.5 || th.Monitor.Stat != StatMax || th.Monitor.Series != "cpu" {
		t.Errorf("%+v", th.Monitor)
	}
}

func TestMonitorErrorsLocated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      string // file:line:col field: message part
	}{
		{"expression column, plain", "monitor: {series: {cpu: rate(x)}}\n", `:12:31: monitor.series.cpu: rate needs a range`},
		{"expression column, quoted", "monitor: {series: {cpu: 'rate(x[5 m])'}}\n", `:12:33: monitor.series.cpu: "5" is not a duration`},
		{"unknown function", "monitor:\n  series:\n    p99: 'histogram_quantile(0.99, x)'\n", `:14:11: monitor.series.p99: unknown function "histogram_quantile"; supported: sum, rate, increase`},
		{"bad series name", "monitor: {series: {9cpu: x}}\n", `:12:20: monitor.series.9cpu: "9cpu" is not a series name`},
		{"unknown key", "monitor: {url: /metrics, evry: 5s}\n", `:12:26: monitor.evry: unknown field; did you mean "every"?`},
		{"too often", "monitor: {every: 100ms}\n", `:12:18: monitor.every: 100ms is too often; scrape every 1s or more`},
		{"not a URL", "monitor: {url: metrics}\n", `:12:16: monitor.url: metrics is not a metrics URL`},
		{"host not allowed", "monitor: {url: 'http://elsewhere.example/metrics'}\n", `:12:10: monitor.url: host elsewhere.example is not allowed`},
		{"series twice", "monitor: [{series: {cpu: x}}, {url: 'http://127.0.0.1:9100/metrics', series: {cpu: y}}]\n", `monitor[1].series.cpu: series cpu is named twice`},
		{"series not monitored", "monitor: {series: {cpu: x}}\nthresholds: {target_memory_growth: 10%}\n", `:13:36: thresholds.target_memory_growth: series memory is not monitored; valid: cpu`},
		{"series misspelt", "monitor: {series: {breaker_trips: x}}\nthresholds: {target_metric: {series: breaker_trip, max: 0}}\n", `series breaker_trip is not monitored; did you mean "breaker_trips"?`},
		{"task scope", strings.Replace(minimal, "    expect:", "    thresholds: {target_cpu: 80%}\n    expect:", 1), `tasks.chat.thresholds.target_cpu: a monitor threshold judges the target, not a task`},
		{"cpu not a share", "thresholds: {target_cpu: eighty}\n", `:12:26: thresholds.target_cpu: "eighty" is not a share`},
		{"growth negative", "thresholds: {target_memory_growth: -1%}\n", `thresholds.target_memory_growth: "-1%" is negative`},
		{"cpu stat", "thresholds: {target_cpu: {limit: 80%, stat: avg}}\n", `thresholds.target_cpu.stat: "avg" is not a statistic of target_cpu; valid: p95 (the default), max`},
		{"cpu long form without limit", "thresholds: {target_cpu: {series: cpu}}\n", `thresholds.target_cpu.limit: missing`},
		{"abort_on_fail refused", "thresholds: {target_cpu: {limit: 80%, abort_on_fail: true}}\n", `thresholds.target_cpu.abort_on_fail: unknown field`},
		{"metric without limit", "thresholds: {target_metric: {series: x}}\n", `thresholds.target_metric: give max_increase`},
		{"metric both limits", "thresholds: {target_metric: {series: x, max: 1, max_increase: 0}}\n", `thresholds.target_metric: give one of max_increase or max`},
		{"metric without series", "thresholds: {target_metric: {max: 1}}\n", `thresholds.target_metric.series: missing`},
		{"metric scalar", "thresholds: {target_metric: 0}\n", `thresholds.target_metric: must be {series: NAME, max_increase: N}`},
		{"metric list item", "thresholds: {target_metric: [{series: x, max: one}]}\n", `thresholds.target_metric[0].max: "one" is not a number`},
		{"empty list", "monitor: []\n", `monitor: an empty list`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := minimal + c.src
			if strings.HasPrefix(c.src, "version:") {
				src = c.src
			}
			_, err := parse(t, src)
			if err == nil {
				t.Fatalf("no error; want %s", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, c.want)
			}
		})
	}
}

func TestMonitorDefaults(t *testing.T) {
	t.Parallel()
	// A monitor that names no series gets the defaults (CPU and memory), /metrics, every 5s.
	p, err := parse(t, minimal+"monitor: {}\nthresholds: {target_cpu: 80%, target_memory_growth: 10%}\n")
	if err != nil {
		t.Fatal(err)
	}
	d := p.Monitors[0]
	if d.URL != DefaultMonitorURL || d.Every != DefaultMonitorEvery || len(d.Series) != 2 || d.Series[0].Name != SeriesCPU ||
		d.Series[1].Name != SeriesMemory || d.Series[0].Expr.String() != "rate(process_cpu_seconds_total[30s])" {
		t.Errorf("default monitor %+v", d)
	}
}

func TestNewMonitor(t *testing.T) {
	t.Parallel()
	m, err := NewMonitor("http://127.0.0.1:9100/metrics")
	if err != nil || m.Every != DefaultMonitorEvery || len(m.Series) != 2 {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := NewMonitor("ftp://x/metrics"); err == nil || !strings.Contains(err.Error(), "is not a metrics URL") {
		t.Errorf("ftp: %v", err)
	}
	// A password in the URL is not repeated in the error.
	if _, err := NewMonitor("gopher://u:hunter2@x/metrics"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("secret leaked: %v", err)
	}
}
