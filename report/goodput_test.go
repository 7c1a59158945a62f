package report

import (
	"strings"
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

// TestGoodputTable: the run's text has a goodput table per request name when one of them
// had a request that was not good, and none when every request was good.
func TestGoodputTable(t *testing.T) {
	t.Parallel()
	row := func(name string, requests, good int64, cost, wasted string) summary.TaskStats {
		g := &summary.Goodput{Good: good, GoodputRPS: float64(good) / 10, WastedCost: decimal.RequireFromString(wasted)}
		summary.DeriveGoodput(g, requests, decimal.RequireFromString(cost))
		return summary.TaskStats{Name: name, Requests: requests, Cost: decimal.RequireFromString(cost), Goodput: g}
	}
	s := &summary.Run{Tasks: []summary.TaskStats{row("chat", 28, 28, "0.17", "0"), row("stream", 22, 9, "0.19", "0.12")}}
	var b strings.Builder
	runSummaryBody(&b, s)
	out := b.String()
	for _, want := range []string{"Goodput (a request is good", "│ stream │       22 │    9 │   40.91% │   0.90 │       $21.11 │  $0.12 │"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	s.Tasks[1] = row("stream", 22, 22, "0.19", "0")
	b.Reset()
	runSummaryBody(&b, s)
	if strings.Contains(b.String(), "Goodput (") {
		t.Errorf("every request good, yet a goodput table:\n%s", b.String())
	}
}
