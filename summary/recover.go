package summary

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Recover turns the journal of a run (a summary written while it went, partial, with the
// meter's state) into the summary of a run that was killed at some point after the journal
// was written: stop_reason killed, partial. The money reserved for the requests in flight
// when the journal was written is counted as possibly spent: it is charged at the
// reservation (added to actual.cost and to actual.cost_estimated, the part charged without a
// usage report), so the cost recovered is never below what was spent before the journal was
// written, and exceeds what was spent by the kill only by what those requests could cost at
// worst and the requests started after the journal. name is the journal's file, for the
// stop detail.
func Recover(s *Run, name string) {
	s.Partial = true
	s.StopReason = StopKilled
	s.Pass = false
	reserved := decimal.Zero
	if s.Meter != nil {
		reserved = s.Meter.Reserved
		s.Actual.Cost = s.Meter.Spent.Add(reserved)
	}
	s.Actual.CostEstimated = s.Actual.CostEstimated.Add(reserved)
	if s.Actual.Requests > 0 {
		per := s.Actual.Cost.Div(decimal.NewFromInt(s.Actual.Requests))
		s.Actual.CostPerRequest = &per
	}
	if g := s.Actual.Goodput; g != nil {
		// The reservations of the requests in flight were not good (not known to be), and
		// cost what they are counted at.
		g.WastedCost = g.WastedCost.Add(reserved)
		DeriveGoodput(g, s.Actual.Requests, s.Actual.Cost)
	}
	s.StopDetail = fmt.Sprintf("killed after %.1fs of its schedule; recovered from its journal %s: "+
		"%s USD reserved for the requests then in flight is counted as spent (in cost_estimated); "+
		"what ran after the journal was written is not in this report", s.DurationS, name, reserved.String())
	s.ExitCode = StopKilled.ExitCode(s.Pass)
}
