package executor

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/loadplan/loadplan/summary"
)

// MaxSetUsers is the most users Control.SetUsers accepts.
const MaxSetUsers = 100_000

// ErrOpenModel is Control.SetUsers' error in an open-model run: its load is the arrival rate,
// not a number of users.
var ErrOpenModel = errors.New("an open-model run has no user count to change: its load is the arrival rate")

// ErrNotRunning is Control.SetUsers' error before the run has started or after it has
// stopped starting new work.
var ErrNotRunning = errors.New("the run is not running")

// Control changes a run while it goes, from any goroutine: the closed model's number of
// users (as Locust's web UI does), and notes of what was asked from outside (a stop from the
// live web page). Every change is an event of the summary (summary.Run.Events). Give one to
// Config.Control; a Control serves one run.
type Control struct {
	mu      sync.Mutex
	start   time.Time // zero until the run starts
	open    bool
	stopped bool
	users   int // the users asked for; valid when gen > 0
	gen     int // how many times SetUsers succeeded
	events  []summary.Event
}

// NewControl returns a Control for one run.
func NewControl() *Control { return &Control{} }

// SetUsers sets the closed model's number of users to n from now until the end of the run,
// in place of the scenario's shape; users are started or retired at the scenario's
// spawn_rate (at once without one), retired ones at the end of their current iteration.
// who says who asked, for the event. The budget and the duration still hold.
func (c *Control) SetUsers(n int, who string) error {
	if n < 0 || n > MaxSetUsers {
		return fmt.Errorf("users %d: give a number from 0 to %d", n, MaxSetUsers)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.start.IsZero() || c.stopped:
		return ErrNotRunning
	case c.open:
		return ErrOpenModel
	}
	c.users = n
	c.gen++
	c.addLocked(summary.EventUsers, fmt.Sprintf("users set to %d by %s", n, who), &n)
	return nil
}

// Note records an event of kind (summary.EventStop, ...) with a sentence saying what
// happened and who asked.
func (c *Control) Note(kind, detail string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(kind, detail, nil)
}

func (c *Control) addLocked(kind, detail string, users *int) {
	t := 0.0
	if !c.start.IsZero() {
		t = math.Round(time.Since(c.start).Seconds()*1000) / 1000
	}
	c.events = append(c.events, summary.Event{T: t, Kind: kind, Detail: detail, Users: users})
}

// begin is called by the run when it starts.
func (c *Control) begin(start time.Time, open bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start, c.open = start, open
}

// end is called when the run stops starting new work: later user changes are refused.
func (c *Control) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
}

// target is the users asked for and the generation of the request (0: none yet).
func (c *Control) target() (users, gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.users, c.gen
}

// Events are the events recorded so far, in order.
func (c *Control) Events() []summary.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]summary.Event(nil), c.events...)
}

// rampUsers is how many users run `since` after a change from `from` users to `to`, at
// spawnRate users per second (0: at once): a linear ramp, up or down, that stops at to.
func rampUsers(from, to int, spawnRate float64, since time.Duration) int {
	if spawnRate <= 0 || from == to {
		return to
	}
	step := int(math.Floor(spawnRate * since.Seconds()))
	if from < to {
		return min(from+step, to)
	}
	return max(from-step, to)
}
