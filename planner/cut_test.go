package planner

import (
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
)

func TestCutAt(t *testing.T) {
	t.Parallel()
	ramp := &plan.Scenario{Name: "ramp", Stages: []plan.Stage{
		{Duration: 2 * time.Minute, Users: 100}, {Duration: 5 * time.Minute, Users: 100}, {Duration: time.Minute, Users: 0}}}
	cases := []struct {
		name     string
		s        *plan.Scenario
		elapsed  time.Duration
		duration time.Duration
		stages   []plan.Stage
	}{
		{"a duration is shortened", &plan.Scenario{Users: 50, SpawnRate: 10, Duration: 10 * time.Minute}, 29600 * time.Millisecond, 29600 * time.Millisecond, nil},
		{"past the end: unchanged", &plan.Scenario{Users: 5, Duration: time.Minute}, 2 * time.Minute, time.Minute, nil},
		{"negative: nothing ran", &plan.Scenario{Users: 5, Duration: time.Minute}, -time.Second, 0, nil},
		// 30 s into a 2 min ramp 0→100: a quarter of the way, 25 users.
		{"mid ramp", ramp, 30 * time.Second, 0, []plan.Stage{{Duration: 30 * time.Second, Users: 25}}},
		// 2 min + 1 min: the ramp whole, then a minute at 100.
		{"mid plateau", ramp, 3 * time.Minute, 0, []plan.Stage{{Duration: 2 * time.Minute, Users: 100}, {Duration: time.Minute, Users: 100}}},
		// 7 min + 15 s of the 1 min ramp 100→0: 75 users.
		{"mid ramp down", ramp, 7*time.Minute + 15*time.Second, 0, []plan.Stage{{Duration: 2 * time.Minute, Users: 100}, {Duration: 5 * time.Minute, Users: 100}, {Duration: 15 * time.Second, Users: 75}}},
		{"at a stage's end", ramp, 2 * time.Minute, 0, []plan.Stage{{Duration: 2 * time.Minute, Users: 100}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := CutAt(c.s, c.elapsed)
			if got == c.s {
				t.Fatal("CutAt returned its argument, not a copy")
			}
			if got.Duration != c.duration || len(got.Stages) != len(c.stages) {
				t.Fatalf("duration %v stages %v, want %v %v", got.Duration, got.Stages, c.duration, c.stages)
			}
			for i := range c.stages {
				if got.Stages[i] != c.stages[i] {
					t.Errorf("stage %d: %+v, want %+v", i, got.Stages[i], c.stages[i])
				}
			}
		})
	}
	if len(ramp.Stages) != 3 || ramp.Stages[0].Users != 100 {
		t.Errorf("CutAt changed its argument: %+v", ramp.Stages)
	}
}

// TestCutAtEstimate: the estimate of the first 30 s of a paced 10-minute scenario is that
// of a 30 s one: 10 users paced at 20 s send at 0 and 20 s, 20 requests at $0.01.
func TestCutAtEstimate(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Tasks: []*plan.Task{flatTask("ping", 1, "0.01")}}
	s := &plan.Scenario{Name: "s", Users: 10, Duration: 10 * time.Minute, Wait: plan.Wait{Kind: plan.WaitPacing, Min: 20 * time.Second, Set: true}}
	e := estimate(t, p, CutAt(s, 30*time.Second))
	if !near(e.Requests.Expected.Float64(), 20) || !e.Cost.Expected.Equal(dec("0.2")) {
		t.Errorf("requests %v cost %s, want 20 and 0.2", e.Requests.Expected.Float64(), e.Cost.Expected)
	}
}
