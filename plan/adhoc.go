package plan

import (
	"github.com/shopspring/decimal"

	"errors"
	"fmt"
	"strconv"
	"time"
)

// AdHocName names the plan, its one task and its one scenario built by AdHoc.
const AdHocName = "ad-hoc"

// AdHoc is a load described on the command line instead of in a plan file (loadplan
// estimate --users 50 --duration 10m --rate 3/min --price 0.003): users each sending Rate
// requests, priced flat (Price) or by a model's token prices (Model with InputTokens and
// OutputTokens, MaxOutputTokens for a worst case).
type AdHoc struct {
	Users     int
	SpawnRate float64 // users started per second; 0: all at once
	RunTime   time.Duration
	Rate      string // requests per user per time unit: 3/min

	Price string // USD per request
	Model string
	// Tokens per request, for Model.
	InputTokens, OutputTokens, MaxOutputTokens int64
}

// Plan builds the plan of an ad-hoc load: one task, one scenario (both named ad-hoc) whose
// users are paced at Rate, all started at once unless SpawnRate is given. Its problems name
// the flags they come from.
func (a AdHoc) Plan() (*Plan, error) {
	if a.Users <= 0 || a.RunTime <= 0 || a.Rate == "" {
		return nil, errors.New("without a PLAN, give --users, --run-time (or --duration) and --rate, e.g. loadplan estimate --users 50 --duration 10m --rate 3/min --price 0.003")
	}
	r, err := ParseRate(a.Rate)
	if err != nil {
		return nil, fmt.Errorf("--rate: %w", err)
	}
	if !(r.PerSecond > 0) {
		return nil, errors.New("--rate: must be more than 0")
	}
	for _, t := range []struct {
		flag string
		n    int64
	}{{"--input-tokens", a.InputTokens}, {"--output-tokens", a.OutputTokens}, {"--max-output-tokens", a.MaxOutputTokens}} {
		if err := CheckTokens(t.n); err != nil {
			return nil, fmt.Errorf("%s: %w", t.flag, err)
		}
	}
	// Each user sends one request every period: a rate slower than one a year has a period
	// no duration can hold.
	if 1/r.PerSecond > MaxDuration.Seconds() {
		return nil, fmt.Errorf("--rate %s: slower than one request a year per user", a.Rate)
	}
	st := &Step{Name: AdHocName, Request: Request{Method: "POST", Path: "/"}}
	switch {
	case a.Price != "" && a.Model != "":
		return nil, errors.New("give --price or --model, not both")
	case a.Price != "":
		price, err := ParseMoney(a.Price)
		if err != nil {
			return nil, fmt.Errorf("--price: %w", err)
		}
		st.Cost = CostRule{Kind: CostFlat, Price: price}
	case a.Model != "":
		if a.InputTokens <= 0 && a.OutputTokens <= 0 {
			return nil, errors.New("--model needs --input-tokens and --output-tokens per request")
		}
		st.Cost = CostRule{Kind: CostUsage, Model: a.Model, Usage: UsageSource{Kind: UsageAnthropic}}
		in, out := decimal.NewFromInt(a.InputTokens), decimal.NewFromInt(a.OutputTokens)
		st.Expect = Expect{InputTokens: in, OutputTokens: out, HasTokens: true,
			MaxInputTokens: Expect{InputTokens: in}.InputBound(), MaxInputFrom: Origin{Rule: "default: 2 × --input-tokens"},
			MaxOutputTokens: a.MaxOutputTokens, MaxOutputFrom: Origin{Rule: "--max-output-tokens"}}
		st.Assumed = []Assumed{{Of: AdHocName, Field: "--input-tokens bound", Key: "max_input_tokens",
			Value: strconv.FormatInt(st.Expect.MaxInputTokens, 10), Rule: st.Expect.MaxInputFrom.Rule}}
	default:
		return nil, errors.New("price the requests: --price USD per request, or --model with --input-tokens and --output-tokens")
	}
	// A user sends at its start and every period after (pacing): Rate requests per time unit.
	period := time.Duration(float64(time.Second) / r.PerSecond)
	s := &Scenario{Name: AdHocName, Users: a.Users, SpawnRate: a.SpawnRate, Duration: a.RunTime,
		Wait: Wait{Kind: WaitPacing, Min: period, Max: period, Set: true}}
	if a.SpawnRate == 0 {
		sa := spawnAssumed(s)
		sa.Field = "--spawn-rate"
		s.Assumed = []Assumed{sa}
	}
	return &Plan{Name: AdHocName, Version: Version, Target: "mock://",
		Tasks:     []*Task{{Name: AdHocName, Weight: 1, Steps: []*Step{st}}},
		Scenarios: []*Scenario{s}}, nil
}
