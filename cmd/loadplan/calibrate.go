package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/loadplan/loadplan/calibration"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/spf13/cobra"
)

// calibrateOptions are the flags of loadplan calibrate.
type calibrateOptions struct {
	Runs   []string // RUN.json summaries to pool
	Plan   string   // --plan PLAN (with runs)
	Output string   // -o FILE; "" or "-": stdout
	// The pilot: --pilot PLAN sends Requests requests per task of Scenario, capped by Budget.
	Pilot    string
	Scenario string
	Requests int
	Budget   string
	Host     string
	Spread   time.Duration // the time over which each task's requests start
}

func newCmdCalibrate(streams *IO, runF func(*calibrateOptions) error) *cobra.Command {
	o := &calibrateOptions{}
	cmd := &cobra.Command{
		Use:   "calibrate RUN.json [RUN2.json ...] --plan PLAN -o calibration.yaml",
		Short: "Measure a plan's expect values from runs (or a small pilot) for estimate and run --calibration",
		Long: `Write, per request name of a plan, what runs measured: the mean and quantiles (min, p10, p25,
p50, p75, p90, p95, p99, max) of the prompt, cacheable and output tokens per response, the
cache hit rate, the latency and TTFT median and p95, with the sample sizes. Several runs are
pooled (sums add, histograms merge exactly). Give the file to loadplan estimate or run with
--calibration: it overrides each step's expect and is listed in the assumes: lines.

With --pilot PLAN, first run a small paid pilot: --requests requests of each task of the
scenario, one at a time, capped by --budget and gated like any run, then calibrate from it.`,
		Example: `  loadplan calibrate run1.json run2.json --plan examples/ai-service.yaml -o calibration.yaml
  loadplan calibrate --pilot examples/ai-service.yaml --scenario smoke --requests 20 --budget 1 -o calibration.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Runs = args
			if runF != nil {
				return runF(o)
			}
			return runCalibrate(cmd.Context(), streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Plan, "plan", "", "the plan the runs ran")
	fs.StringVarP(&o.Output, "output", "o", "", "write the calibration to FILE (default: stdout)")
	fs.StringVar(&o.Pilot, "pilot", "", "run a small pilot of PLAN and calibrate from it")
	fs.StringVarP(&o.Scenario, "scenario", "s", "", "pilot: the scenario whose tasks, target and budget it uses")
	fs.IntVar(&o.Requests, "requests", 20, "pilot: requests of each task")
	fs.StringVar(&o.Budget, "budget", "", "pilot: budget in USD (default: the scenario's)")
	fs.StringVar(&o.Host, "host", "", "pilot: base URL of the target, overriding the plan's")
	o.Spread = 10 * time.Second
	fs.Var(secondsDuration{&o.Spread}, "spread", "pilot: the time over which each task's requests start (default 10s)")
	return cmd
}

// runCalibrate is loadplan calibrate: from runs, or from a pilot.
func runCalibrate(ctx context.Context, streams *IO, o *calibrateOptions) error {
	if o.Pilot != "" {
		if len(o.Runs) > 0 || o.Plan != "" {
			return usageError("give run summaries with --plan, or --pilot PLAN, not both")
		}
		return runPilot(ctx, streams, o)
	}
	if o.Plan == "" {
		return usageError("give the plan the runs ran: --plan PLAN (or --pilot PLAN for a pilot)")
	}
	if len(o.Runs) == 0 {
		return usageError("give one or more run summaries (loadplan run --json FILE), or --pilot PLAN")
	}
	p, err := loadPlan(streams, o.Plan)
	if err != nil {
		return err
	}
	var srcs []calibration.Source
	for _, path := range o.Runs {
		r, err := summary.Read(path)
		if err != nil {
			return usageError("%v", err)
		}
		srcs = append(srcs, calibration.Source{Name: path, Run: r})
	}
	return writeCalibration(streams, p, srcs, o.Output)
}

// writeCalibration computes the calibration of p from srcs, writes it to out (a file, or
// stdout) and says on stderr what it holds.
func writeCalibration(streams *IO, p *plan.Plan, srcs []calibration.Source, out string) error {
	c, err := calibration.FromRuns(p, srcs)
	if err != nil {
		return usageError("%v", err)
	}
	write := func(w io.Writer) error { return calibration.Write(w, c) }
	if out == "" || out == "-" {
		if err := write(streams.Out); err != nil {
			return withCode(exitFailed, err)
		}
	} else if err := writeFile(out, write); err != nil {
		return withCode(exitFailed, err)
	}
	for _, s := range c.Steps {
		fmt.Fprintf(streams.ErrOut, "calibrated %s: %d requests, %d with usage\n", s.Name, s.Requests, s.Samples)
	}
	if len(c.Unmatched) > 0 {
		fmt.Fprintf(streams.ErrOut, "warning: measured but not in %s: %v (left out)\n", p.File, c.Unmatched)
	}
	if len(c.NoData) > 0 {
		fmt.Fprintf(streams.ErrOut, "warning: no data for %v: left as the plan says\n", c.NoData)
	}
	return nil
}

// applyCalibration loads the calibration file path (none when "") and overrides p's expect
// values with it; its warnings go to stderr and are returned for the estimate's warnings.
// A bad file is a usage error (exit 2) naming file:line:col and the field.
func applyCalibration(streams *IO, p *plan.Plan, path string) (*calibration.Calibration, []string, error) {
	if path == "" {
		return nil, nil, nil
	}
	c, err := calibration.Load(path)
	if err != nil {
		if es, ok := plan.AsErrors(err); ok {
			return nil, nil, withCode(exitUsage, fmt.Errorf("%s has %d %s:\n%w", path, es.Total(), pluralWord(es.Total(), "problem", "problems"), err))
		}
		return nil, nil, usageError("--calibration: %v", err)
	}
	ws := c.Apply(p)
	for _, w := range ws {
		fmt.Fprintf(streams.ErrOut, "warning: %s\n", w)
	}
	return c, ws, nil
}
