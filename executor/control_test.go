package executor

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
)

func TestRampUsers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		from, to int
		rate     float64
		since    time.Duration
		want     int
	}{
		{"no rate: at once", 2, 10, 0, 0, 10},
		{"up 4/s, 1.5 s in: 2 + 6", 2, 20, 4, 1500 * time.Millisecond, 8},
		{"up 4/s, stops at the target", 2, 10, 4, 10 * time.Second, 10},
		{"down 2/s, 1 s in: 10 - 2", 10, 3, 2, time.Second, 8},
		{"down 2/s, stops at the target", 10, 3, 2, time.Minute, 3},
		{"to zero at once", 5, 0, 0, 0, 0},
		{"no change", 4, 4, 1, 0, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rampUsers(c.from, c.to, c.rate, c.since); got != c.want {
				t.Errorf("rampUsers(%d, %d, %v, %s) = %d, want %d", c.from, c.to, c.rate, c.since, got, c.want)
			}
		})
	}
}

// TestControlSetUsers runs a closed model of 1 user, grows it to 4 and shrinks it to 2 while
// it runs, and finds both changes in the progress, the users the target saw and the
// summary's events.
func TestControlSetUsers(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 10_000)
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("X-Loadplan-User"):
		default:
		}
		w.Write([]byte(`{"id": "ok"}`))
	})).URL
	p := parsePlan(t, strings.Replace(checkPlan, "s: {users: 1, duration: 1s}", "s: {users: 1, duration: 1m, wait: {constant: 20ms}}", 1), url, nil)
	cfg := config(t, p, "s", url, nil)
	ctrl := NewControl()
	if err := ctrl.SetUsers(3, "test"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("before the run: %v, want ErrNotRunning", err)
	}
	cfg.Control = ctrl
	users := make(chan int, 100)
	cfg.OnProgress = func(pr summary.Progress) { users <- pr.Users }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *summary.Run, 1)
	go func() {
		s, err := Run(ctx, cfg)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	// waitUsers reads progress reports until one says n users, for at most 10 of them.
	waitUsers := func(n int) {
		t.Helper()
		for range 10 {
			if <-users == n {
				return
			}
		}
		t.Fatalf("10 progress reports and never %d users", n)
	}
	waitUsers(1)
	if err := ctrl.SetUsers(-1, "test"); err == nil {
		t.Error("-1 users accepted")
	}
	if err := ctrl.SetUsers(4, "the test"); err != nil {
		t.Fatal(err)
	}
	waitUsers(4)
	if err := ctrl.SetUsers(2, "the test"); err != nil {
		t.Fatal(err)
	}
	waitUsers(2)
	ctrl.Note(summary.EventStop, "stop asked for by the test")
	cancel()
	s := <-done
	if s.StopReason != summary.StopInterrupted {
		t.Errorf("stop reason %s", s.StopReason)
	}
	ids := map[string]bool{}
	for len(seen) > 0 {
		ids[<-seen] = true
	}
	for _, id := range []string{"1", "2", "3", "4"} {
		if !ids[id] {
			t.Errorf("the target never saw user %s: %v", id, ids)
		}
	}
	if len(s.Events) != 3 || s.Events[0].Kind != summary.EventUsers || *s.Events[0].Users != 4 ||
		*s.Events[1].Users != 2 || s.Events[2].Kind != summary.EventStop || s.Events[0].T <= 0 || s.Events[1].T < s.Events[0].T {
		t.Errorf("events: %+v", s.Events)
	}
	if !strings.Contains(s.Events[0].Detail, "4 by the test") {
		t.Errorf("event detail %q", s.Events[0].Detail)
	}
	if err := ctrl.SetUsers(3, "test"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after the run: %v, want ErrNotRunning", err)
	}
}

func TestControlOpenModel(t *testing.T) {
	t.Parallel()
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id": "ok"}`)) })).URL
	p := parsePlan(t, strings.Replace(checkPlan, "s: {users: 1, duration: 1s}", "s: {arrival_rate: 20/s, duration: 1m, max_in_flight: 4}", 1), url, nil)
	cfg := config(t, p, "s", url, nil)
	ctrl := NewControl()
	cfg.Control = ctrl
	first := make(chan struct{})
	var once bool
	cfg.OnProgress = func(summary.Progress) {
		if !once {
			once = true
			close(first)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, cfg) }()
	<-first
	if err := ctrl.SetUsers(10, "test"); !errors.Is(err, ErrOpenModel) {
		t.Errorf("open model: %v, want ErrOpenModel", err)
	}
	cancel()
	<-done
}
