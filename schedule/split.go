package schedule

// Share is worker i's part (0-based) of n things split over k workers: n/k each, and one
// more for each of the first n%k workers, so that the parts add up to n exactly and differ by
// at most one. hey's -n/-c drops n%k requests; this never drops one. k <= 0 or i outside
// [0, k) has no part.
func Share(n, k, i int) int {
	if k <= 0 || i < 0 || i >= k || n <= 0 {
		return 0
	}
	s := n / k
	if i < n%k {
		s++
	}
	return s
}

// ShareRate is the part of rate (per second) that goes with part of total things: rate ×
// part / total. A worker's spawn rate follows its share of users, so that every worker ends
// its ramp when the whole run would have; a worker's arrival rate follows its share of the
// requests in flight it may hold. The parts add up to rate (up to float rounding), since the
// shares add up to total. total <= 0 gives 0.
func ShareRate(rate float64, part, total int) float64 {
	if total <= 0 || part <= 0 {
		return 0
	}
	return rate * float64(part) / float64(total)
}
