package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/calibration"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// The pilot (loadplan calibrate --pilot PLAN --scenario S --requests N --budget X) runs, for
// each task of the plan in turn, a copy of the plan in which that task alone has a weight
// and whose one scenario is an open model of exactly N task iterations spread over --spread
// (max_in_flight N, so none is dropped): N requests of each task (of each step of a
// sequence). Each copy is an ordinary `loadplan run`, capped by what is left of the budget;
// before the first, the copies' estimates together are gated on the budget. The copies are
// written beside the plan (its data files are relative to it) and removed after.

// pilotPart is the copy of the plan that runs one task.
type pilotPart struct {
	task, file, json string
}

func runPilot(ctx context.Context, streams *IO, o *calibrateOptions) error {
	if o.Requests <= 0 || o.Requests > 10_000 {
		return usageError("--requests %d: give 1 to 10000 requests per task", o.Requests)
	}
	if o.Spread <= 0 {
		return usageError("--spread: give a positive duration")
	}
	p, err := loadPlan(streams, o.Pilot)
	if err != nil {
		return err
	}
	scs, err := pickScenarios(p, o.Scenario, false, false)
	if err != nil {
		return err
	}
	budget := scs[0].Budget
	if o.Budget != "" {
		b, err := plan.ParseMoney(o.Budget)
		if err != nil {
			return usageError("--budget: %v", err)
		}
		budget = &b
	}
	if budget == nil {
		return usageError("a pilot is paid: give --budget (the scenario %s has none)", scs[0].Name)
	}
	parts, cleanup, err := writePilotPlans(p, o.Requests, o.Spread)
	defer cleanup()
	if err != nil {
		return withCode(exitFailed, err)
	}
	if err := gatePilot(streams, o, parts, *budget); err != nil {
		return err
	}
	spent := decimal.Zero
	var srcs []calibration.Source
	var stopErr error
	for _, part := range parts {
		left := budget.Sub(spent)
		args := []string{part.file, "--scenario", "pilot", "--quiet", "--json", part.json, "--budget", left.String()}
		if o.Host != "" {
			args = append(args, "--host", o.Host)
		}
		fmt.Fprintf(streams.ErrOut, "pilot: %s, %d requests, budget left %s\n", part.task, o.Requests, pricing.FormatUSD(left))
		// An ordinary run, its flags parsed as the command line's would be.
		run := newCmdRun(streams, nil)
		run.SilenceUsage, run.SilenceErrors = true, true
		run.SetArgs(args)
		err := run.ExecuteContext(ctx)
		sum, rerr := summary.Read(part.json)
		if rerr == nil {
			srcs = append(srcs, calibration.Source{Name: fmt.Sprintf("pilot %s (%s)", part.task, sum.StartedAt.Format(time.RFC3339)), Run: sum})
			spent = spent.Add(sum.Actual.Cost)
			warnShortPilot(streams, p, part.task, sum, o)
		}
		var ee *exitError
		if err != nil && !(errors.As(err, &ee) && ee.code == exitThresholds) {
			stopErr = err // budget, interrupt, an unreachable target: the pilot stops here
			break
		}
	}
	fmt.Fprintf(streams.ErrOut, "pilot: spent %s of %s\n", pricing.FormatUSD(spent), pricing.FormatUSD(*budget))
	if len(srcs) > 0 {
		if err := writeCalibration(streams, p, srcs, o.Output); err != nil {
			return err
		}
	}
	return stopErr
}

// gatePilot estimates every copy and refuses (exit 3) when together they are over the budget.
func gatePilot(streams *IO, o *calibrateOptions, parts []pilotPart, budget decimal.Decimal) error {
	total := decimal.Zero
	for _, part := range parts {
		pp, err := loadPlan(&IO{ErrOut: discard{}, Env: streams.Env}, part.file)
		if err != nil {
			return err
		}
		cat, _, err := (&priceFlags{}).forPlan(pp, time.Now())
		if err != nil {
			return err
		}
		est, err := planner.EstimateScenario(pp, pp.Scenarios[0], cat, planner.Options{NoBudget: true})
		if err != nil {
			return withCode(exitUsage, err)
		}
		if est.Cost.Expected == nil {
			return withCode(exitGate, fmt.Errorf("pilot of %s: the expected cost is unknown; refused, an unknown cost fails closed", part.task))
		}
		total = total.Add(*est.Cost.Expected)
	}
	fmt.Fprintf(streams.ErrOut, "pilot: %d %s × %d requests, expected %s, budget %s\n", len(parts), pluralWord(len(parts), "task", "tasks"), o.Requests, pricing.FormatUSD(total), pricing.FormatUSD(budget))
	if total.GreaterThan(budget) {
		return withCode(exitGate, fmt.Errorf("pilot: expected estimate %s is over the budget %s by %s\nways on: fewer --requests, or raise --budget", pricing.FormatUSD(total), pricing.FormatUSD(budget), pricing.FormatUSD(total.Sub(budget))))
	}
	return nil
}

