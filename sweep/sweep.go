package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// Schema is the JSON schema name of a sweep's result.
const Schema = "loadplan.sweep/v1"

// DefaultMinAttainment is the SLO attainment a step must reach to hold, unless the plan has an
// slo_attainment threshold or the command line gives one.
const DefaultMinAttainment = 0.95

// ThSLOAttainment is the plan threshold whose limit, when the plan has one at plan or
// scenario scope, is the attainment a step must reach.
const ThSLOAttainment = plan.ThSLOAttainment

// StopReason is why a sweep stopped.
type StopReason string

const (
	// StopCompleted: every step held; the knee is at or above the top of the ladder.
	StopCompleted StopReason = "completed"
	// StopBroke: a step did not hold (SLO attainment or a threshold); the knee is below it.
	StopBroke StopReason = "slo_broken"
	// StopBudget: the budget ran out during a step (or a response overran its reservation).
	StopBudget StopReason = "budget_exhausted"
	// StopInterrupted: stopped by an interrupt.
	StopInterrupted StopReason = "interrupted"
	// StopError: a step could not run.
	StopError StopReason = "error"
)

// Exit codes of a sweep (DESIGN.md's, as run's): 0 a knee found, or every step held; 1 the
// first step already broke (no load holds the SLO); 4 stopped by the budget; 5 a step could
// not run; 130 interrupted.
func (r StopReason) ExitCode(knee bool) int {
	switch r {
	case StopBudget:
		return summary.ExitBudget
	case StopInterrupted:
		return summary.ExitInterrupted
	case StopError:
		return summary.ExitError
	case StopBroke:
		if !knee {
			return summary.ExitThresholds
		}
	}
	return summary.ExitPass
}

// StepRun is what RunStep runs: the step's scenario (the sweep's at one level, for
// StepDuration) and its estimate.
type StepRun struct {
	Index    int     // from 1
	Level    float64 // requests per second, or users
	Scenario *plan.Scenario
	Estimate *planner.Scenario
}

// Config is a sweep.
type Config struct {
	Plan     *plan.Plan
	Scenario *plan.Scenario // as overridden by the command line; its load is replaced per step
	Catalog  *pricing.Catalog
	// Closed: the levels are users (the closed model); else arrival rates per second.
	Closed       bool
	Levels       []float64 // rising
	StepDuration time.Duration
	// Refine is how many bisection steps run between the last level that held and the first
	// that broke.
	Refine int
	// MinAttainment is the SLO attainment (0..1) a step must reach; 0: the plan's
	// slo_attainment threshold, else DefaultMinAttainment.
	MinAttainment float64
	// Options are the planner's (the budget, --no-budget) for each step's estimate.
	Options planner.Options
	// Ledger meters every step: one budget for the sweep.
	Ledger meter.Ledger
	// RunStep runs one step on Ledger and returns its summary; an error is a step that could
	// not run (the sweep stops: error).
	RunStep func(ctx context.Context, st StepRun) (*summary.Run, error)
	// OnStep, when set, is told each step as it ends.
	OnStep func(Step)
}

// Result is a sweep's outcome (JSON loadplan.sweep/v1).
type Result struct {
	Schema        string          `json:"schema"`
	Plan          string          `json:"plan"`
	Scenario      string          `json:"scenario"`
	Model         string          `json:"model"` // open (rates) or closed (users)
	StartedAt     time.Time       `json:"started_at"`
	EndedAt       time.Time       `json:"ended_at"`
	StepDurationS float64         `json:"step_duration_s"`
	MinAttainment float64         `json:"min_attainment"`
	Levels        []float64       `json:"levels"` // the ladder (refine steps are not in it)
	Refine        int             `json:"refine"`
	StopReason    StopReason      `json:"stop_reason"`
	StopDetail    string          `json:"stop_detail,omitempty"`
	ExitCode      int             `json:"exit_code"`
	Budget        *summary.Budget `json:"budget"`
	// Estimate is the whole sweep's estimate before it started (the planner's scenario
	// object, as in loadplan.estimate/v1): every step, and every refine step at the top level.
	Estimate json.RawMessage `json:"estimate"`
	Steps    []Step          `json:"steps"`
	Knee     *Knee           `json:"knee"`
	Totals   Totals          `json:"totals"`
}

