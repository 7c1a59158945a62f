package planner

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// TestUncomputableIsUnknown: an arrival rate of 1e308/s (past the plan's limits, built here
// without them) made an infinite float count, which quantity read as 0: "$0.00 within
// budget", exit 0. The estimate's arithmetic is exact now: a priced task at that rate costs
// what it costs, far over the budget, and the gate refuses it; a free one costs exactly $0.
func TestUncomputableIsUnknown(t *testing.T) {
	t.Parallel()
	for _, task := range []*plan.Task{flatTask("a", 1, "0.003")} {
		s := plan.Scenario{Name: "s", ArrivalRate: plan.Rate{PerSecond: 1e308, Text: "1e308/s"}, Duration: time.Hour, MaxInFlight: 100, Budget: new(dec("1"))}
		p := &plan.Plan{Name: "p", Tasks: []*plan.Task{task}, Scenarios: []*plan.Scenario{&s}}
		e, err := EstimatePlan(p, p.Scenarios, pricing.Default(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Errorf("%s: the estimate does not encode: %v", task.Name, err)
		}
		got := e.Scenarios[0]
		if got.Cost.Expected != nil && got.Cost.Expected.LessThanOrEqual(dec("1")) || got.WithinBudget == nil || *got.WithinBudget || len(e.Over()) != 1 {
			t.Errorf("%s: cost %v, requests %v, within budget %v; want over the budget and refused", task.Name, got.Cost.Expected, got.Requests.Expected, got.WithinBudget)
		}
	}
}
