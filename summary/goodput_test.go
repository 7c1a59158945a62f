package summary

import (
	"testing"

	"github.com/shopspring/decimal"
)

// TestMergeGoodput: good and wasted cost add; attainment, cost per good request and goodput
// are derived from the merged counts; a part without goodput makes it unknown.
func TestMergeGoodput(t *testing.T) {
	t.Parallel()
	a := &Goodput{Good: 8, WastedCost: decimal.RequireFromString("0.02")}
	b := &Goodput{Good: 2, WastedCost: decimal.RequireFromString("0.010")}
	g := mergeGoodput([]*Goodput{a, b}, 20, decimal.RequireFromString("0.5"), 5)
	if g.Good != 10 || !g.WastedCost.Equal(decimal.RequireFromString("0.03")) || g.GoodputRPS != 2 {
		t.Fatalf("%+v", g)
	}
	if *g.SLOAttainment != 0.5 || !g.CostPerGoodRequest.Equal(decimal.RequireFromString("0.05")) {
		t.Errorf("attainment %v, cost per good %v", *g.SLOAttainment, g.CostPerGoodRequest)
	}
	if mergeGoodput([]*Goodput{a, nil}, 20, decimal.Zero, 5) != nil {
		t.Error("a part without goodput: want unknown")
	}
	z := mergeGoodput([]*Goodput{{}}, 0, decimal.Zero, 0)
	if z.SLOAttainment != nil || z.CostPerGoodRequest != nil {
		t.Errorf("no requests: %+v", z)
	}
}
