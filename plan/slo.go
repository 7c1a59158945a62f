package plan

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SLO is the per-request service level objective (issue 16): a request is good when it
// succeeded and met every criterion set here. A zero field is not set.
type SLO struct {
	// Latency is the longest a request may take, from sent to its last byte.
	Latency time.Duration
	// TTFT is the longest a stream may take to its first token.
	TTFT time.Duration
	// MinOutputTokensPerS is the slowest a response may produce its output, in output tokens
	// per second after the first token (a stream) or over the whole request (otherwise).
	MinOutputTokensPerS float64
	Pos                 Pos // where the innermost slo: that set a key was written
}

// Set reports whether any criterion is set.
func (s SLO) Set() bool {
	return s.Latency > 0 || s.TTFT > 0 || s.MinOutputTokensPerS > 0
}

// Override returns s with the keys that inner sets replaced by inner's: the task's SLO
// overrides the scenario's, which overrides the plan's, key by key.
func (s SLO) Override(inner SLO) SLO {
	if inner.Latency > 0 {
		s.Latency = inner.Latency
	}
	if inner.TTFT > 0 {
		s.TTFT = inner.TTFT
	}
	if inner.MinOutputTokensPerS > 0 {
		s.MinOutputTokensPerS = inner.MinOutputTokensPerS
	}
	if inner.Set() {
		s.Pos = inner.Pos
	}
	return s
}

// String is the SLO as a plan writes it, e.g. "latency 5s, ttft 1.5s, min_output_tokens_per_s 20";
// "none" when nothing is set.
func (s SLO) String() string {
	var parts []string
	if s.Latency > 0 {
		parts = append(parts, "latency "+FormatDuration(s.Latency))
	}
	if s.TTFT > 0 {
		parts = append(parts, "ttft "+FormatDuration(s.TTFT))
	}
	if s.MinOutputTokensPerS > 0 {
		parts = append(parts, "min_output_tokens_per_s "+strconv.FormatFloat(s.MinOutputTokensPerS, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

var sloKeys = []string{"latency", "ttft", "min_output_tokens_per_s"}

// MaxOutputTokensPerS bounds slo.min_output_tokens_per_s.
const MaxOutputTokensPerS = 1_000_000_000

// slo decodes an slo: block. Durations are more than 0 and at most MaxDuration; the rate is
// a finite number more than 0.
func (d *decoder) slo(n *yaml.Node, path string) SLO {
	s := SLO{Pos: at(n)}
	if !d.fields(n, path, sloKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "latency", "ttft":
			dur := d.duration(v, kp)
			if dur == 0 && d.scalarIsZero(v) {
				d.add(at(v), kp, "must be more than 0, e.g. %s", map[string]string{"latency": "5s", "ttft": "1500ms"}[k])
			}
			if k == "latency" {
				s.Latency = dur
			} else {
				s.TTFT = dur
			}
		case "min_output_tokens_per_s":
			if r, ok := d.number(v, kp, MaxOutputTokensPerS); ok {
				if r == 0 {
					d.add(at(v), kp, "must be more than 0, e.g. 20 (output tokens per second)")
				}
				s.MinOutputTokensPerS = r
			}
		}
	}) {
		return SLO{}
	}
	if !s.Set() && len(resolve(n).Content) == 0 {
		d.add(at(n), path, "empty; give latency, ttft or min_output_tokens_per_s, e.g. {latency: 5s}")
	}
	return s
}

// scalarIsZero reports whether n is a well-formed zero duration (0s, 0ms), which an SLO refuses.
func (d *decoder) scalarIsZero(n *yaml.Node) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	v, err := ParseDuration(n.Value)
	return err == nil && v == 0
}

// SLOFor is the SLO in force for a task's requests in scenario s.
func SLOFor(s *Scenario, t *Task) SLO {
	var slo SLO
	if s != nil {
		slo = s.SLO
	}
	if t != nil {
		slo = slo.Override(t.SLO)
	}
	return slo
}
