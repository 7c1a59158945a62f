// Package schedule holds the pure arithmetic of load shapes: how many users are active at a
// given moment (closed model), when each arrival is due (open model), and the integrals that
// the planner turns into request counts. Nothing here sleeps or reads a clock: the executor
// asks "how many users now?" and "how long until the next arrival?", and the planner asks the
// same questions in closed form, so that the estimate and the run follow one definition.
package schedule

import (
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/plan"
)

// eps absorbs floating-point noise where a level or a count is compared with a whole number.
const eps = 1e-9

// Shape is a closed-model load shape: the level of users as a piecewise-linear function of
// time, starting at 0 users (or at the full count, for a scenario that starts everyone at
// once). The number of active users at t is the level rounded down; user k (1-based) is
// active while the level is at least k. When the level falls, the most recently started users
// stop first.
type Shape struct {
	points []point // t strictly increasing, except a jump at t=0
	// exact are the same points as exact rationals, for the planner's counts (UserSecondsExact).
	exact []ratPoint
}

type point struct {
	t     float64 // seconds from the start
	level float64
}

type ratPoint struct {
	t, level *big.Rat
}

// Of is the closed-model shape of a scenario: its stages, or its users started at its spawn
// rate and held for its duration. The planner and the executor both take it from here.
func Of(s *plan.Scenario) Shape {
	if len(s.Stages) > 0 {
		st := make([]Stage, len(s.Stages))
		for i, g := range s.Stages {
			st[i] = Stage{Duration: g.Duration, Users: g.Users}
		}
		return Stages(st)
	}
	return Spawn(s.Users, s.SpawnRate, s.Duration)
}

// Stage is one linear ramp: from the previous level to Users over Duration.
type Stage struct {
	Duration time.Duration
	Users    int
}

// Spawn is the shape of Locust's model: users started at spawnRate per second (0: all at
// once) up to users, then held until duration: min(users, spawnRate*t).
func Spawn(users int, spawnRate float64, duration time.Duration) Shape {
	d := duration.Seconds()
	dx, ux, zero := Seconds(duration), big.NewRat(int64(users), 1), new(big.Rat)
	if spawnRate <= 0 || users == 0 {
		return Shape{points: []point{{0, float64(users)}, {d, float64(users)}},
			exact: []ratPoint{{zero, ux}, {dx, ux}}}
	}
	rx := Exact(spawnRate)
	ramp := float64(users) / spawnRate
	rampx := new(big.Rat).Quo(ux, rx)
	if ramp >= d {
		return Shape{points: []point{{0, 0}, {d, spawnRate * d}},
			exact: []ratPoint{{zero, zero}, {dx, new(big.Rat).Mul(rx, dx)}}}
	}
	return Shape{points: []point{{0, 0}, {ramp, float64(users)}, {d, float64(users)}},
		exact: []ratPoint{{zero, zero}, {rampx, ux}, {dx, ux}}}
}

// Stages is the shape of k6's ramping model: linear ramps from 0 through each stage's users.
func Stages(stages []Stage) Shape {
	pts := []point{{0, 0}}
	exact := []ratPoint{{new(big.Rat), new(big.Rat)}}
	t := 0.0
	var total time.Duration
	for _, s := range stages {
		t += s.Duration.Seconds()
		total += s.Duration
		if s.Duration == 0 {
			// A stage of no length jumps: replace the last level.
			pts[len(pts)-1].level = float64(s.Users)
			exact[len(exact)-1].level = big.NewRat(int64(s.Users), 1)
			continue
		}
		pts = append(pts, point{t, float64(s.Users)})
		exact = append(exact, ratPoint{Seconds(total), big.NewRat(int64(s.Users), 1)})
	}
	if len(pts) == 1 {
		pts = append(pts, point{0, pts[0].level})
		exact = append(exact, ratPoint{new(big.Rat), exact[0].level})
	}
	return Shape{points: pts, exact: exact}
}

// Duration is the length of the shape.
func (s Shape) Duration() time.Duration {
	return time.Duration(math.Round(s.points[len(s.points)-1].t * 1e9))
}

// Level is the (fractional) user level at elapsed.
func (s Shape) Level(elapsed time.Duration) float64 {
	t := elapsed.Seconds()
	p := s.points
	if t <= p[0].t {
		return p[0].level
	}
	for i := 1; i < len(p); i++ {
		if t <= p[i].t {
			a, b := p[i-1], p[i]
			if b.t == a.t {
				return b.level
			}
			return a.level + (b.level-a.level)*(t-a.t)/(b.t-a.t)
		}
	}
	return 0 // past the end
}

// UsersAt is the number of users that should be active at elapsed.
func (s Shape) UsersAt(elapsed time.Duration) int {
	return int(math.Floor(s.Level(elapsed) + eps))
}

