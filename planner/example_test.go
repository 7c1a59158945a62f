package planner_test

import (
	"fmt"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// The seed's question: 50 users, 3 requests a minute each, for 10 minutes, at $0.003 a
// request.
func ExampleEstimateScenario() {
	pace := plan.Wait{Kind: plan.WaitPacing, Min: 20 * time.Second, Max: 20 * time.Second}
	s := &plan.Scenario{Name: "normal", Users: 50, Duration: 10 * time.Minute, Wait: pace}
	p := &plan.Plan{Name: "demo", Scenarios: []*plan.Scenario{s}, Tasks: []*plan.Task{{
		Name: "chat", Weight: 1,
		Steps: []*plan.Step{{Name: "chat", Cost: plan.CostRule{Kind: plan.CostFlat, Price: decimal.RequireFromString("0.003")}}},
	}}}
	e, err := planner.EstimateScenario(p, s, pricing.Default(), planner.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(*e.Requests.Expected, e.Cost.Expected)
	// Output: 1500 4.5
}
