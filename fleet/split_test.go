package fleet

import (
	"math"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
)

func TestSplitClosed(t *testing.T) {
	t.Parallel()
	sc := &plan.Scenario{Name: "peak", Users: 10, SpawnRate: 5, Duration: time.Minute,
		Stages: []plan.Stage{{Duration: time.Minute, Users: 7}, {Duration: time.Minute, Users: 2}}}
	// 10 users over 3 workers: 4, 3, 3; spawn rate 5/s × 4/10 = 2/s, × 3/10 = 1.5/s.
	want := []struct {
		users  int
		rate   float64
		stages []int
	}{{4, 2, []int{3, 1}}, {3, 1.5, []int{2, 1}}, {3, 1.5, []int{2, 0}}}
	users, rate := 0, 0.0
	for pos, w := range want {
		got := Split(sc, pos, 3)
		if got.Users != w.users || math.Abs(got.SpawnRate-w.rate) > 1e-12 {
			t.Errorf("worker %d: %d users at %g/s, want %d at %g/s", pos, got.Users, got.SpawnRate, w.users, w.rate)
		}
		for i, s := range got.Stages {
			if s.Users != w.stages[i] {
				t.Errorf("worker %d stage %d: %d users, want %d", pos, i, s.Users, w.stages[i])
			}
		}
		if got.Duration != sc.Duration {
			t.Errorf("worker %d: duration %s, want the run's", pos, got.Duration)
		}
		users += got.Users
		rate += got.SpawnRate
	}
	if users != 10 || math.Abs(rate-5) > 1e-9 {
		t.Errorf("the parts add up to %d users at %g/s, want 10 at 5/s", users, rate)
	}
	if sc.Stages[0].Users != 7 {
		t.Error("Split changed the run's scenario")
	}
}

func TestSplitOpen(t *testing.T) {
	t.Parallel()
	sc := &plan.Scenario{Name: "steady", ArrivalRate: plan.Rate{PerSecond: 30, Text: "30/s"}, MaxInFlight: 5, Duration: time.Minute}
	// 5 in flight over 4 workers: 2, 1, 1, 1; 30/s × 2/5 = 12/s, × 1/5 = 6/s.
	want := []struct {
		inFlight int
		rate     float64
	}{{2, 12}, {1, 6}, {1, 6}, {1, 6}}
	total := 0.0
	for pos, w := range want {
		got := Split(sc, pos, 4)
		if got.MaxInFlight != w.inFlight || math.Abs(got.ArrivalRate.PerSecond-w.rate) > 1e-12 || !got.Open() {
			t.Errorf("worker %d: %d in flight at %g/s, want %d at %g/s", pos, got.MaxInFlight, got.ArrivalRate.PerSecond, w.inFlight, w.rate)
		}
		total += got.ArrivalRate.PerSecond
	}
	if math.Abs(total-30) > 1e-9 {
		t.Errorf("the rates add up to %g/s, want 30/s", total)
	}
	// 5 in flight over 6 workers: the sixth has nothing to send.
	idle := Split(sc, 5, 6)
	if idle.Open() || idle.Users != 0 || idle.TotalDuration() != time.Minute {
		t.Errorf("an idle worker: open %v, %d users, %s; want a closed model of no user for the run's duration", idle.Open(), idle.Users, idle.TotalDuration())
	}
}

func TestWorkerSeed(t *testing.T) {
	t.Parallel()
	seen := map[uint64]bool{}
	for i := range 100 {
		s := WorkerSeed(42, i)
		if seen[s] {
			t.Fatalf("worker %d repeats a seed", i)
		}
		seen[s] = true
		if WorkerSeed(42, i) != s {
			t.Fatal("WorkerSeed is not a function")
		}
	}
	if WorkerSeed(42, 1) == WorkerSeed(43, 0) {
		t.Error("seed 42 worker 1 draws as seed 43 worker 0")
	}
}
