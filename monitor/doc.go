// Package monitor watches the target's health during a run: it scrapes Prometheus endpoints
// (the service's own /metrics, a node or cAdvisor exporter) every few seconds, parses them
// with the Prometheus text parser (github.com/prometheus/common/expfmt), evaluates each named
// series' expression (package internal/promql's subset: a metric, a label selection, sum, a
// counter's rate or increase) and keeps the points, t seconds since the start of the run. A
// scrape that fails is counted and remembered, never fatal. Judge turns a series into a
// threshold's verdict; a series without enough points is "no data", which fails.
//
//	g, err := monitor.NewGroup(target, p.Monitors, client)
//	go g.Run(ctx, start)              // until ctx ends
//	snap := g.Snapshot()              // latest values, for a live view
//	rep := g.Report()                 // every series' points: the summary's monitor key
//	actual, pass := monitor.Judge(th, rep.Find("cpu"), planned)
//
// Values are float64: they are the target's gauges and counters, never money.
//
// The expressions are evaluated without a Prometheus server, and differ from PromQL in
// what a series without a server's history needs: rate and increase go from the last scrape
// at or before the window's start to the newest one (until the run is as old as the window,
// from its first scrape), without extrapolation to the window's edges; a series that appears
// between two scrapes counts from 0; without sum(), an expression must match exactly one
// series, else that scrape gives it no value (and says why).
package monitor
