package schedule

import (
	"math"
	"math/big"
	"slices"
	"time"
)

// PacedIterations and Starts in closed form.
//
// User k (1-based) is active where the level is at least k − eps (Active), and a paced user
// sends ⌈length/period − eps⌉ times in a span of activity. Looping over users, as these
// counts once did, takes seconds for 10^8 users and never ends for 4.6×10^18. Instead:
//
// Let K_i be the largest k that point i of the shape is above (⌊level_i + eps⌋). For k
// between two successive values of K, which points are above k does not change with k, and
// each maximal run of such points, i..j, is one span for each of those users: from where the
// level crosses k − eps on the way into the run (or the shape's start, or a jump) to where it
// crosses on the way out (or the end). Both crossings are linear in k, so the length is too,
// and the users' iterations are a sum of ceilings of a linear function of k: a floor sum,
// computed exactly with math/big in O(log) steps (floorSum). A run that persists from one
// range of k to the next has the same crossings and is summed once over both: each point's
// K ends or splits at most one run, so a shape of n points has O(n) runs to sum (and O(n²)
// comparisons of small integers to find them).
//
// The arithmetic is exact on the shape's float64 values, eps included, where the loop was
// approximate: the two agree except where a length is within float64 noise (about 10^-12 s)
// of a whole number of periods plus eps, and there the loop's answer was noise.

// linear is c0 + c1·k.
type linear struct{ c0, c1 *big.Rat }

func rat(x float64) *big.Rat { return new(big.Rat).SetFloat64(x) }

// constant is a crossing that does not depend on k.
func constant(t float64) linear { return linear{rat(t), new(big.Rat)} }

// crossing is where segment a→b crosses level k − eps: a.t + (k − eps − a.level)·(b.t − a.t)/(b.level − a.level),
// or b.t for a jump.
func crossing(a, b point) linear {
	if b.t == a.t {
		return constant(b.t)
	}
	slope := new(big.Rat).Sub(rat(b.t), rat(a.t))
	slope.Quo(slope, new(big.Rat).Sub(rat(b.level), rat(a.level)))
	c0 := new(big.Rat).Add(rat(eps), rat(a.level))
	c0.Mul(c0, slope)
	c0.Sub(rat(a.t), c0)
	return linear{c0, slope}
}

// threshold is ⌊level + eps⌋, exactly, saturated to stay an int64 count.
func threshold(level float64) int64 {
	if level+eps >= 1<<62 {
		return 1 << 62
	}
	x := new(big.Rat).Add(rat(level), rat(eps))
	return floorRat(x).Int64()
}

func floorRat(x *big.Rat) *big.Int {
	q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if r.Sign() < 0 {
		q.Sub(q, big.NewInt(1))
	}
	return q
}

