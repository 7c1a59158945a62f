// Package promql parses the small subset of PromQL that a plan's monitor: series are written
// in: a metric (a gauge, or a counter's total), a label selection, sum(...), and a counter's
// rate(...[30s]) or increase(...[1m]). It parses only; package monitor evaluates the
// expressions on the samples it scrapes. It is a leaf, so that package plan can check the
// expressions at load time, with the column of a mistake.
//
//	e, err := promql.Parse(`rate(process_cpu_seconds_total[30s])`)
//	// e.Func == promql.FuncRate, e.Selector.Name == "process_cpu_seconds_total", e.Range == 30s
//	var pe *promql.Error
//	if errors.As(err, &pe) { /* pe.Column(), pe.Msg */ }
package promql
