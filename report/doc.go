// Package report renders what loadplan computed and measured, for people and for other
// tools: an estimate (EstimateTable), a run's summary (RunSummary at the end of a run,
// SummaryTable for a saved one, RunLine for --quiet), Locust-compatible CSV files with the
// cost per request name (WriteCSV, and the stats history as a run goes: StatsHistory), a
// self-contained HTML page with its charts in inline SVG (WriteHTML), the comparison of two
// runs (Compare, CompareTable), the run history (AppendHistory, ReadHistory, HistoryTable,
// WriteHistoryHTML), the price catalog, and the cost of a Locust run priced with a plan
// (PriceLocust), and the live view of a run going on: in a terminal or a log
// (LiveTerminal, liveterm.go) and on the live web page (Live, WriteLive, live.go).
// Renderers take an io.Writer and never print on their own.
//
//	s, err := summary.Read("run.json")
//	err = report.SummaryTable(os.Stdout, s)
//	err = report.WriteHTML(f, s)
//	err = report.WriteCSV("results", s) // results_stats.csv, ..., results_cost.csv
//
// It renders a summary.Run and never imports the executor: a saved or merged summary is
// rendered without the HTTP engine. The figures it prints come from the summary as written;
// where report formats a figure itself, the shared formatters are in format.go (money is
// rounded only there, and a share is written as a percentage by summary's rule, so that a
// failure rate reads the same in a table, a page and a threshold's verdict). It is, with
// cmd/loadplan, the only package that imports go-pretty.
package report
