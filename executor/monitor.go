package executor

import (
	"fmt"
	"github.com/loadplan/loadplan/summary"
	"net/url"

	"github.com/loadplan/loadplan/monitor"
	"github.com/loadplan/loadplan/plan"
)

// newMonitors builds the plan's monitors (plan.Plan.Monitors, run --monitor's among them)
// against the run's target; nil without any. An absolute URL must be to a host the plan
// allows, as a request's url: is.
func (r *runner) newMonitors() error {
	mons := r.cfg.Plan.Monitors
	if len(mons) == 0 {
		return nil
	}
	for _, m := range mons {
		if u, err := url.Parse(m.URL); err == nil && u.IsAbs() {
			if err := CheckHost(r.cfg.Plan, m.URL); err != nil {
				return fmt.Errorf("monitor %s: %w", plan.RedactURL(m.URL), err)
			}
		}
	}
	g, err := monitor.NewGroup(r.cfg.Target, mons, r.client)
	if err != nil {
		return err
	}
	r.mon = g
	return nil
}

// judgeMonitor judges a monitor threshold on the series the monitors kept (rep is nil
// without monitors: no data, which fails).
func (r *runner) judgeMonitor(th plan.Threshold, rep *monitor.Report) summary.ThresholdResult {
	res := summary.ThresholdResult{Name: string(th.Kind), Scope: th.Scope, Limit: th.Text}
	res.Actual, res.Pass = monitor.Judge(th, rep.Find(th.Monitor.Series), r.sc.TotalDuration())
	return res
}
