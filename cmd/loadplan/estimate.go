package main

import (
	"fmt"
	"strings"
	"time"

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
}

func (f *loadFlags) register(fs *pflag.FlagSet) {
	fs.IntVarP(&f.users, "users", "u", 0, "number of users (closed model)")
	fs.Float64VarP(&f.spawnRate, "spawn-rate", "r", 0, "users started per second (default: all at once)")
	fs.VarP(secondsDuration{&f.runTime}, "run-time", "t", "how long the scenario runs (30s, 10m, 1h20m; a bare number is seconds, as in Locust)")
	fs.Var(secondsDuration{&f.runTime}, "duration", "alias of --run-time")
	fs.StringVar(&f.arrivalRate, "arrival-rate", "", "task iterations started per time unit, open model (30/s, 600/min)")
	fs.StringVar(&f.budget, "budget", "", "budget in USD, overriding the plan and scenario (5, 5.00, $5)")
	f.prices.register(fs)
}

func (f *loadFlags) overrides() (plan.Overrides, error) {
	o := plan.Overrides{Users: f.users, SpawnRate: f.spawnRate, RunTime: f.runTime}
	if f.users < 0 {
		return o, usageError("--users %d: give 1 or more", f.users)
	}
	if f.spawnRate < 0 {
		return o, usageError("--spawn-rate %g: give users per second, more than 0", f.spawnRate)
	}
	if f.runTime < 0 {
		return o, usageError("--run-time %s: give a positive duration", f.runTime)
	}
	if f.arrivalRate != "" {
		r, err := plan.ParseRate(f.arrivalRate)
		if err != nil {
			return o, usageError("--arrival-rate: %v", err)
		}
		if r.PerSecond == 0 {
			return o, usageError("--arrival-rate: must be more than 0")
		}
		o.ArrivalRate = r
	}
	return o, nil
}

func (f *loadFlags) budgetOverride() (*decimal.Decimal, error) {
	if f.budget == "" {
		return nil, nil
	}
	b, err := plan.ParseMoney(f.budget)
	if err != nil {
		return nil, usageError("--budget: %v", err)
	}
	return &b, nil
}

