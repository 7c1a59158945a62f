package report

import (
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

func TestGoodputLine(t *testing.T) {
	t.Parallel()
	s := &summary.Run{Actual: summary.Actual{Requests: 45, Cost: decimal.RequireFromString("0.26")}}
	if GoodputLine(s) != "" {
		t.Error("a summary without goodput has no goodput line")
	}
	g := &summary.Goodput{Good: 43, GoodputRPS: 3.7, WastedCost: decimal.RequireFromString("0.013")}
	summary.DeriveGoodput(g, 45, s.Actual.Cost)
	s.Actual.Goodput = g
	want := "Goodput: 43 of 45 requests good (95.56% SLO attainment), 3.70 good/s; $0.006 per good request ($6.05 per 1k good); wasted $0.013 (5.00% of cost)"
	if got := GoodputLine(s); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	k, ok := goodputKPI(s)
	if !ok || k.Value != "96%" || k.Class != "warn" {
		t.Errorf("kpi %+v", k)
	}
}
