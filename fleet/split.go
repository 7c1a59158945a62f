package fleet

import (
	"strconv"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/schedule"
)

// Split is the share of scenario sc that the worker at position pos of n runs: users (and
// each stage's users), max_in_flight by schedule.Share, so that the parts add up to the
// plan's; the spawn rate in proportion to the worker's users and the arrival rate to its
// requests in flight, so that the rates add up to the plan's and every worker ends its ramp
// when the whole run would. A worker whose share is nothing runs no user. The budget and the
// thresholds are the run's (the budget is shared through the ledger; the thresholds are
// judged on the merged summary).
func Split(sc *plan.Scenario, pos, n int) *plan.Scenario {
	w := *sc
	w.Stages = append([]plan.Stage(nil), sc.Stages...)
	for i := range w.Stages {
		w.Stages[i].Users = schedule.Share(sc.Stages[i].Users, n, pos)
	}
	w.Users = schedule.Share(sc.Users, n, pos)
	w.SpawnRate = schedule.ShareRate(sc.SpawnRate, w.Users, sc.Users)
	if sc.Open() {
		w.MaxInFlight = schedule.Share(sc.MaxInFlight, n, pos)
		w.ArrivalRate.PerSecond = schedule.ShareRate(sc.ArrivalRate.PerSecond, w.MaxInFlight, sc.MaxInFlight)
		w.ArrivalRate.Text = strconv.FormatFloat(w.ArrivalRate.PerSecond, 'g', 6, 64) + "/s"
		if w.MaxInFlight == 0 {
			// Nothing to send: a closed model of no user, for the scenario's duration.
			w.ArrivalRate = plan.Rate{}
			w.Users = 0
		}
	} else {
		w.MaxInFlight = schedule.Share(sc.MaxInFlight, n, pos)
	}
	return &w
}
