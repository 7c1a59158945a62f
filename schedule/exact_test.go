package schedule

import (
	"math/big"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
)

// TestUserSecondsExact: the integral of the shape, exact where the float one is not.
func TestUserSecondsExact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		scenario plan.Scenario
		want     string // a fraction
	}{
		// 10 users at 3/s: a ramp of 10/3 s, then 10 users: 10·30 − 10·(10/3)/2 = 850/3.
		{"ramp of thirds", plan.Scenario{Users: 10, SpawnRate: 3, Duration: 30 * time.Second}, "850/3"},
		// 0.1 users/s for 20 s never reaches 5 users: the level ends at 2, 2·20/2 = 20.
		{"a ramp cut short, 0.1/s", plan.Scenario{Users: 5, SpawnRate: 0.1, Duration: 20 * time.Second}, "20"},
		// All at once: 7 users for 1.5 s.
		{"all at once", plan.Scenario{Users: 7, Duration: 1500 * time.Millisecond}, "21/2"},
		// Up to 3 over 1 s, held 2 s, down to 0 over 1 s, up to 4 over a third of a second,
		// which is 0.333333333 s (durations are whole nanoseconds):
		// 1.5 + 6 + 1.5 + 4·0.333333333/2 = 9.666666666.
		{"stages", plan.Scenario{Stages: []plan.Stage{{Duration: time.Second, Users: 3}, {Duration: 2 * time.Second, Users: 3},
			{Duration: time.Second, Users: 0}, {Duration: time.Second / 3, Users: 4}}}, "9.666666666"},
		// A stage of no length jumps: to 5 at once, held 2 s: 10.
		{"a jump", plan.Scenario{Stages: []plan.Stage{{Duration: 0, Users: 5}, {Duration: 2 * time.Second, Users: 5}}}, "10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, _ := new(big.Rat).SetString(tc.want)
			sh := Of(&tc.scenario)
			if got := sh.UserSecondsExact(); got.Cmp(want) != 0 {
				t.Errorf("user-seconds %s, want %s", got.RatString(), want.RatString())
			}
			if f, _ := want.Float64(); abs(sh.UserSeconds()-f) > 1e-6 {
				t.Errorf("the float integral %v and the exact one %v disagree", sh.UserSeconds(), f)
			}
		})
	}
}

// TestOfIsTheExecutorsShape: Of follows the scenario's stages, or its spawn rate.
func TestOfIsTheExecutorsShape(t *testing.T) {
	t.Parallel()
	st := Of(&plan.Scenario{Stages: []plan.Stage{{Duration: 10 * time.Second, Users: 10}}})
	sp := Of(&plan.Scenario{Users: 10, SpawnRate: 1, Duration: 10 * time.Second})
	for _, at := range []time.Duration{0, 3 * time.Second, 10 * time.Second} {
		if st.UsersAt(at) != sp.UsersAt(at) {
			t.Errorf("at %s: stages %d, spawn %d", at, st.UsersAt(at), sp.UsersAt(at))
		}
	}
	if got := Of(&plan.Scenario{Users: 4, Duration: time.Second}).UsersAt(0); got != 4 {
		t.Errorf("all at once: %d users at 0s", got)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
