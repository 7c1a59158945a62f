package planner

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// TestUncomputableIsUnknown: an arrival rate of 1e308/s (past the plan's limits, built here
// without them) made an infinite count, which quantity read as 0: "$0.00 within budget",
// exit 0. A count past any number is unknown, and so is the cost, and the gate fails closed,
// free tasks included.
func TestUncomputableIsUnknown(t *testing.T) {
	t.Parallel()
	for _, task := range []*plan.Task{flatTask("a", 1, "0.003"),
		{Name: "free", Weight: 1, Steps: []*plan.Step{{Name: "free", Cost: plan.CostRule{Kind: plan.CostFree}}}}} {
		s := plan.Scenario{Name: "s", ArrivalRate: plan.Rate{PerSecond: 1e308, Text: "1e308/s"}, Duration: time.Hour, MaxInFlight: 100, Budget: ptr(dec("1"))}
		p := &plan.Plan{Name: "p", Tasks: []*plan.Task{task}, Scenarios: []*plan.Scenario{&s}}
		e, err := EstimatePlan(p, p.Scenarios, pricing.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Errorf("%s: the estimate does not encode: %v", task.Name, err)
		}
		got := e.Scenarios[0]
		if got.Cost.Expected != nil || got.Requests.Expected != nil || got.WithinBudget == nil || *got.WithinBudget || len(e.Over()) != 1 {
			t.Errorf("%s: cost %v, requests %v, within budget %v; want unknown and refused", task.Name, got.Cost.Expected, got.Requests.Expected, got.WithinBudget)
		}
	}
}
