package plan

import (
	"fmt"
	"time"
)

// Overrides are the command line's changes to a scenario (--users, --spawn-rate, --run-time,
// --arrival-rate). Zero values leave the scenario as it is.
type Overrides struct {
	Users       int
	SpawnRate   float64 // users per second
	RunTime     time.Duration
	ArrivalRate Rate
}

// IsZero reports whether nothing is overridden.
func (o Overrides) IsZero() bool { return o == Overrides{} }

// Apply returns a copy of s with the overrides applied, or an error when one does not fit the
// scenario's model.
func (o Overrides) Apply(s *Scenario) (*Scenario, error) {
	c := *s
	if o.IsZero() {
		return &c, nil
	}
	if len(s.Stages) > 0 && (o.Users != 0 || o.SpawnRate != 0 || o.RunTime != 0) {
		return nil, fmt.Errorf("scenario %s follows stages; --users, --spawn-rate and --run-time do not apply (edit its stages)", s.Name)
	}
	if o.ArrivalRate.PerSecond > 0 && !s.Open() && (o.Users == 0 && o.SpawnRate == 0) && len(s.Stages) == 0 {
		// A closed scenario turned open: its users go.
		c.Users, c.SpawnRate = 0, 0
		if c.MaxInFlight == 0 {
			c.MaxInFlight = 100
		}
	}
	if s.Open() && (o.Users != 0 || o.SpawnRate != 0) && o.ArrivalRate.PerSecond == 0 {
		return nil, fmt.Errorf("scenario %s is an open model (arrival_rate %s); --users and --spawn-rate do not apply, use --arrival-rate", s.Name, s.ArrivalRate.Text)
	}
	if o.ArrivalRate.PerSecond > 0 && (o.Users != 0 || o.SpawnRate != 0) {
		return nil, fmt.Errorf("give --arrival-rate (open model) or --users/--spawn-rate (closed model), not both")
	}
	if o.Users != 0 {
		c.Users = o.Users
	}
	if o.SpawnRate != 0 {
		c.SpawnRate = o.SpawnRate
	}
	if o.RunTime != 0 {
		c.Duration = o.RunTime
	}
	if o.ArrivalRate.PerSecond > 0 {
		c.ArrivalRate = o.ArrivalRate
	}
	return &c, nil
}
