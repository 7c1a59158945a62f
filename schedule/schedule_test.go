package schedule

import (
	"math"
	"testing"
	"time"
)

const s = time.Second

func TestUsersAt(t *testing.T) {
	ramp := Spawn(10, 2, time.Minute) // 2 users a second up to 10: full at 5 s
	stages := Stages([]Stage{{time.Minute, 100}, {2 * time.Minute, 100}, {time.Minute, 0}})
	cases := []struct {
		name  string
		shape Shape
		at    time.Duration
		want  int
	}{
		{"ramp start", ramp, 0, 0},
		{"ramp: 2/s, 0.49 s in: none yet", ramp, 490 * time.Millisecond, 0},
		{"ramp: 2/s, 0.5 s in: the first", ramp, 500 * time.Millisecond, 1},
		{"ramp: 2/s, 2.6 s in: 5", ramp, 2600 * time.Millisecond, 5},
		{"ramp: full after 5 s", ramp, 30 * s, 10},
		{"all at once", Spawn(7, 0, time.Minute), 0, 7},
		{"stages: half way up the first minute", stages, 30 * s, 50},
		{"stages: held", stages, 2 * time.Minute, 100},
		{"stages: half way down", stages, 3*time.Minute + 30*s, 50},
		{"stages: the end", stages, 4 * time.Minute, 0},
		{"past the end", stages, 5 * time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.shape.UsersAt(tc.at); got != tc.want {
				t.Errorf("UsersAt(%s) = %d, want %d", tc.at, got, tc.want)
			}
		})
	}
	if ramp.MaxUsers() != 10 || stages.MaxUsers() != 100 || stages.Duration() != 4*time.Minute {
		t.Errorf("max %d %d, duration %s", ramp.MaxUsers(), stages.MaxUsers(), stages.Duration())
	}
}

func TestUserSecondsAndActive(t *testing.T) {
	// min(10, 2t) over 60 s: 10*60 - 10*10/(2*2) = 575.
	if got := Spawn(10, 2, time.Minute).UserSeconds(); math.Abs(got-575) > 1e-9 {
		t.Errorf("ramp user-seconds %v", got)
	}
	// Up over 60 s, held 120 s, down over 60 s, to 10 users: 300 + 1200 + 300.
	st := Stages([]Stage{{time.Minute, 10}, {2 * time.Minute, 10}, {time.Minute, 0}})
	if got := st.UserSeconds(); math.Abs(got-1800) > 1e-9 {
		t.Errorf("stages user-seconds %v", got)
	}
	// User 5 of 10 joins when the level reaches 5 (30 s) and leaves when it falls below 5
	// on the way down (210 s): the last started stop first.
	iv := st.Active(5)
	if len(iv) != 1 || math.Abs(iv[0].From-30) > 1e-6 || math.Abs(iv[0].To-210) > 1e-6 {
		t.Errorf("active %+v", iv)
	}
	// A second ramp up restarts users: two starts for user 1.
	twice := Stages([]Stage{{10 * s, 1}, {10 * s, 0}, {10 * s, 1}, {10 * s, 1}})
	if got := twice.Starts(); got != 2 {
		t.Errorf("starts %d", got)
	}
	// 3 users at 1/s paced 20 s for 41 s: each sends twice.
	if it, starts := Spawn(3, 1, 41*s).PacedIterations(20 * s); it != 6 || starts != 3 {
		t.Errorf("paced %v %d", it, starts)
	}
}

func TestArrivalsPace(t *testing.T) {
	a := Arrivals{Rate: 2, Duration: 5 * s}
	cases := []struct {
		name    string
		elapsed time.Duration
		sent    uint64
		wait    time.Duration
		stop    bool
	}{
		{"2/s, none sent, at 0: the first is due now", 0, 0, 0, false},
		{"2/s, 1 sent, at 0: the second is due at 0.5 s", 0, 1, 500 * time.Millisecond, false},
		{"2/s, 9 sent, 4.4 s elapsed: the 10th is due at 4.5 s", 4400 * time.Millisecond, 9, 100 * time.Millisecond, false},
		{"2/s, 3 sent, 4 s elapsed: behind, send at once", 4 * s, 3, 0, false},
		{"2/s, 10 sent: the 11th would be at 5 s, the end", 4900 * time.Millisecond, 10, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, stop := a.Pace(tc.elapsed, tc.sent)
			if w != tc.wait || stop != tc.stop {
				t.Errorf("Pace = %s, %v; want %s, %v", w, stop, tc.wait, tc.stop)
			}
		})
	}
	if a.Total() != 10 {
		t.Errorf("total %v", a.Total())
	}
}

// TestArrivalsSlow: a rate so slow that the second arrival is past time.Duration's range
// stops after the first. The float64 of its due time, converted, was the most negative
// duration: every arrival due at once.
func TestArrivalsSlow(t *testing.T) {
	a := Arrivals{Rate: 1e-300, Duration: time.Minute}
	if w, stop := a.Pace(time.Second, 0); w != 0 || stop {
		t.Errorf("the first arrival: %s, %v; want now", w, stop)
	}
	if w, stop := a.Pace(time.Second, 1); !stop {
		t.Errorf("the second arrival: wait %s; want the end", w)
	}
	if a.Due(1) != math.MaxInt64 {
		t.Errorf("Due(1) = %d", a.Due(1))
	}
}