// Step is one step's key figures, and its whole summary.
type Step struct {
	Index int     `json:"index"` // from 1, in the order run
	Level float64 `json:"level"` // requests per second, or users
	Text  string  `json:"level_text"`
	// Refine: a bisection step, between the ladder's last good and first bad levels.
	Refine        bool               `json:"refine"`
	Requests      int64              `json:"requests"`
	Failures      int64              `json:"failures"`
	AchievedRPS   float64            `json:"achieved_rps"`
	P50MS         float64            `json:"p50_ms"`
	P95MS         float64            `json:"p95_ms"`
	TTFTP95MS     *float64           `json:"ttft_p95_ms"`
	Good          int64              `json:"good"`
	GoodputRPS    float64            `json:"goodput_rps"`
	SLOAttainment *float64           `json:"slo_attainment"`
	Cost          decimal.Decimal    `json:"cost"`
	CostPer1kGood *decimal.Decimal   `json:"cost_per_1k_good"`
	StopReason    summary.StopReason `json:"stop_reason"`
	// Held: the step ran to its end and met the SLO and thresholds; nil when it was not
	// judged (stopped before its end).
	Held *bool `json:"held"`
	// Broke says why it did not hold.
	Broke   []string     `json:"broke,omitempty"`
	Summary *summary.Run `json:"summary"`
}

// Knee is the highest level that held.
type Knee struct {
	Level         float64          `json:"level"`
	Text          string           `json:"level_text"`
	Step          int              `json:"step"`
	P95MS         float64          `json:"p95_ms"`
	SLOAttainment *float64         `json:"slo_attainment"`
	CostPer1kGood *decimal.Decimal `json:"cost_per_1k_good"`
	// Below is the lowest level that broke, when one did: the knee lies between the two.
	Below *float64 `json:"broke_at"`
}

// Totals add up the steps.
type Totals struct {
	Steps         int              `json:"steps"`
	Requests      int64            `json:"requests"`
	Failures      int64            `json:"failures"`
	Good          int64            `json:"good"`
	Cost          decimal.Decimal  `json:"cost"`
	CostPer1kGood *decimal.Decimal `json:"cost_per_1k_good"`
	DurationS     float64          `json:"duration_s"`
}

// StepScenario is sc at one level for d: the open model at level requests per second, or the
// closed model with level users (all started at once unless sc has a spawn rate).
func StepScenario(sc *plan.Scenario, level float64, closed bool, d time.Duration) (*plan.Scenario, error) {
	ov := plan.Overrides{RunTime: &d}
	if closed {
		n := int(level)
		ov.Users = &n
	} else {
		r := plan.Rate{PerSecond: level, Text: LevelText(level, false)}
		ov.ArrivalRate = &r
	}
	return ov.Apply(sc)
}

// Estimate is the sweep's estimate before it starts, gated against the budget by the
// planner: its worst case in steps, every level of the ladder and Refine more steps at the top
// level.
func Estimate(cfg Config) (*planner.Scenario, error) {
	if len(cfg.Levels) == 0 {
		return nil, errors.New("a sweep needs one level at least")
	}
	var steps []*plan.Scenario
	for _, lv := range cfg.Levels {
		sc, err := StepScenario(cfg.Scenario, lv, cfg.Closed, cfg.StepDuration)
		if err != nil {
			return nil, err
		}
		steps = append(steps, sc)
	}
	for range cfg.Refine {
		steps = append(steps, steps[len(cfg.Levels)-1])
	}
	est, _, err := planner.EstimateSequence(cfg.Plan, cfg.Scenario.Name, steps, cfg.Catalog, cfg.Options)
	if err != nil {
		return nil, err
	}
	est.Assumptions = append(est.Assumptions, fmt.Sprintf("the sweep's worst case: all %d steps run%s", len(cfg.Levels),
		refineText(cfg.Refine)))
	return est, nil
}

func refineText(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", and its refine step at the top level"
	}
	return fmt.Sprintf(", and its %d refine steps at the top level", n)
}

// MinAttainmentOf is the attainment a step of sc must reach: given (> 0), else the plan's
// slo_attainment threshold at plan or scenario scope, else DefaultMinAttainment.
func MinAttainmentOf(sc *plan.Scenario, given float64) float64 {
	if given > 0 {
		return given
	}
	for _, th := range sc.Thresholds {
		if th.Kind == ThSLOAttainment && (th.Scope == "plan" || th.Scope == "scenario") {
			return th.Ratio
		}
	}
	return DefaultMinAttainment
}
