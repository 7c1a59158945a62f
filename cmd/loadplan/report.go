package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/loadplan/loadplan/internal/atomicfile"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
	"github.com/spf13/cobra"
)

// reportSubcommands are the names `loadplan report NAME` takes as a subcommand, not a file.
var reportSubcommands = []string{"compare", "history", "merge", "locust", "recover"}

type reportOptions struct {
	file   string // the run summary
	html   string
	csv    string
	output outputFlag
}

// newCmdReport builds loadplan report and its subcommands: it parses the flags into
// reportOptions and calls runF with them (tests), else runReport.
func newCmdReport(streams *IO, runF func(*reportOptions) error) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN.json",
		Short: "Re-render a saved run, compare runs, show cost history, merge workers, price a Locust run, recover a killed run",
		Long: `Render a run summary saved by 'loadplan run --json' again: as a table (the default), as
JSON, as an HTML page (--html, self-contained: it opens offline from a CI artifact) and as
Locust-compatible CSV files with the cost per request name (--csv PREFIX).

Subcommands answer the cost questions across runs: compare (what an optimisation changed),
history (each scenario's cost over time), merge (the summaries of workers that ran one
scenario together) and locust (what a Locust run cost, priced with a plan).

Bad input (a file of another schema version, a truncated file, a CSV without the expected
columns) is an error naming the file and what is wrong: exit 2. An output that cannot be
written: exit 5.`,
		Example: `  loadplan report run.json
  loadplan report run.json --html report.html --csv results
  loadplan report compare before.json after.json
  loadplan report history runs.jsonl --html history.html
  loadplan report merge worker-*.json --json run.json
  loadplan report locust results_stats.csv --plan examples/ai-service.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("give a run summary (written by loadplan run --json FILE) or a subcommand: %s", strings.Join(reportSubcommands, ", "))
			}
			if len(args) > 1 {
				return usageError("give one run summary; to compare two: loadplan report compare %s", strings.Join(args[:2], " "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			if err := o.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runReport(streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.html, "html", "", "also write the report as a self-contained HTML page to this file")
	fs.StringVar(&o.csv, "csv", "", "also write Locust-compatible CSV files PREFIX_stats.csv, _failures.csv, _exceptions.csv and PREFIX_cost.csv")
	o.output.register(cmd, "table", "json")
	cmd.AddCommand(newCmdReportCompare(streams, nil), newCmdReportHistory(streams, nil), newCmdReportMerge(streams, nil), newCmdReportLocust(streams, nil), newCmdReportRecover(streams, nil))
	return cmd
}

// readRunSummary reads a run summary; bad input is exit 2. A missing file that is spelled like a
// subcommand gets a hint.
func readRunSummary(path string) (*summary.Run, error) {
	s, err := summary.Read(path)
	if err == nil {
		return s, nil
	}
	if _, statErr := os.Stat(path); os.IsNotExist(statErr) && !strings.ContainsAny(path, "./\\") {
		return nil, usageError("%v; the subcommands of report are %s", err, strings.Join(reportSubcommands, ", "))
	}
	return nil, withCode(exitUsage, err)
}

// runReport is loadplan report RUN.json: the summary rendered again.
func runReport(streams *IO, o *reportOptions) error {
	s, err := readRunSummary(o.file)
	if err != nil {
		return err
	}
	if err := writeRunFiles(s, o.html, o.csv); err != nil {
		return err
	}
	if o.output.json() {
		return writeOut(report.WriteJSON(streams.Out, s))
	}
	return writeOut(report.SummaryTable(streams.Out, s))
}

// writeRunFiles writes --html and --csv; a failure is exit 5.
func writeRunFiles(s *summary.Run, html, csv string) error {
	if html != "" {
		if err := writeFile(html, func(w io.Writer) error { return report.WriteHTML(w, s) }); err != nil {
			return withCode(exitFailed, fmt.Errorf("--html: %w", err))
		}
	}
	if csv != "" {
		if err := report.WriteCSV(csv, s); err != nil {
			return withCode(exitFailed, fmt.Errorf("--csv: %w", err))
		}
	}
	return nil
}

// writeFile creates path and writes it with write, atomically (package atomicfile): a
// kill, even -9, never leaves a truncated report.
func writeFile(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, write)
}

// writeOut maps a failure to write stdout to exit 5.
func writeOut(err error) error {
	if err != nil {
		return withCode(exitFailed, err)
	}
	return nil
}

type compareOptions struct {
	before, after string
	output        outputFlag
	failOn        string        // --fail-on, as given
	rules         []report.Rule // --fail-on, parsed by the command
}

// newCmdReportCompare builds loadplan report compare; runF as newCmdReport's.
func newCmdReportCompare(streams *IO, runF func(*compareOptions) error) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare BEFORE.json AFTER.json",
		Short: "Show what changed between two runs: throughput, latency, failures and cost, better or worse",
		Long: `Compare two run summaries, for the optimise-and-re-test loop: requests/s, latency p50, p95