// loadPlan loads a plan; its problems are a usage error (exit 2), printed one a line.
func loadPlan(streams *IO, path string) (*plan.Plan, error) {
	p, err := plan.Load(path, plan.Options{Env: streams.Env})
	if err != nil {
		if es, ok := plan.AsErrors(err); ok {
			return nil, withCode(exitUsage, fmt.Errorf("%s has %d %s:\n%w", path, len(es), pluralWord(len(es), "problem", "problems"), err))
		}
		return nil, withCode(exitUsage, err)
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
	scenario string
	all      bool
	gate     string
	output   string
	// ad-hoc mode
	rate            string
	price           string
	model           string
	inputTokens     int64
	outputTokens    int64
	maxOutputTokens int64
}

func newEstimateCmd(streams *IO) *cobra.Command {
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
			return estimateRun(streams, o, args)
		},
	}
	fs := cmd.Flags()
	o.load.register(fs)
	fs.StringVarP(&o.scenario, "scenario", "s", "", "the scenario to estimate")
	fs.BoolVar(&o.all, "all", false, "estimate every scenario")
	fs.StringVar(&o.gate, "gate", "expected", "which estimate must fit the budget: expected or worst")
	fs.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
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
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func estimateRun(streams *IO, o *estimateOptions, args []string) error {
	gate, err := planner.ParseGate(o.gate)
	if err != nil {
		return usageError("%v", err)
	}
	if o.output != "table" && o.output != "json" {
		return usageError("--output %q: valid: table, json", o.output)
	}
	if _, err := o.load.prices.catalog(); err != nil { // a bad catalog before a bad plan
		return err
	}
	budget, err := o.load.budgetOverride()
	if err != nil {
		return err
	}
	var p *plan.Plan
	var scenarios []*plan.Scenario
	if len(args) == 0 {
		p, err = o.adHocPlan()
		if err != nil {
			return err
		}
		scenarios = p.Scenarios
	} else {
		if o.rate != "" || o.price != "" || o.model != "" || o.inputTokens != 0 || o.outputTokens != 0 {
			return usageError("--rate, --price, --model, --input-tokens and --output-tokens are for an ad-hoc estimate without a PLAN")
		}
		p, err = loadPlan(streams, args[0])
		if err != nil {
			return err
		}
		scenarios, err = pickScenarios(p, o.scenario, o.all, true)
		if err != nil {
			return err
		}
	}
	ov, err := o.load.overrides()
	if err != nil {
		return err
	}
	for i, s := range scenarios {
		if scenarios[i], err = ov.Apply(s); err != nil {
			return usageError("%v", err)
		}
	}
	cat, stale, err := o.load.prices.forPlan(p, time.Now())
	if err != nil {
		return err
	}
	if err := checkModels(p, cat); err != nil {
		return err
	}
	est, err := planner.EstimatePlan(p, scenarios, cat, planner.Options{Gate: gate, Budget: budget})
	if err != nil {
		return withCode(exitUsage, err)
	}
	for i := range est.Scenarios {
		est.Scenarios[i].Warnings = append(est.Scenarios[i].Warnings, stale...)
	}
	if o.output == "json" {
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

// adHocPlan builds a one-task, one-scenario plan from the ad-hoc flags.
func (o *estimateOptions) adHocPlan() (*plan.Plan, error) {
	if o.load.users == 0 || o.load.runTime == 0 || o.rate == "" {
		return nil, usageError("without a PLAN, give --users, --run-time (or --duration) and --rate, e.g. loadplan estimate --users 50 --duration 10m --rate 3/min --price 0.003")
	}
	r, err := plan.ParseRate(o.rate)
	if err != nil {
		return nil, usageError("--rate: %v", err)
	}
	if r.PerSecond <= 0 {
		return nil, usageError("--rate: must be more than 0")
	}
	st := &plan.Step{Name: "ad-hoc", Request: plan.Request{Method: "POST", Path: "/"}}
	switch {
	case o.price != "" && o.model != "":
		return nil, usageError("give --price or --model, not both")
	case o.price != "":
		price, err := plan.ParseMoney(o.price)
		if err != nil {
			return nil, usageError("--price: %v", err)
		}
		st.Cost = plan.CostRule{Kind: plan.CostFlat, Price: price}
	case o.model != "":
		if o.inputTokens <= 0 && o.outputTokens <= 0 {
			return nil, usageError("--model needs --input-tokens and --output-tokens per request")
		}
		st.Cost = plan.CostRule{Kind: plan.CostUsage, Model: o.model, Usage: plan.UsageSource{Kind: plan.UsageAnthropic}}
		st.Expect = plan.Expect{InputTokens: decimal.NewFromInt(o.inputTokens), OutputTokens: decimal.NewFromInt(o.outputTokens), MaxInputTokens: 2 * o.inputTokens,
			MaxOutputTokens: o.maxOutputTokens, HasTokens: true}
	default:
		return nil, usageError("price the requests: --price USD per request, or --model with --input-tokens and --output-tokens")
	}
	period := time.Duration(float64(time.Second) / r.PerSecond)
	s := &plan.Scenario{Name: "ad-hoc", Users: o.load.users, SpawnRate: o.load.spawnRate, Duration: o.load.runTime,
		Wait: plan.Wait{Kind: plan.WaitPacing, Min: period, Max: period, Set: true}}
	return &plan.Plan{Name: "ad-hoc", Version: plan.Version, Target: "mock://",
		Tasks:     []*plan.Task{{Name: "ad-hoc", Weight: 1, Steps: []*plan.Step{st}}},
		Scenarios: []*plan.Scenario{s}}, nil
}
