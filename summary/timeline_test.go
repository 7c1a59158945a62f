package summary

import "testing"

func TestRateTimeline(t *testing.T) {
	t.Parallel()
	full := []TimelinePoint{{T: 1, RPS: 4}, {T: 2, RPS: 4}, {T: 3.001, RPS: 5}}
	// A smoke run averaging 4/s ended 59 ms after its last full second: 1 request in 59 ms
	// is 17/s, a spike that never happened; it is not drawn.
	spike := append(append([]TimelinePoint(nil), full...), TimelinePoint{T: 3.06, RPS: 17.63})
	for _, tc := range []struct {
		name string
		in   []TimelinePoint
		want int
	}{
		{"full intervals", full, 3},
		{"partial last", spike, 3},
		{"one partial point", []TimelinePoint{{T: 0.3, RPS: 10}}, 0},
		{"empty", nil, 0},
	} {
		got := RateTimeline(tc.in)
		if len(got) != tc.want {
			t.Errorf("%s: %d points, want %d", tc.name, len(got), tc.want)
		}
		for _, p := range got {
			if p.RPS > 5 {
				t.Errorf("%s: drew the partial interval's %v/s", tc.name, p.RPS)
			}
		}
	}
}