// MaxUsers is the largest number of users active at once.
func (s Shape) MaxUsers() int {
	m := 0.0
	for _, p := range s.points {
		m = math.Max(m, p.level)
	}
	return int(math.Floor(m + eps))
}

// UserSeconds is the integral of the level over the shape: the user-seconds of activity, for
// a rate per user to turn into a count of requests.
func (s Shape) UserSeconds() float64 {
	sum := 0.0
	for i := 1; i < len(s.points); i++ {
		a, b := s.points[i-1], s.points[i]
		sum += (a.level + b.level) / 2 * (b.t - a.t)
	}
	return sum
}

// UserSecondsExact is UserSeconds as an exact rational: the shape's points taken from the
// durations (whole nanoseconds) and the user counts as they are, and a spawn rate as its
// shortest decimal text, so that the planner's counts, and the money from them, are exact.
func (s Shape) UserSecondsExact() *big.Rat {
	sum := new(big.Rat)
	for i := 1; i < len(s.exact); i++ {
		a, b := s.exact[i-1], s.exact[i]
		area := new(big.Rat).Add(a.level, b.level)
		area.Mul(area, new(big.Rat).Sub(b.t, a.t))
		sum.Add(sum, area.Quo(area, big.NewRat(2, 1)))
	}
	return sum
}

// Seconds is d in seconds, exactly.
func Seconds(d time.Duration) *big.Rat { return big.NewRat(int64(d), int64(time.Second)) }

// Exact is x as the decimal it was written as: its shortest decimal text (0.1 is 1/10, not the
// binary number nearest it). A rate given as 3/s or 0.5 is exact; one given as 1/min was
// already rounded to a float when it was parsed.
func Exact(x float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return new(big.Rat) // NaN or ±Inf: never a parsed plan's value
	}
	return r
}

// Interval is a span of time in seconds from the start, [From, To).
type Interval struct {
	From, To float64
}

// Active returns the spans during which user k (1-based) is active: where the level is at
// least k.
func (s Shape) Active(k int) []Interval {
	lvl := float64(k) - eps
	var out []Interval
	open := false
	var from float64
	p := s.points
	if p[0].level >= lvl {
		open, from = true, p[0].t
	}
	for i := 1; i < len(p); i++ {
		a, b := p[i-1], p[i]
		aboveA, aboveB := a.level >= lvl, b.level >= lvl
		if aboveA == aboveB {
			if b.t == a.t && aboveB && !open {
				open, from = true, b.t
			}
			continue
		}
		cross := b.t
		if b.t > a.t {
			cross = a.t + (lvl-a.level)*(b.t-a.t)/(b.level-a.level)
		}
		if aboveB && !open {
			open, from = true, cross
		} else if !aboveB && open {
			if cross > from {
				out = append(out, Interval{from, cross})
			}
			open = false
		}
	}
	if open {
		end := p[len(p)-1].t
		if end > from {
			out = append(out, Interval{from, end})
		}
	}
	return out
}

// PacedIterations counts the iterations of users paced at one iteration every period: each
// user sends at the start of each active span and every period after, while it is active.
// It also returns the number of user starts (each span is one start, which runs on_start).
// It is exact and does not loop over users (paced.go).
func (s Shape) PacedIterations(period time.Duration) (iterations float64, starts int) {
	it, st := s.paced(period)
	return toFloat(it), saturate(st)
}

// Starts is the number of user starts over the shape.
func (s Shape) Starts() int {
	_, st := s.paced(0)
	return saturate(st)
}

// Arrivals paces an open model: Rate arrivals per second for Duration, the first at 0.
type Arrivals struct {
	Rate     float64 // arrivals per second
	Duration time.Duration
}

// Pace says how long to wait before arrival number sent+1 (0-based: the arrival after the
// first sent ones), given the time elapsed since the start. stop is true when that arrival
// would fall at or after the end. It never sleeps.
func (a Arrivals) Pace(elapsed time.Duration, sent uint64) (wait time.Duration, stop bool) {
	if a.Rate <= 0 {
		return 0, true
	}
	due := a.Due(sent)
	if due >= a.Duration {
		return 0, true
	}
	if due <= elapsed {
		return 0, false
	}
	return due - elapsed, false
}

// Due is when arrival number n (0-based) is due; past time.Duration's range (a rate of
// 1e-300/s), the longest duration. A float64 past that range does not convert: on amd64 it
// becomes the most negative duration, an arrival due at once.
func (a Arrivals) Due(n uint64) time.Duration {
	ns := float64(n) / a.Rate * 1e9
	if ns >= math.MaxInt64 || ns != ns {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// Total is the number of arrivals over the whole duration.
func (a Arrivals) Total() float64 {
	return math.Ceil(a.Rate*a.Duration.Seconds() - eps)
}
