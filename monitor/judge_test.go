package monitor

import (
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
)

func pts(tv ...float64) []Point {
	var out []Point
	for i := 0; i+1 < len(tv); i += 2 {
		out = append(out, Point{T: tv[i], V: tv[i+1]})
	}
	return out
}

func TestJudge(t *testing.T) {
	t.Parallel()
	cpu := func(stat plan.MonitorStat, limit float64) plan.Threshold {
		return plan.Threshold{Kind: plan.ThTargetCPU, Monitor: &plan.MonitorLimit{Series: "cpu", Stat: stat, Limit: limit}}
	}
	growth := func(limit float64, warmup time.Duration) plan.Threshold {
		return plan.Threshold{Kind: plan.ThTargetMemoryGrowth, Monitor: &plan.MonitorLimit{Series: "memory", Stat: plan.StatGrowth, Limit: limit, Warmup: warmup}}
	}
	metric := func(stat plan.MonitorStat, limit float64) plan.Threshold {
		return plan.Threshold{Kind: plan.ThTargetMetric, Monitor: &plan.MonitorLimit{Series: "x", Stat: stat, Limit: limit}}
	}
	// twenty CPU points: 0.1, 0.2, ..., 2.0 cores.
	var twenty []Point
	for i := 1; i <= 20; i++ {
		twenty = append(twenty, Point{T: float64(i * 5), V: float64(i) / 10})
	}
	cases := []struct {
		name    string
		th      plan.Threshold
		s       *Series
		planned time.Duration
		actual  string
		pass    bool
	}{
		// p95, nearest rank: the ceil(0.95 × 20) = 19th smallest, 1.9 cores.
		{"cpu p95 over", cpu(plan.StatP95, 1.8), &Series{Unit: UnitCores, Points: twenty}, 0, "190%", false},
		{"cpu p95 at the limit", cpu(plan.StatP95, 1.9), &Series{Unit: UnitCores, Points: twenty}, 0, "190%", true},
		{"cpu max", cpu(plan.StatMax, 1.9), &Series{Unit: UnitCores, Points: twenty}, 0, "200%", false},
		// One point: its own p95. A series of unknown unit is read in cores for target_cpu.
		{"cpu one point", cpu(plan.StatP95, 0.8), &Series{Points: pts(5, 0.125)}, 0, "12.5%", true},
		{"cpu no points", cpu(plan.StatP95, 0.8), &Series{}, 0, NoData, false},
		{"cpu not monitored", cpu(plan.StatP95, 0.8), nil, 0, NoData, false},
		// Growth after the warm-up of a tenth of 100s: the first point at or after 10s is
		// 110, the last 121: +10%.
		{"growth at the limit", growth(0.1, 0), &Series{Points: pts(0, 50, 5, 100, 10, 110, 50, 130, 100, 121)}, 100 * time.Second, "+10%", true},
		{"growth over", growth(0.05, 0), &Series{Points: pts(0, 50, 10, 110, 100, 121)}, 100 * time.Second, "+10%", false},
		{"growth negative passes", growth(0, 0), &Series{Points: pts(10, 200, 100, 150)}, 100 * time.Second, "-25%", true},
		// warmup: 60s given: the baseline is the point at 60s.
		{"growth warmup given", growth(0.1, time.Minute), &Series{Points: pts(10, 100, 60, 200, 100, 210)}, 100 * time.Second, "+5%", true},
		{"growth one point after warm-up", growth(0.1, 0), &Series{Points: pts(0, 100, 5, 100, 100, 150)}, 100 * time.Second, NoData, false},
		{"growth from zero", growth(0.1, 0), &Series{Points: pts(10, 0, 20, 10)}, 10 * time.Second, NoData, false},
		// Increase: 0 → 2 → 2 → 1 (a reset: +1) → 4: 2 + 0 + 1 + 3 = 6.
		{"increase with a reset", metric(plan.StatMaxIncrease, 5), &Series{Points: pts(0, 0, 5, 2, 10, 2, 15, 1, 20, 4)}, 0, "6", false},
		{"no increase", metric(plan.StatMaxIncrease, 0), &Series{Points: pts(0, 3, 5, 3, 10, 3)}, 0, "0", true},
		{"increase needs two points", metric(plan.StatMaxIncrease, 0), &Series{Points: pts(0, 3)}, 0, NoData, false},
		{"metric max", metric(plan.StatMax, 100), &Series{Points: pts(0, 3, 5, 120.5, 10, 7)}, 0, "120.5", false},
		{"metric max in bytes", metric(plan.StatMax, 1<<30), &Series{Unit: UnitBytes, Points: pts(0, 47_400_000)}, 0, "45.2 MiB", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			actual, pass := Judge(c.th, c.s, c.planned)
			if actual != c.actual || pass != c.pass {
				t.Errorf("Judge = %q %v, want %q %v", actual, pass, c.actual, c.pass)
			}
		})
	}
}
