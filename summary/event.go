package summary

// Event is something that changed a run from outside while it went: a stop asked for, the
// number of users changed (loadplan run --web). The summary lists them in order, under
// "events", beside the timeline.
type Event struct {
	T      float64 `json:"t"`      // seconds since the start of the run
	Kind   string  `json:"kind"`   // EventUsers, EventStop
	Detail string  `json:"detail"` // a human sentence: who asked, what changed
	Users  *int    `json:"users,omitempty"`
}

// The kinds of Event.
const (
	EventUsers = "users" // the closed model's number of users set to Users
	EventStop  = "stop"  // a graceful stop asked for (as an interrupt)
)
