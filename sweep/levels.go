package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/plan"
)

// DefaultSteps is the number of steps of a ladder given neither a count nor a step size.
const DefaultSteps = 8

// MaxSteps bounds a ladder: a sweep is a handful of steps, not a thousand.
const MaxSteps = 200

// ParseRates parses an arrival rate range such as "2/s..40/s" (the units may differ:
// "30/min..5/s"; a bare upper bound takes the lower's unit: "2/s..40").
func ParseRates(s string) (lo, hi plan.Rate, err error) {
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return lo, hi, fmt.Errorf("--rates %q: give a range LOW..HIGH, such as 2/s..40/s", s)
	}
	if lo, err = plan.ParseRate(a); err != nil {
		return lo, hi, fmt.Errorf("--rates %q: low end: %w", s, err)
	}
	b = strings.TrimSpace(b)
	if _, perr := strconv.ParseFloat(b, 64); perr == nil {
		if _, unit, ok := strings.Cut(lo.Text, "/"); ok {
			b += "/" + unit
		}
	}
	if hi, err = plan.ParseRate(b); err != nil {
		return lo, hi, fmt.Errorf("--rates %q: high end: %w", s, err)
	}
	if !(lo.PerSecond > 0) || hi.PerSecond < lo.PerSecond {
		return lo, hi, fmt.Errorf("--rates %q: give 0 < LOW <= HIGH", s)
	}
	return lo, hi, nil
}

// ParseUsers parses a range of users such as "10..200".
func ParseUsers(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "..")
	if ok {
		lo, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			hi, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || lo < 1 || hi < lo {
		return 0, 0, fmt.Errorf("--users %q: give a range LOW..HIGH of users, 1 <= LOW <= HIGH, such as 10..200", s)
	}
	return lo, hi, nil
}

// Ladder is the levels of a sweep from lo to hi: steps levels evenly spaced, both ends
// included (steps 1: lo alone); or, with step > 0, lo, lo+step, ... up to hi (hi itself when
// the steps land on it). Neither: DefaultSteps. With integer true (users) the levels are
// rounded and repeated ones dropped.
func Ladder(lo, hi float64, steps int, step float64, integer bool) ([]float64, error) {
	var out []float64
	switch {
	case steps > 0 && step > 0:
		return nil, fmt.Errorf("give --steps or --step, not both")
	case steps < 0 || step < 0:
		return nil, fmt.Errorf("--steps and --step must be more than 0")
	case step > 0:
		n := int(math.Floor((hi-lo)/step+1e-9)) + 1
		if n > MaxSteps {
			return nil, fmt.Errorf("--step %g from %g to %g is %d steps, more than %d", step, lo, hi, n, MaxSteps)
		}
		for i := range n {
			out = append(out, lo+float64(i)*step)
		}
	default:
		if steps == 0 {
			steps = DefaultSteps
		}
		if steps > MaxSteps {
			return nil, fmt.Errorf("--steps %d: at most %d", steps, MaxSteps)
		}
		if steps == 1 || hi == lo {
			out = []float64{lo}
			break
		}
		for i := range steps {
			out = append(out, lo+(hi-lo)*float64(i)/float64(steps-1))
		}
	}
	if integer {
		var ints []float64
		for _, v := range out {
			r := math.Round(v)
			if len(ints) == 0 || ints[len(ints)-1] != r {
				ints = append(ints, r)
			}
		}
		out = ints
	}
	for i, v := range out {
		out[i] = roundLevel(v)
	}
	return out, nil
}

// roundLevel keeps 6 significant decimals: 0.1+0.2 is 0.3, as the user wrote it.
func roundLevel(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// LevelText is a level as the tables write it: "12.5/s", or "50 users" for the closed model.
func LevelText(v float64, closed bool) string {
	if closed {
		return fmt.Sprintf("%d users", int(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "/s"
}
