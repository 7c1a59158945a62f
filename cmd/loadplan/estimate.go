package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/report"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// loadFlags are the flags that change a scenario, shared by estimate and run so that what
// estimate shows is what run gates on.
type loadFlags struct {
	users       int
	spawnRate   float64
	runTime     time.Duration
	arrivalRate string
	budget      string
	prices      priceFlags
	fs          *pflag.FlagSet // to tell a flag given as 0 from one not given
}

func (f *loadFlags) register(fs *pflag.FlagSet) {
	f.fs = fs
	fs.IntVarP(&f.users, "users", "u", 0, "number of users (closed model)")
	fs.Float64VarP(&f.spawnRate, "spawn-rate", "r", 0, "users started per second (default: all at once)")
	fs.VarP(secondsDuration{&f.runTime}, "run-time", "t", "how long the scenario runs (30s, 10m, 1h20m; a bare number is seconds, as in Locust)")
	fs.Var(secondsDuration{&f.runTime}, "duration", "alias of --run-time")
	fs.StringVar(&f.arrivalRate, "arrival-rate", "", "task iterations started per time unit, open model (30/s, 600/min)")
	fs.StringVar(&f.budget, "budget", "", "budget in USD, overriding the plan and scenario (5, 5.00, $5)")
	f.prices.register(fs)
}

// changed reports whether the flag name was given; without a flag set (the load a worker
// takes from its coordinator's definition, where a flag not given is its zero) a value other
// than zero was.
func (f *loadFlags) changed(name string, nonZero bool) bool {
	if f.fs == nil {
		return nonZero
	}
	return f.fs.Changed(name)
}

// overrides are the load flags given: a flag given means what it says, 0 or "" included (a
// usage error where it cannot mean anything), never "not given".
func (f *loadFlags) overrides() (plan.Overrides, error) {
	var o plan.Overrides
	if f.changed("users", f.users != 0) {
		if err := plan.CheckUsers(f.users); err != nil {
			return o, usageError("--users: %v", err)
		}
		o.Users = &f.users
	}
	if f.changed("spawn-rate", f.spawnRate != 0) {
		if err := plan.CheckRate(f.spawnRate); err != nil {
			return o, usageError("--spawn-rate: %v", err)
		}
		o.SpawnRate = &f.spawnRate
	}
	if f.changed("run-time", f.runTime != 0) || f.changed("duration", false) {
		if err := plan.CheckDuration(f.runTime); err != nil {
			return o, usageError("--run-time: %v", err)
		}
		o.RunTime = &f.runTime
	}
	if f.changed("arrival-rate", f.arrivalRate != "") {
		r, err := plan.ParseRate(f.arrivalRate)
		if err != nil {
			return o, usageError("--arrival-rate: %v", err)
		}
		o.ArrivalRate = &r
	}
	if err := o.Validate(); err != nil {
		return o, usageError("%v", err)
	}
	return o, nil
}

func (f *loadFlags) budgetOverride() (*decimal.Decimal, error) {
	if !f.changed("budget", f.budget != "") {
		return nil, nil
	}
	b, err := plan.ParseMoney(f.budget)
	if err != nil {
		return nil, usageError("--budget: %v", err)
	}
	return &b, nil
}

// loadPrices reads a price catalog file (--prices, --prices-only) through inputfile: a device
// or a FIFO is refused, and so is a file over pricing.MaxFileBytes.
func loadPrices(path string) (*pricing.Catalog, error) {
	f, err := inputfile.Open(path, pricing.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("load price catalog: %w", err)
	}
	defer f.Close()
	return pricing.Read(path, f, f.Info().ModTime())
}

