package executor

import (
	"io"

	"github.com/loadplan/loadplan/usage"
)

// A body that is read for checks, captures or usage is kept whole in memory only up to
// keptBodyBytes; a larger one (up to MaxBodyBytes) is read as it streams, and only what the
// step reads of it is kept (usage.ReadLarge): a user's memory does not grow with the body. A
// body over MaxBodyBytes is a failure: it is read no further, and what it reported is not
// used (its usage is then unreported: a 2xx response is charged its reservation, flagged).
const (
	keptBodyBytes = usage.KeptBodyBytes
	maxValueBytes = usage.MaxValueBytes
)

var errValueTooLarge = usage.ErrValueTooLarge

// readLarge reads a body whose first head bytes are read already and that is larger than
// keptBodyBytes, as usage.ReadLarge, up to MaxBodyBytes + 1 bytes.
func readLarge(s *step, head []byte, body io.Reader) (v any, decErr error, contained bool, size int64, err error) {
	return usage.ReadLarge(s.sel, s.needJSON, s.contains, head, body, MaxBodyBytes)
}

// selection is what the step reads of a JSON body: its captures and checks (exists and
// absent only for presence), and its usage source's paths.
func (s *step) selection() *usage.Selection {
	sel := &usage.Selection{}
	for _, c := range s.captures {
		sel.Add(c.path, true)
	}
	for _, c := range s.checks {
		sel.Add(c.path, c.op != "exists" && c.op != "absent")
	}
	if s.cost.src != nil {
		for _, p := range s.cost.src.BodyPaths() {
			sel.Add(p, true)
		}
	}
	sel.Finish()
	return sel
}