and p99, time to first token, failure rate, cache hit rate, cost per request and total cost,
and for each request name its p95, cost per request and cost. Each change is shown absolute
and in percent, marked better or worse (lower latency, failures and cost are better; higher
throughput and cache hit rate are better); a change within 2% is the same.`,
		Example: `  loadplan report compare before.json after.json
  loadplan report compare before.json after.json --output json
  loadplan report compare base.json new.json --fail-on 'cost_per_request>+10%,p95>+20%,slo_attainment<-2pp' --output markdown`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError("give two run summaries: loadplan report compare BEFORE.json AFTER.json")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.before, o.after = args[0], args[1]
			if err := o.output.check(); err != nil {
				return err
			}
			if o.failOn != "" {
				rules, err := report.ParseFailOn(o.failOn)
				if err != nil {
					return usageError("--fail-on: %v", err)
				}
				o.rules = rules
			}
			if runF != nil {
				return runF(o)
			}
			return runReportCompare(streams, o)
		},
	}
	o.output.register(cmd, "table", "json", "markdown")
	cmd.Flags().StringVar(&o.failOn, "fail-on", "", "exit 1 when a rule breaks, e.g. 'cost_per_request>+10%,p95>+20%,slo_attainment<-2pp' (relative %, or $, ms/s, pp, /s)")
	return cmd
}

// runReportCompare is loadplan report compare: what changed from one run to the other.
func runReportCompare(streams *IO, o *compareOptions) error {
	before, err := readRunSummary(o.before)
	if err != nil {
		return err
	}
	after, err := readRunSummary(o.after)
	if err != nil {
		return err
	}
	c := report.Compare(before, after)
	c.Before.File, c.After.File = o.before, o.after
	return compareOutput(streams, o, c, before, after)
}

type historyOptions struct {
	file, html, scenario string
	output               outputFlag
}

// newCmdReportHistory builds loadplan report history; runF as newCmdReport's.
func newCmdReportHistory(streams *IO, runF func(*historyOptions) error) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history RUNS.jsonl",
		Short: "Show each scenario's cost over time from a run history (loadplan run --history)",
		Long: `Show the runs recorded in a history file (one line per run, written by loadplan run
--history FILE): for each scenario its runs oldest first, with cost, estimate, budget, cost
per request and its change from run to run, p95 and failure rate. --html also draws each
scenario's cost, cost per request and p95 over time on a self-contained page.`,
		Example: `  loadplan report history runs.jsonl
  loadplan report history runs.jsonl --scenario smoke --html history.html`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("give one history file: loadplan report history RUNS.jsonl")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			if err := o.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runReportHistory(streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.html, "html", "", "also write the history as a self-contained HTML page with charts to this file")
	fs.StringVarP(&o.scenario, "scenario", "s", "", "only this scenario")
	o.output.register(cmd, "table", "json")
	return cmd
}

// runReportHistory is loadplan report history: each scenario's runs over time.
func runReportHistory(streams *IO, o *historyOptions) error {
	entries, warnings, err := report.ReadHistoryWarn(o.file)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: %s\n", w)
	}
	series := report.GroupHistory(entries, o.scenario)
	if o.scenario != "" && len(series) == 0 {
		names := map[string]bool{}
		for _, e := range entries {
			names[e.Scenario] = true
		}
		var list []string
		for n := range names {
			list = append(list, n)
		}
		sort.Strings(list)
		return usageError("%s has no run of scenario %q; its scenarios: %s", o.file, o.scenario, strings.Join(list, ", "))
	}
	if o.html != "" {
		if err := writeFile(o.html, func(w io.Writer) error { return report.WriteHistoryHTML(w, series) }); err != nil {
			return withCode(exitFailed, fmt.Errorf("--html: %w", err))
		}
	}
	if o.output.json() {
		if series == nil {
			series = []report.HistorySeries{}
		}
		return writeOut(report.WriteJSON(streams.Out, series))
	}
	return writeOut(report.HistoryTable(streams.Out, series))
}

type mergeOptions struct {
	files           []string
	json, csv, html string
	output          outputFlag
}