func ceilRat(x *big.Rat) *big.Int {
	q := floorRat(x)
	if new(big.Rat).SetInt(q).Cmp(x) != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

type run struct{ first, last int } // the points of a run, inclusive

// paced counts the starts of users over the shape and, when period > 0, their iterations
// paced at period.
func (s Shape) paced(period time.Duration) (iterations, starts *big.Int) {
	p := s.points
	iterations, starts = new(big.Int), new(big.Int)
	ks := make([]int64, len(p))
	for i, pt := range p {
		ks[i] = threshold(pt.level)
	}
	levels := slices.Compact(slices.Sorted(slices.Values(ks)))
	var ps *big.Rat
	if period > 0 {
		ps = rat(period.Seconds())
	}
	open := map[run]int64{} // runs of the last range of k, and the first k of each
	var below int64         // the k of the ranges done so far are at most this
	add := func(r run, lo, hi int64) {
		sumRun(p, r, lo, hi, ps, iterations, starts)
	}
	for _, top := range levels {
		if top <= below {
			continue // a level of no user (0 or less)
		}
		// For k in (below, top], the points above k are those with ks[i] >= top.
		now := map[run]bool{}
		for i := 0; i < len(p); i++ {
			if ks[i] < top {
				continue
			}
			j := i
			for j+1 < len(p) && ks[j+1] >= top {
				j++
			}
			now[run{i, j}] = true
			if _, ok := open[run{i, j}]; !ok {
				open[run{i, j}] = below + 1
			}
			i = j
		}
		for r, lo := range open {
			if !now[r] {
				add(r, lo, below)
				delete(open, r)
			}
		}
		below = top
	}
	for r, lo := range open {
		add(r, lo, below)
	}
	return iterations, starts
}

// sumRun adds the starts and iterations of run r for users lo..hi.
func sumRun(p []point, r run, lo, hi int64, ps *big.Rat, iterations, starts *big.Int) {
	from, to := constant(p[0].t), constant(p[len(p)-1].t)
	if r.first > 0 {
		from = crossing(p[r.first-1], p[r.first])
	}
	if r.last < len(p)-1 {
		to = crossing(p[r.last], p[r.last+1])
	}
	// The length of user k's span: l0 + l1·k. Only a span longer than 0 is a start.
	l0 := new(big.Rat).Sub(to.c0, from.c0)
	l1 := new(big.Rat).Sub(to.c1, from.c1)
	kLo, kHi := big.NewInt(lo), big.NewInt(hi)
	switch l1.Sign() {
	case 0:
		if l0.Sign() <= 0 {
			return
		}
	case 1: // longer as k grows: k > −l0/l1
		root := new(big.Rat).Quo(new(big.Rat).Neg(l0), l1)
		if m := floorRat(root); m.Add(m, big.NewInt(1)).Cmp(kLo) > 0 {
			kLo = m
		}
	default: // shorter as k grows: k < −l0/l1
		root := new(big.Rat).Quo(new(big.Rat).Neg(l0), l1)
		if m := ceilRat(root); m.Sub(m, big.NewInt(1)).Cmp(kHi) < 0 {
			kHi = m
		}
	}
	n := new(big.Int).Sub(kHi, kLo)
	if n.Add(n, big.NewInt(1)).Sign() <= 0 {
		return
	}
	starts.Add(starts, n)
	if ps == nil {
		return
	}
	// Σ over k = kLo … kHi of ⌈(l0 + l1·k)/ps − eps⌉ = Σ over i = 0 … n−1 of ⌈a + b·i⌉.
	b := new(big.Rat).Quo(l1, ps)
	a := new(big.Rat).Mul(l1, new(big.Rat).SetInt(kLo))
	a.Add(a, l0).Quo(a, ps).Sub(a, rat(eps))
	iterations.Add(iterations, ceilSum(n, a, b))
}

// ceilSum is Σ_{i=0}^{n−1} ⌈a + b·i⌉, exactly: −Σ⌊−a − b·i⌋.
func ceilSum(n *big.Int, a, b *big.Rat) *big.Int {
	na, nb := new(big.Rat).Neg(a), new(big.Rat).Neg(b)
	m := new(big.Int).Mul(na.Denom(), nb.Denom())
	intercept := new(big.Int).Mul(na.Num(), nb.Denom())
	slope := new(big.Int).Mul(nb.Num(), na.Denom())
	return new(big.Int).Neg(floorSum(n, m, slope, intercept))
}

// floorSum is Σ_{i=0}^{n−1} ⌊(a·i + b)/m⌋ for m > 0 and any a, b: the Euclid-like
// reduction of the AtCoder Library's floor_sum, on big integers.
func floorSum(n, m, a, b *big.Int) *big.Int {
	n, m, a, b = new(big.Int).Set(n), new(big.Int).Set(m), new(big.Int).Set(a), new(big.Int).Set(b)
	ans := new(big.Int)
	tri := func(n *big.Int) *big.Int { // n(n−1)/2
		t := new(big.Int).Sub(n, big.NewInt(1))
		t.Mul(t, n)
		return t.Rsh(t, 1)
	}
	t := new(big.Int)
	if a.Sign() < 0 { // a = a' − q·m with 0 ≤ a' < m: subtract q·i
		a2 := new(big.Int).Mod(a, m)
		q := t.Sub(a2, a)
		q.Quo(q, m)
		ans.Sub(ans, q.Mul(q, tri(n)))
		a = a2
	}
	if b.Sign() < 0 {
		b2 := new(big.Int).Mod(b, m)
		q := t.Sub(b2, b)
		q.Quo(q, m)
		ans.Sub(ans, q.Mul(q, n))
		b = b2
	}
	for {
		if a.Cmp(m) >= 0 {
			q, r := new(big.Int).QuoRem(a, m, new(big.Int))
			ans.Add(ans, q.Mul(q, tri(n)))
			a = r
		}
		if b.Cmp(m) >= 0 {
			q, r := new(big.Int).QuoRem(b, m, new(big.Int))
			ans.Add(ans, q.Mul(q, n))
			b = r
		}
		yMax := new(big.Int).Mul(a, n)
		yMax.Add(yMax, b)
		if yMax.Cmp(m) < 0 {
			return ans
		}
		n, b = new(big.Int).QuoRem(yMax, m, new(big.Int))
		m, a = a, m
	}
}

// saturate converts a count to an int, at most math.MaxInt.
func saturate(x *big.Int) int {
	if !x.IsInt64() || x.Int64() > math.MaxInt {
		return math.MaxInt
	}
	return int(x.Int64())
}

// toFloat converts a count to the nearest float64.
func toFloat(x *big.Int) float64 {
	f, _ := new(big.Float).SetInt(x).Float64()
	return f
}
