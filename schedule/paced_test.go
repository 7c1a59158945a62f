package schedule

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// loopPaced is how PacedIterations and Starts counted before the closed form: one user at
// a time, in float64 (Active).
func loopPaced(s Shape, period time.Duration) (iterations float64, starts int) {
	ps := period.Seconds()
	for k := 1; k <= s.MaxUsers(); k++ {
		for _, iv := range s.Active(k) {
			starts++
			if ps > 0 {
				iterations += math.Ceil((iv.To-iv.From)/ps - eps)
			}
		}
	}
	return iterations, starts
}

// exactPaced is the same loop in exact arithmetic on the shape's float64 values: user k is
// active where the level is at least k − eps, a span sends ⌈length/period − eps⌉ times.
func exactPaced(s Shape, period time.Duration) (iterations *big.Int, starts int) {
	p := s.points
	iterations = new(big.Int)
	ps := rat(period.Seconds())
	for k := int64(1); k <= threshold(maxLevel(p)); k++ {
		lvl := new(big.Rat).Sub(new(big.Rat).SetInt64(k), rat(eps))
		above := func(i int) bool { return rat(p[i].level).Cmp(lvl) >= 0 }
		cross := func(a, b point) *big.Rat {
			if a.t == b.t {
				return rat(b.t)
			}
			x := new(big.Rat).Sub(lvl, rat(a.level))
			x.Mul(x, new(big.Rat).Sub(rat(b.t), rat(a.t)))
			x.Quo(x, new(big.Rat).Sub(rat(b.level), rat(a.level)))
			return x.Add(x, rat(a.t))
		}
		var from *big.Rat
		if above(0) {
			from = rat(p[0].t)
		}
		span := func(to *big.Rat) {
			l := new(big.Rat).Sub(to, from)
			if l.Sign() <= 0 {
				return
			}
			starts++
			if period > 0 {
				l.Quo(l, ps).Sub(l, rat(eps))
				iterations.Add(iterations, ceilRat(l))
			}
		}
		for i := 1; i < len(p); i++ {
			switch a, b := above(i-1), above(i); {
			case !a && b:
				from = cross(p[i-1], p[i])
			case a && !b:
				span(cross(p[i-1], p[i]))
				from = nil
			}
		}
		if from != nil {
			span(rat(p[len(p)-1].t))
		}
	}
	return iterations, starts
}

func maxLevel(p []point) float64 {
	m := 0.0
	for _, q := range p {
		m = max(m, q.level)
	}
	return m
}

// randomShape draws a small shape. Nice shapes have whole users, round durations and rates
// (where a span is often a whole number of periods); generic ones random nanoseconds.
func randomShape(r *rand.Rand, nice bool) (Shape, string) {
	dur := func() time.Duration {
		if nice {
			return time.Duration(r.IntN(40)) * 250 * time.Millisecond
		}
		return time.Duration(r.Int64N(int64(10 * time.Second)))
	}
	if r.IntN(3) == 0 {
		users, d := r.IntN(30), dur()
		rate := 0.0
		switch r.IntN(3) {
		case 1:
			rate = float64(1+r.IntN(16)) / 4
		case 2:
			if !nice {
				rate = r.Float64() * 8
			}
		}
		return Spawn(users, rate, d), fmt.Sprintf("Spawn(%d, %v, %s)", users, rate, d)
	}
	st := make([]Stage, 1+r.IntN(6))
	for i := range st {
		st[i] = Stage{Duration: dur(), Users: r.IntN(25)}
	}
	return Stages(st), fmt.Sprintf("Stages(%v)", st)
}