// loadPlan loads a plan; its problems are a usage error (exit 2), printed one a line.
func loadPlan(streams *IO, path string) (*plan.Plan, error) {
	p, err := plan.Load(path, plan.Options{Env: streams.Env})
	if err != nil {
		if es, ok := plan.AsErrors(err); ok {
			return nil, withCode(exitUsage, fmt.Errorf("%s has %d %s:\n%w", path, es.Total(), pluralWord(es.Total(), "problem", "problems"), err))
		}
		return nil, withCode(exitUsage, err)
	}
	streams.secrets = p.Redactor()
	for _, w := range p.Warnings {
		fmt.Fprintf(streams.ErrOut, "warning: %s\n", w)
	}
	return p, nil
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// pickScenarios resolves --scenario / --all against the plan.
// allowAll says whether the command has --all (estimate does, run does not).
func pickScenarios(p *plan.Plan, name string, all, allowAll bool) ([]*plan.Scenario, error) {
	switch {
	case all && name != "":
		return nil, usageError("give --scenario or --all, not both")
	case all:
		return p.Scenarios, nil
	case name != "":
		s := p.Scenario(name)
		if s == nil {
			return nil, usageError("%s has no scenario %q; its scenarios: %s", p.File, name, strings.Join(p.ScenarioNames(), ", "))
		}
		return []*plan.Scenario{s}, nil
	case len(p.Scenarios) == 1:
		return p.Scenarios, nil
	}
	if !allowAll {
		return nil, usageError("%s has %d scenarios; pick one with --scenario NAME: %s", p.File, len(p.Scenarios), strings.Join(p.ScenarioNames(), ", "))
	}
	return nil, usageError("%s has %d scenarios; pick one with --scenario NAME or estimate them all with --all: %s", p.File, len(p.Scenarios), strings.Join(p.ScenarioNames(), ", "))
}

type estimateOptions struct {
	load     loadFlags
	plan     string // "": an ad-hoc estimate
	scenario string
	all      bool
	gate     string
	output   outputFlag
	// ad-hoc mode
	rate            string
	price           string
	model           string
	inputTokens     int64
	outputTokens    int64
	maxOutputTokens int64

	// Parsed from the flags by complete.
	gateKind  planner.Gate
	overrides plan.Overrides
	budget    *decimal.Decimal // --budget; nil: not given
}

// newCmdEstimate builds loadplan estimate: it parses the flags into estimateOptions and calls
// runF with them (tests), else runEstimate.
func newCmdEstimate(streams *IO, runF func(*estimateOptions) error) *cobra.Command {
	o := &estimateOptions{}
	cmd := &cobra.Command{
		Use:   "estimate [PLAN]",
		Short: "Estimate what a load test will cost, before it starts; exit 3 when over budget",
		Long: `Estimate the requests, tokens and dollars of a plan's scenarios (low, expected and worst
case) and compare them with the budget. Nothing is sent. Exit codes: 0 within budget or no
budget, 2 bad plan or flags, 3 over budget (the JSON is still printed).

Without a PLAN, estimate an ad-hoc load: --users, --run-time and --rate (requests per user
per time unit), priced with --price (USD per request) or --model with --input-tokens and
--output-tokens.`,
		Example: `  loadplan estimate examples/ai-service.yaml --all
  loadplan estimate examples/ai-service.yaml --scenario peak --output json
  loadplan estimate examples/ai-service.yaml --scenario normal --users 100 --budget 10 --gate worst
  loadplan estimate --users 50 --duration 10m --rate 3/min --price 0.003
  loadplan estimate --users 20 --run-time 5m --rate 6/min --model claude-haiku-4-5 --input-tokens 2000 --output-tokens 400`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.plan = args[0]
			}
			if err := o.complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runEstimate(streams, o)
		},
	}
	fs := cmd.Flags()
	o.load.register(fs)
	fs.StringVarP(&o.scenario, "scenario", "s", "", "the scenario to estimate")
	fs.BoolVar(&o.all, "all", false, "estimate every scenario")
	fs.StringVar(&o.gate, "gate", "expected", "which estimate must fit the budget: expected or worst")
	o.output.register(cmd, "table", "json")
	fs.StringVar(&o.rate, "rate", "", "ad-hoc: requests per user per time unit (3/min)")
	fs.StringVar(&o.price, "price", "", "ad-hoc: flat price per request in USD (0.003)")
	fs.StringVar(&o.model, "model", "", "ad-hoc: model whose token prices apply")
	fs.Int64Var(&o.inputTokens, "input-tokens", 0, "ad-hoc: input tokens per request")
	fs.Int64Var(&o.outputTokens, "output-tokens", 0, "ad-hoc: output tokens per request")
	fs.Int64Var(&o.maxOutputTokens, "max-output-tokens", 0, "ad-hoc: output bound per request, for the worst case")
	addPlanFile(cmd)
	registerScenarioCompletion(cmd)
	_ = cmd.RegisterFlagCompletionFunc("model", modelNames)
	_ = cmd.RegisterFlagCompletionFunc("gate", cobra.FixedCompletions([]string{"expected", "worst"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// complete parses and checks the flags' values, without reading anything (exit 2).
func (o *estimateOptions) complete() error {
	var err error
	if o.gateKind, err = planner.ParseGate(o.gate); err != nil {
		return usageError("%v", err)
	}
	if err := o.output.check(); err != nil {
		return err
	}
	if err := o.load.prices.check(); err != nil {
		return err
	}
	if o.budget, err = o.load.budgetOverride(); err != nil {
		return err
	}
	if o.overrides, err = o.load.overrides(); err != nil {
		return err
	}
	if o.plan != "" && (o.rate != "" || o.price != "" || o.model != "" || o.inputTokens != 0 || o.outputTokens != 0) {
		return usageError("--rate, --price, --model, --input-tokens and --output-tokens are for an ad-hoc estimate without a PLAN")
	}
	return nil
}

// runEstimate is loadplan estimate: the estimate of the scenarios, printed, and exit 3 when
// one is over its budget.
func runEstimate(streams *IO, o *estimateOptions) error {
	if _, err := o.load.prices.catalog(); err != nil { // a bad catalog before a bad plan
		return err
	}
	p, scenarios, err := o.scenarios(streams)
	if err != nil {
		return err
	}
	cat, stale, err := o.load.prices.forPlan(p, time.Now())
	if err != nil {
		return err
	}
	if err := checkModels(p, cat); err != nil {
		return err
	}
	est, err := planner.EstimatePlan(p, scenarios, cat, planner.Options{Gate: o.gateKind, Budget: o.budget})
	if err != nil {
		return withCode(exitUsage, err)
	}
	for i := range est.Scenarios {
		est.Scenarios[i].Warnings = append(est.Scenarios[i].Warnings, stale...)
	}
	if o.output.json() {
		if err := report.WriteJSON(streams.Out, est); err != nil {
			return withCode(exitFailed, err)
		}
	} else {
		_ = report.EstimateTable(streams.Out, est)
	}
	if over := est.Over(); len(over) > 0 {
		return withCode(exitGate, gateMessage(over))
	}
	return nil
}

// scenarios are the plan and the scenarios to estimate, with the load flags applied: the
// ad-hoc plan of the flags without a PLAN, else those --scenario or --all pick.
func (o *estimateOptions) scenarios(streams *IO) (*plan.Plan, []*plan.Scenario, error) {
	var p *plan.Plan
	var scenarios []*plan.Scenario
	var err error
	if o.plan == "" {
		if p, err = o.adHoc(o.overrides).Plan(); err != nil {
			return nil, nil, usageError("%v", err)
		}
		scenarios = p.Scenarios
	} else {
		if p, err = loadPlan(streams, o.plan); err != nil {
			return nil, nil, err
		}
		if scenarios, err = pickScenarios(p, o.scenario, o.all, true); err != nil {
			return nil, nil, err
		}
	}
	for i, s := range scenarios {
		if scenarios[i], err = o.overrides.Apply(s); err != nil {
			return nil, nil, usageError("%v", err)
		}
	}
	return p, scenarios, nil
}

// gateMessage explains a refusal: the estimate, the budget, the excess and the ways on.
func gateMessage(over []*planner.Scenario) error {
	var b strings.Builder
	for i, s := range over {
		if i > 0 {
			b.WriteString("\n")
		}
		gated := s.Gated()
		if gated == nil {
			fmt.Fprintf(&b, "scenario %s: the %s cost is unknown (some priced request has no output bound), budget %s: refused, an unknown cost fails closed",
				s.Name, s.Gate, pricing.FormatUSD(s.Budget.Limit))
			continue
		}
		fmt.Fprintf(&b, "scenario %s: %s estimate %s is over the budget %s by %s",
			s.Name, s.Gate, pricing.FormatUSD(*gated), pricing.FormatUSD(s.Budget.Limit), pricing.FormatUSD(gated.Sub(s.Budget.Limit)))
	}
	unknown, excess := false, false
	for _, s := range over {
		if s.Gated() == nil {
			unknown = true
		} else {
			excess = true
		}
	}
	if unknown {
		b.WriteString("\nways on: give every priced request an output bound (max_tokens in its JSON body or expect.max_output_tokens), or gate on the expected cost (--gate expected)")
	}
	if excess {
		b.WriteString("\nways on: run a smaller scenario (--users, --run-time), raise the budget (--budget), or start anyway with --allow-over-budget (the live cap still holds)")
	}
	return fmt.Errorf("%s", b.String())
}

// adHoc is the ad-hoc load of the flags (estimate without a PLAN).
func (o *estimateOptions) adHoc(ov plan.Overrides) plan.AdHoc {
	a := plan.AdHoc{Rate: o.rate, Price: o.price, Model: o.model,
		InputTokens: o.inputTokens, OutputTokens: o.outputTokens, MaxOutputTokens: o.maxOutputTokens}
	if ov.Users != nil {
		a.Users = *ov.Users
	}
	if ov.SpawnRate != nil {
		a.SpawnRate = *ov.SpawnRate
	}
	if ov.RunTime != nil {
		a.RunTime = *ov.RunTime
	}
	return a
}
