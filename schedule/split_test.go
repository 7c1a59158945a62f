package schedule

import (
	"math"
	"testing"
)

func TestShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n, k int
		want []int
	}{
		{"even", 9, 3, []int{3, 3, 3}},
		{"remainder to the first", 10, 3, []int{4, 3, 3}}, // 10 = 3×3 + 1
		{"two left over", 11, 4, []int{3, 3, 3, 2}},       // 11 = 4×2 + 3
		{"fewer than workers", 2, 4, []int{1, 1, 0, 0}},   // 2 = 4×0 + 2
		{"nothing", 0, 3, []int{0, 0, 0}},
		{"one worker takes all", 7, 1, []int{7}},
		{"many", 1000, 7, []int{143, 143, 143, 143, 143, 143, 142}}, // 1000 = 7×142 + 6
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sum := 0
			for i := range tc.k {
				got := Share(tc.n, tc.k, i)
				if got != tc.want[i] {
					t.Errorf("Share(%d, %d, %d) = %d, want %d", tc.n, tc.k, i, got, tc.want[i])
				}
				sum += got
			}
			if sum != tc.n {
				t.Errorf("parts add up to %d, want %d", sum, tc.n)
			}
		})
	}
	for _, bad := range [][3]int{{5, 0, 0}, {5, 2, 2}, {5, 2, -1}, {-1, 2, 0}} {
		if got := Share(bad[0], bad[1], bad[2]); got != 0 {
			t.Errorf("Share(%v) = %d, want 0", bad, got)
		}
	}
}

func TestShareRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		rate        float64
		part, total int
		want        float64
	}{
		{"a third of the users", 10, 4, 12, 10.0 / 3}, // 10/s × 4/12
		{"all", 5, 3, 3, 5},
		{"no part", 5, 0, 3, 0},
		{"no total", 5, 1, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ShareRate(tc.rate, tc.part, tc.total); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("ShareRate(%g, %d, %d) = %g, want %g", tc.rate, tc.part, tc.total, got, tc.want)
			}
		})
	}
	// The parts of 10 users at 7/s over 3 workers (4, 3, 3) add up to 7/s.
	sum := 0.0
	for i := range 3 {
		sum += ShareRate(7, Share(10, 3, i), 10)
	}
	if math.Abs(sum-7) > 1e-9 {
		t.Errorf("the rates add up to %g, want 7", sum)
	}
}