// writePilotPlans writes, beside p's file, a copy of it per task with a weight: that task's
// weight 1, the others' 0, plan thresholds left out, and one scenario, pilot, of exactly n
// iterations. cleanup removes them.
func writePilotPlans(p *plan.Plan, n int, spread time.Duration) ([]pilotPart, func(), error) {
	var files []string
	cleanup := func() {
		for _, f := range files {
			_ = os.Remove(f)
		}
	}
	data, err := os.ReadFile(p.File)
	if err != nil {
		return nil, cleanup, fmt.Errorf("pilot: %w", err)
	}
	dir, base := filepath.Split(p.File)
	var parts []pilotPart
	for _, t := range p.Tasks {
		if t.Weight == 0 {
			continue
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, cleanup, fmt.Errorf("pilot: %w", err)
		}
		if err := pilotize(&root, t.Name, n, spread); err != nil {
			return nil, cleanup, fmt.Errorf("pilot: %s: %w", p.File, err)
		}
		out, err := yaml.Marshal(&root)
		if err != nil {
			return nil, cleanup, fmt.Errorf("pilot: %w", err)
		}
		f, err := os.CreateTemp(dir, "."+base+".pilot-*.yaml")
		if err != nil {
			return nil, cleanup, fmt.Errorf("pilot: the plan's copies are written beside it: %w", err)
		}
		files = append(files, f.Name())
		_, werr := f.Write(out)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, cleanup, fmt.Errorf("pilot: %w", werr)
		}
		js := f.Name() + ".json"
		files = append(files, js)
		parts = append(parts, pilotPart{task: t.Name, file: f.Name(), json: js})
	}
	return parts, cleanup, nil
}

// pilotize edits a plan's YAML: only task keeps a weight, the thresholds go, and the one
// scenario starts n iterations over spread.
func pilotize(root *yaml.Node, task string, n int, spread time.Duration) error {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return errors.New("not a mapping")
	}
	top := root.Content[0]
	rate := float64(n) / spread.Seconds()
	scenario := &yaml.Node{}
	src := fmt.Sprintf("{pilot: {arrival_rate: %s/s, duration: %s, max_in_flight: %d}}",
		strconv.FormatFloat(rate, 'f', -1, 64), plan.FormatDuration(spread), n)
	if err := yaml.Unmarshal([]byte(src), scenario); err != nil {
		return err
	}
	var keep []*yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "thresholds", "slo":
			continue
		case "scenarios":
			v = scenario.Content[0]
		case "tasks":
			for j := 0; j+1 < len(v.Content); j += 2 {
				setWeight(v.Content[j+1], map[bool]string{true: "1", false: "0"}[v.Content[j].Value == task])
			}
		}
		keep = append(keep, k, v)
	}
	top.Content = keep
	return nil
}

func setWeight(t *yaml.Node, w string) {
	for t.Kind == yaml.AliasNode {
		t = t.Alias
	}
	if t.Kind != yaml.MappingNode {
		return
	}
	for j := 0; j+1 < len(t.Content); j += 2 {
		if t.Content[j].Value == "weight" {
			t.Content[j+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: w}
			return
		}
	}
	t.Content = append(t.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "weight"},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: w})
}

// warnShortPilot says when a step of the task sent fewer than --requests: an iteration due
// near the end of --spread that could not start before it (a loaded machine, a slow
// on_start) is not sent.
func warnShortPilot(streams *IO, p *plan.Plan, task string, sum *summary.Run, o *calibrateOptions) {
	for _, t := range p.Tasks {
		if t.Name != task {
			continue
		}
		for _, st := range t.Steps {
			for _, row := range sum.Tasks {
				if row.Name == st.Name && row.Requests < int64(o.Requests) {
					fmt.Fprintf(streams.ErrOut, "warning: pilot of %s: %d of %d requests of %s were sent (the others were due too near the end of --spread %s); its calibration has fewer samples\n",
						task, row.Requests, o.Requests, st.Name, plan.FormatDuration(o.Spread))
				}
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
