package executor

import (
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// sloMet reports whether a successful attempt met its SLO (issue 16). Each criterion applies
// only when it can be measured on this response:
//   - latency: always (to the last byte);
//   - ttft: on a stream that produced a first token (a response that is not a stream has no
//     time to first token, and the criterion does not apply to it);
//   - min_output_tokens_per_s: when the response reported its output tokens (more than 0):
//     a stream's after its first token (output / (latency − ttft)), any other response's
//     over its whole latency; without a usage report it does not apply.
func sloMet(slo plan.SLO, o *outcome) bool {
	if !slo.Set() {
		return true
	}
	if slo.Latency > 0 && o.res.latency > slo.Latency {
		return false
	}
	stream := o.streamed && o.res.ttft > 0
	if slo.TTFT > 0 && stream && o.res.ttft > slo.TTFT {
		return false
	}
	if slo.MinOutputTokensPerS > 0 && o.report.Found && o.report.Usage.Output > 0 {
		d := o.res.latency
		if stream {
			d -= o.res.ttft
		}
		if d > 0 && float64(o.report.Usage.Output)/d.Seconds() < slo.MinOutputTokensPerS {
			return false
		}
	}
	return true
}

// classify counts one attempt as good or not, and what a bad one cost as wasted. priced is
// false when its cost is not known per request (a step priced from Prometheus counters, or
// an attempt never sent): such an attempt counts toward good, not toward wasted_cost.
func (s *stat) classify(good bool, cost decimal.Decimal, priced bool) {
	s.mu.Lock()
	if good {
		s.good++
	} else if priced && !cost.IsZero() {
		s.wasted = s.wasted.Add(cost)
	}
	s.mu.Unlock()
}

// goodput is the row's Goodput over a run whose request counts become rates through rps.
func (row *rowSnap) goodput(rps func(int64) float64) *summary.Goodput {
	g := &summary.Goodput{Good: row.good, GoodputRPS: rps(row.good), WastedCost: row.wasted}
	summary.DeriveGoodput(g, row.requests, row.cost)
	return g
}