// TestPacedProperty compares the closed form with the loops it replaced on small random
// shapes (2,000 here; 100,000 with another seed when it was written): with the exact loop
// always; with the float64 loop on generic shapes, where no span falls within float noise
// of a whole number of periods.
func TestPacedProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const shapes = 2_000
	differ := 0
	for n := range shapes {
		nice := n%2 == 0
		s, desc := randomShape(r, nice)
		period := time.Duration(0)
		switch r.IntN(4) {
		case 1, 2:
			if nice {
				period = time.Duration(1+r.IntN(12)) * 250 * time.Millisecond
			} else {
				period = time.Duration(1 + r.Int64N(int64(3*time.Second)))
			}
		}
		it, st := s.PacedIterations(period)
		if got := s.Starts(); got != st {
			t.Fatalf("%s: Starts %d, PacedIterations' starts %d", desc, got, st)
		}
		exactIt, exactSt := exactPaced(s, period)
		if it != toFloat(exactIt) || st != exactSt {
			t.Fatalf("%s paced %s: closed form %v iterations, %d starts; exact loop %v, %d", desc, period, it, st, exactIt, exactSt)
		}
		loopIt, loopSt := loopPaced(s, period)
		if it != loopIt || st != loopSt {
			// The float loop's answer is rounding noise where a span is a whole number of
			// periods to the last bit: where the eps of the level and the eps of the count
			// cancel (seconds per user into the span less those out of it equal the period).
			// Only there may they differ.
			if !nice || !cancels(s, period) {
				t.Fatalf("%s paced %s: closed form %v iterations, %d starts; float loop %v, %d", desc, period, it, st, loopIt, loopSt)
			}
			differ++
		}
	}
	t.Logf("nice shapes where the float loop's rounding differs: %d of %d", differ, shapes/2)
}

// cancels reports whether a span of s may start on a ramp and end on another (or at a fixed
// time) whose seconds per user differ by the period: its length less the period's multiple
// is then eps − eps.
func cancels(s Shape, period time.Duration) bool {
	slopes := []float64{0} // a span's fixed start or end
	for i := 1; i < len(s.points); i++ {
		if a, b := s.points[i-1], s.points[i]; b.level != a.level && b.t != a.t {
			slopes = append(slopes, (b.t-a.t)/(b.level-a.level))
		}
	}
	for _, up := range slopes {
		for _, down := range slopes {
			if math.Abs(up-down-period.Seconds()) < 1e-9 {
				return true
			}
		}
	}
	return false
}

// TestPacedHuge: 4.6e18 users never finished; the closed form does not loop over users.
func TestPacedHuge(t *testing.T) {
	t.Parallel()
	// 1e8 users at once for 100 s, paced 10 s: each sends 10.
	it, st := Spawn(100_000_000, 0, 100*time.Second).PacedIterations(10 * time.Second)
	if it != 1e9 || st != 100_000_000 {
		t.Errorf("1e8 users: %v iterations, %d starts", it, st)
	}
	// 4.6e18 users started at 1e18 a second for 10 s, paced 1 s: user k starts at k/1e18 s
	// (less eps/1e18) and sends ⌈10 − k/1e18 − eps⌉ times: 10, 9, 8 and 7 times for 1e18
	// users each, less the 1e9 at each boundary whom eps moves down one, and 6 times for
	// the last 6e17: 34e18 − 4e9 + 3.6e18.
	it, st = Spawn(4_600_000_000_000_000_000, 1e18, 10*time.Second).PacedIterations(time.Second)
	if st != 4_600_000_000_000_000_000 || it != 37_599_999_996_000_000_000 {
		t.Errorf("4.6e18 users: %v iterations, %d starts", it, st)
	}
}

// BenchmarkPacedIterations: the largest shape a plan may give, 1,000 stages of up to
// 10,000,000 users, rising and falling; the loop over users took 6 s for 10^8 users at once.
func BenchmarkPacedIterations(b *testing.B) {
	st := make([]Stage, 1000)
	for i := range st {
		st[i] = Stage{Duration: time.Duration(1+i%7) * time.Minute, Users: 10_000_000 - (i*7919)%9_000_000}
	}
	s := Stages(st)
	for b.Loop() {
		s.PacedIterations(20 * time.Second)
	}
}
