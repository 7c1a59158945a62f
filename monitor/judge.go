package monitor

import (
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/plan"
)

// NoData is the actual value of a monitor threshold whose series has too few points to be
// judged: it fails, since an unknown is never a pass.
const NoData = "no data"

// DefaultWarmupShare is the share of the run's planned duration during which memory is not
// yet taken as the baseline of target_memory_growth (a process fills its caches and pools
// while the load ramps up).
const DefaultWarmupShare = 10

// Judge judges a monitor threshold (th.Monitor set) on its series; s is nil when no monitor
// has the series. planned is the run's planned duration, from which the default warm-up of
// target_memory_growth comes. actual is written in the series' units ("63.5%", "+4.2%",
// "0"); it is NoData, and pass false, when the series has too few points:
//
//   - target_cpu: the 95th percentile (nearest rank) of the points, or their maximum
//     (stat: max), in cores, against the limit (80% = 0.8 of one core). One point or more.
//   - target_memory_growth: (last - first) / first, first being the first point at or after
//     the warm-up (a tenth of the planned duration unless warmup: is given), last the last
//     point. Two points or more after the warm-up, and a first point above 0.
//   - target_metric: max_increase, the increase from the first point to the last, a drop
//     being a counter reset (the value after it is the increase), as PromQL's increase; or
//     max, the largest point. Two points or more for max_increase, one for max.
func Judge(th plan.Threshold, s *Series, planned time.Duration) (actual string, pass bool) {
	lim := th.Monitor
	if lim == nil || s == nil || len(s.Points) == 0 {
		return NoData, false
	}
	unit := s.Unit
	if th.Kind == plan.ThTargetCPU && unit == UnitNone {
		unit = UnitCores // a CPU series whose name we did not recognise is still in cores
	}
	pts := s.Points
	switch lim.Stat {
	case plan.StatP95:
		vals := make([]float64, len(pts))
		for i, p := range pts {
			vals[i] = p.V
		}
		slices.Sort(vals)
		v := vals[int(math.Ceil(0.95*float64(len(vals))))-1]
		return Format(unit, v), v <= lim.Limit
	case plan.StatMax:
		v := pts[0].V
		for _, p := range pts[1:] {
			v = max(v, p.V)
		}
		return Format(unit, v), v <= lim.Limit
	case plan.StatGrowth:
		warmup := lim.Warmup
		if warmup <= 0 {
			warmup = planned / DefaultWarmupShare
		}
		i := slices.IndexFunc(pts, func(p Point) bool { return p.T >= warmup.Seconds() })
		if i < 0 || len(pts)-i < 2 || pts[i].V <= 0 {
			return NoData, false
		}
		g := (pts[len(pts)-1].V - pts[i].V) / pts[i].V
		return signedPct(g), g <= lim.Limit
	case plan.StatMaxIncrease:
		if len(pts) < 2 {
			return NoData, false
		}
		inc := 0.0
		for i := 1; i < len(pts); i++ {
			d := pts[i].V - pts[i-1].V
			if d < 0 {
				d = pts[i].V
			}
			inc += d
		}
		return formatNumber(inc), inc <= lim.Limit
	}
	return NoData, false
}

// signedPct writes a growth as a signed percentage to one decimal ("+4.2%", "-0.8%", "0%").
func signedPct(g float64) string {
	v := math.Round(g*1000) / 10
	if v == 0 {
		return "0%" // also for -0
	}
	s := strconv.FormatFloat(v, 'f', -1, 64) + "%"
	if v > 0 {
		s = "+" + s
	}
	return s
}
