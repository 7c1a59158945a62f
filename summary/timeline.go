package summary

// partialInterval is the share of a full (one-second) interval under which the last
// timeline point is partial: its rate is the few requests of a fraction of a second
// divided by that fraction, a spike that never happened.
const partialInterval = 0.9

// RateTimeline is the timeline for rate charts: without its last point when that point
// closes a partial interval (the run ended a fraction of a second after the previous
// point). The summary keeps the point (its spent is the run's); charts of requests/s and
// failures/s draw RateTimeline.
func RateTimeline(tl []TimelinePoint) []TimelinePoint {
	n := len(tl)
	if n == 0 {
		return tl
	}
	prev := 0.0
	if n >= 2 {
		prev = tl[n-2].T
	}
	if tl[n-1].T-prev < partialInterval {
		return tl[:n-1]
	}
	return tl
}
