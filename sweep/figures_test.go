package sweep

import (
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestFiguresGoodput: a summary with goodput (an slo: block judged it) gives its good count
// and attainment, not the share that did not fail; without it, the share that did not fail.
// 200 requests, 10 failed, 150 good within the SLO, $0.30: $2 per 1k good with goodput
// ($0.30 × 1000 / 150), $1.5789... without (190 good).
func TestFiguresGoodput(t *testing.T) {
	t.Parallel()
	att := 0.75
	sum := &summary.Run{StopReason: summary.StopCompleted, DurationS: 10, Actual: summary.Actual{Requests: 200, Failures: 10,
		Cost: decimal.RequireFromString("0.30"), Goodput: &summary.Goodput{Good: 150, GoodputRPS: 15, SLOAttainment: &att}}}
	st := figures(sum, 20, Config{})
	if st.Good != 150 || st.GoodputRPS != 15 || st.SLOAttainment == nil || *st.SLOAttainment != 0.75 ||
		st.CostPer1kGood == nil || !st.CostPer1kGood.Equal(decimal.NewFromInt(2)) {
		t.Errorf("with goodput: %+v", st)
	}
	if broke := judge(sum, &st, 0.95, 0); len(broke) != 1 || broke[0] != "slo_attainment 75% < 95%" {
		t.Errorf("judged: %v", broke)
	}
	sum.Actual.Goodput = nil
	st = figures(sum, 20, Config{})
	if st.Good != 190 || st.GoodputRPS != 19 || *st.SLOAttainment != 0.95 {
		t.Errorf("without goodput: %+v", st)
	}
	if broke := judge(sum, &st, 0.95, 0); len(broke) != 0 {
		t.Errorf("95%% of 95%% judged broken: %v", broke)
	}
}

// TestJudgeDroppedArrivals: with all 10 max_in_flight users busy at some second, 2 of 202
// arrivals never started is within 1 %; 3 of 203 is not; 2 of 52 is over 1 % but within the
// slack of 2 a busy pacer may drop at a step's end. Without the users all busy, dropped
// arrivals are the load generator's lateness and do not break the step.
func TestJudgeDroppedArrivals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		requests, dropped int64
		busy              int
		broke             bool
	}{{200, 0, 10, false}, {200, 2, 10, false}, {200, 3, 10, true}, {50, 2, 10, false}, {50, 3, 10, true},
		{50, 30, 9, false}} {
		sum := &summary.Run{StopReason: summary.StopCompleted, DurationS: 10,
			Actual:   summary.Actual{Requests: tc.requests, DroppedArrivals: tc.dropped},
			Timeline: []summary.TimelinePoint{{T: 1, Users: 4}, {T: 2, Users: tc.busy}}}
		st := figures(sum, 20, Config{})
		if broke := judge(sum, &st, 0.95, 10); (len(broke) > 0) != tc.broke {
			t.Errorf("%d of %d dropped, %d of 10 users busy: %v", tc.dropped, tc.requests+tc.dropped, tc.busy, broke)
		}
	}
}
