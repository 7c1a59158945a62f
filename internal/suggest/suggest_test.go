package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	valid := []string{"weight", "request", "usage", "price", "p50", "p90", "p95", "p99"}
	cases := []struct {
		name string
		want []string
	}{
		{"wieght", []string{"weight"}},
		{"USGAE", []string{"usage"}},
		{"p96", []string{"p90", "p95", "p99"}},
		{"timeout", nil},
		{"request", []string{"request"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Closest(tc.name, valid); !slices.Equal(got, tc.want) {
				t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
	if Distance("kitten", "sitting") != 3 || Distance("", "abc") != 3 || Distance("same", "same") != 0 {
		t.Error("distance")
	}
}
