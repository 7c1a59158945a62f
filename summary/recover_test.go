package summary

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestRecover: the reserved money of a journal is counted as spent, in cost_estimated.
func TestRecover(t *testing.T) {
	t.Parallel()
	s := &Run{Partial: true, Pass: true, StopReason: StopKilled, Actual: Actual{Requests: 4, Cost: decimal.RequireFromString("0.5"),
		CostEstimated: decimal.RequireFromString("0.1")},
		Meter: &Meter{Spent: decimal.RequireFromString("0.5"), Reserved: decimal.RequireFromString("0.25")}}
	Recover(s, "x.partial.json")
	if !s.Actual.Cost.Equal(decimal.RequireFromString("0.75")) || !s.Actual.CostEstimated.Equal(decimal.RequireFromString("0.35")) {
		t.Errorf("cost %s, estimated %s; want 0.75 and 0.35", s.Actual.Cost, s.Actual.CostEstimated)
	}
	if s.StopReason != StopKilled || !s.Partial || s.ExitCode != 130 || s.Verdict() != VerdictKilled {
		t.Errorf("stop %s partial %v exit %d verdict %s", s.StopReason, s.Partial, s.ExitCode, s.Verdict())
	}
	if !strings.Contains(s.StopDetail, "x.partial.json") || !strings.Contains(s.StopDetail, "0.25 USD reserved") {
		t.Errorf("stop detail %q", s.StopDetail)
	}
	if s.Actual.CostPerRequest == nil || !s.Actual.CostPerRequest.Equal(decimal.RequireFromString("0.1875")) {
		t.Errorf("cost per request %v", s.Actual.CostPerRequest)
	}
}