// newCmdReportMerge builds loadplan report merge; runF as newCmdReport's.
func newCmdReportMerge(streams *IO, runF func(*mergeOptions) error) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge A.json B.json ... --json OUT",
		Short: "Merge the summaries of workers that ran one scenario together",
		Long: `Merge the run summaries of several workers that ran one scenario of one plan together into
the summary of the whole run (schema loadplan.run/v1). Counts, tokens and costs add (costs
exactly, as decimals); latency and TTFT histograms merge exactly and every percentile is
computed from the merge, never averaged; thresholds are judged again on the merged figures.
Timelines merge second by second. Summaries of different plans or scenarios are refused.
--output says what to print: a table, or the merged summary as JSON.`,
		Example: `  loadplan report merge worker-1.json worker-2.json --json run.json
  loadplan report merge worker-*.json --json run.json --html run.html --csv run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError("give the summaries of two or more workers: loadplan report merge A.json B.json ... --json OUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			if o.json == "" {
				return usageError("--json OUT is required: where to write the merged summary")
			}
			if err := o.output.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runReportMerge(streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.json, "json", "", "write the merged summary to this file (required)")
	fs.StringVar(&o.csv, "csv", "", "also write Locust-compatible CSV files with this prefix")
	fs.StringVar(&o.html, "html", "", "also write the merged report as a self-contained HTML page")
	o.output.register(cmd, "table", "json")
	return cmd
}

// runReportMerge is loadplan report merge: the workers' summaries merged into the run's.
func runReportMerge(streams *IO, o *mergeOptions) error {
	for _, a := range o.files {
		if _, err := readRunSummary(a); err != nil {
			return err
		}
	}
	m, err := summary.MergeFiles(planner.MergeEstimates, o.files...)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := writeFile(o.json, func(w io.Writer) error { return report.WriteJSON(w, m) }); err != nil {
		return withCode(exitFailed, fmt.Errorf("--json: %w", err))
	}
	if err := writeRunFiles(m, o.html, o.csv); err != nil {
		return err
	}
	if o.output.json() {
		return writeOut(report.WriteJSON(streams.Out, m))
	}
	fmt.Fprintf(streams.Out, "Merged %d summaries into %s\n", len(o.files), o.json)
	return writeOut(report.MergeTable(streams.Out, m))
}

type locustOptions struct {
	stats, plan string
	prices      priceFlags
	output      outputFlag
}

// newCmdReportLocust builds loadplan report locust; runF as newCmdReport's.
func newCmdReportLocust(streams *IO, runF func(*locustOptions) error) *cobra.Command {
	o := &locustOptions{}
	cmd := &cobra.Command{
		Use:   "locust PREFIX_stats.csv --plan PLAN",
		Short: "Price a Locust run by its request counts with a plan's tasks",
		Long: `Price a run that Locust made (its PREFIX_stats.csv) with a plan: each Locust Name is matched
to a request of the plan by its statistics name (a task, TASK.STEP or on_start.NAME), else by
its path and method, and costs that request's flat price, nothing when free, or its expected
tokens at the catalog's prices. Every request counts, failed ones too. Names that match no
request, or several differently priced ones, are listed as unpriced: their cost is unknown,
not $0, and the total is a lower bound.`,
		Example: `  loadplan report locust results_stats.csv --plan examples/ai-service.yaml
  loadplan report locust results_stats.csv --plan plan.yaml --prices model_prices.json --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("give one Locust stats file: loadplan report locust PREFIX_stats.csv --plan PLAN")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.stats = args[0]
			if o.plan == "" {
				return usageError("--plan PLAN is required: the plan whose tasks price the Locust requests")
			}
			if err := o.output.check(); err != nil {
				return err
			}
			if err := o.prices.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runReportLocust(streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.plan, "plan", "", "the plan whose tasks price the requests (required)")
	o.prices.register(fs)
	o.output.register(cmd, "table", "json")
	return cmd
}

// runReportLocust is loadplan report locust: a Locust run priced with a plan.
func runReportLocust(streams *IO, o *locustOptions) error {
	rows, err := report.ReadLocustStats(o.stats)
	if err != nil {
		return withCode(exitUsage, err)
	}
	p, err := loadPlan(streams, o.plan)
	if err != nil {
		return err
	}
	cat, _, err := o.prices.forPlan(p, time.Now())
	if err != nil {
		return err
	}
	lc, err := report.PriceLocust(o.stats, rows, p, cat)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if o.output.json() {
		return writeOut(report.WriteJSON(streams.Out, lc))
	}
	return writeOut(report.LocustTable(streams.Out, lc))
}
