package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
)

// reportRecoverOptions are loadplan report recover's.
type reportRecoverOptions struct {
	journal string
	json    string
	html    string
	csv     string
	output  outputFlag
}

// newCmdReportRecover builds loadplan report recover; runF as newCmdReport's.
func newCmdReportRecover(streams *IO, runF func(*reportRecoverOptions) error) *cobra.Command {
	o := &reportRecoverOptions{}
	cmd := &cobra.Command{
		Use:   "recover PARTIAL.json",
		Short: "Recover the report of a killed run from its journal",
		Long: `While it runs with a report file asked for, loadplan run keeps a journal beside it,
rewritten atomically every --journal-interval (2s): OUT.partial.json beside --json OUT, else
PREFIX.partial.json for --csv PREFIX, else beside --html, else beside --history. It holds the
summary so far: per-task statistics with their latency histograms, the cost, and the meter's
state. A run that ends (completed, stopped, interrupted) removes it once its reports are
written; one that was killed (kill -9, a crash, the machine lost) leaves it.

recover turns the journal into the run's summary, with stop_reason killed (exit_code 130)
and partial: true, and renders it as 'loadplan report' does. Its cost counts the money
reserved for the requests in flight when the journal was written as spent (charged at the
reservation, in cost_estimated): never below what was spent before the last journal write.
Requests after it are not in the report.

A torn or foreign file is an error naming it: exit 2. An output that cannot be written: exit 5.`,
		Example: `  loadplan report recover run.partial.json --json run.json --html run.html`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("give one journal (PREFIX%s, left by a killed loadplan run)", journalSuffix)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.journal = args[0]
			if err := o.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runReportRecover(streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.json, "json", "", "write the recovered summary (loadplan.run/v1) to FILE")
	fs.StringVar(&o.html, "html", "", "also write the report as a self-contained HTML page to this file")
	fs.StringVar(&o.csv, "csv", "", "also write Locust-compatible CSV files PREFIX_stats.csv, ... and PREFIX_cost.csv")
	o.output.register(cmd, "table", "json")
	return cmd
}

// runReportRecover reads the journal, recovers the summary and writes it.
func runReportRecover(streams *IO, o *reportRecoverOptions) error {
	s, err := readJournal(o.journal)
	if err != nil {
		return withCode(exitUsage, err)
	}
	summary.Recover(s, o.journal)
	if o.json != "" {
		if err := writeFile(o.json, func(w io.Writer) error { return report.WriteJSON(w, s) }); err != nil {
			return withCode(exitFailed, fmt.Errorf("--json: %w", err))
		}
	}
	if err := writeRunFiles(s, o.html, o.csv); err != nil {
		return err
	}
	if o.output.json() {
		return writeOut(report.WriteJSON(streams.Out, s))
	}
	return writeOut(report.SummaryTable(streams.Out, s))
}
