package plan

import (
	"errors"
	"fmt"
	"time"
)

// Overrides are the command line's changes to a scenario (--users, --spawn-rate, --run-time,
// --arrival-rate). A nil field is not overridden; a field that is set means what it says, so
// a zero (an empty CI variable, --users 0) is an error, never "no override".
type Overrides struct {
	Users       *int
	SpawnRate   *float64 // users per second
	RunTime     *time.Duration
	ArrivalRate *Rate
}

// IsZero reports whether nothing is overridden.
func (o Overrides) IsZero() bool { return o == Overrides{} }

// Validate refuses a value that cannot mean what it says: no users, no spawn rate, no time, no
// arrivals.
func (o Overrides) Validate() error {
	var errs []error
	if o.Users != nil && *o.Users < 1 {
		errs = append(errs, fmt.Errorf("--users %d: give 1 or more users", *o.Users))
	}
	if o.SpawnRate != nil && !(*o.SpawnRate > 0) {
		errs = append(errs, fmt.Errorf("--spawn-rate %g: give users started per second, more than 0 (leave it out to start all users at once)", *o.SpawnRate))
	}
	if o.RunTime != nil && *o.RunTime <= 0 {
		errs = append(errs, fmt.Errorf("--run-time %s: give a duration of more than 0s, e.g. 30s or 10m", *o.RunTime))
	}
	if o.ArrivalRate != nil && !(o.ArrivalRate.PerSecond > 0) {
		errs = append(errs, fmt.Errorf("--arrival-rate %s: give a rate of more than 0, e.g. 30/s", o.ArrivalRate.Text))
	}
	return errors.Join(errs...)
}

// Apply returns a copy of s with the overrides applied, or an error when one is not valid or
// does not fit the scenario's model.
func (o Overrides) Apply(s *Scenario) (*Scenario, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := *s
	if o.IsZero() {
		return &c, nil
	}
	closedFlags := o.Users != nil || o.SpawnRate != nil
	if len(s.Stages) > 0 && (closedFlags || o.RunTime != nil) {
		return nil, fmt.Errorf("scenario %s follows stages; --users, --spawn-rate and --run-time do not apply (edit its stages)", s.Name)
	}
	if o.ArrivalRate != nil && closedFlags {
		return nil, fmt.Errorf("give --arrival-rate (open model) or --users/--spawn-rate (closed model), not both")
	}
	if s.Open() && closedFlags {
		return nil, fmt.Errorf("scenario %s is an open model (arrival_rate %s); --users and --spawn-rate do not apply, use --arrival-rate", s.Name, s.ArrivalRate.Text)
	}
	c.Assumed = append([]Assumed(nil), s.Assumed...)
	if o.ArrivalRate != nil && !s.Open() {
		// A closed scenario turned open: its users go, and so does its wait.
		c.Users, c.SpawnRate = 0, 0
		c.dropAssumed("spawn_rate", "wait")
		if c.MaxInFlight == 0 {
			c.MaxInFlight = DefaultMaxInFlight
			c.Assumed = append(c.Assumed, Assumed{Of: c.Name, Field: "scenarios." + c.Name + ".max_in_flight", Key: "max_in_flight",
				Value: fmt.Sprint(c.MaxInFlight), Rule: maxInFlightRule(c.MaxInFlight)})
		}
	}
	if o.Users != nil {
		c.Users = *o.Users
		c.dropAssumed("spawn_rate")
		if o.SpawnRate == nil && c.SpawnRate == 0 {
			c.Assumed = append(c.Assumed, spawnAssumed(&c))
		}
	}
	if o.SpawnRate != nil {
		c.SpawnRate = *o.SpawnRate
		c.dropAssumed("spawn_rate")
	}
	if o.RunTime != nil {
		c.Duration = *o.RunTime
	}
	if o.ArrivalRate != nil {
		c.ArrivalRate = *o.ArrivalRate
	}
	return &c, nil
}

// dropAssumed forgets the assumed values of the given keys: the command line gave them.
func (s *Scenario) dropAssumed(keys ...string) {
	kept := s.Assumed[:0]
	for _, a := range s.Assumed {
		drop := false
		for _, k := range keys {
			drop = drop || a.Key == k
		}
		if !drop {
			kept = append(kept, a)
		}
	}
	s.Assumed = kept
}
