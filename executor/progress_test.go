package executor

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestEarlyProjection: in the first pacing period of a paced run (everyone sends at once) the
// projection leans on the estimate, not on the burst; after it, on what was seen.
func TestEarlyProjection(t *testing.T) {
	t.Parallel()
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).URL
	p := parsePlan(t, strings.Replace(checkPlan, "s: {users: 1, duration: 1s}", "s: {users: 50, duration: 10m, wait: {pacing: 20s}}", 1), url, nil)
	cfg := config(t, p, "s", url, nil)
	expected := decimal.RequireFromString("10.62")
	cfg.ExpectedCost = &expected
	r := testRunner(t, cfg)
	// 50 users sent their first request at once: $0.50 in the first second.
	r.timeline = []summary.TimelinePoint{{T: 0, Spent: decimal.Zero}, {T: 1, Spent: decimal.RequireFromString("0.5")}}
	tot := total(nil, nil, true)
	perSec := func(int64) float64 { return 0 }
	snap := r.ledger.Snapshot()
	snap.Spent = decimal.RequireFromString("0.5")
	pr := r.progress(time.Second, nil, &tot, snap, perSec)
	// Unblended: $0.50 + $0.50/s × 599 s = $300. Blended (1 s of a 60 s warm-up): about $16.
	if !pr.ProjectedEarly || pr.Projected.GreaterThan(decimal.NewFromInt(20)) || pr.Projected.LessThan(expected) {
		t.Errorf("at 1 s: projected %s (early %v)", pr.Projected, pr.ProjectedEarly)
	}
	// After the warm-up (60 s: a tenth of 10 m, longer than the 20 s pacing) the rate seen
	// alone: $0.50 a minute for the 9 minutes left.
	r.timeline = []summary.TimelinePoint{{T: 0, Spent: decimal.Zero}, {T: 60, Spent: decimal.RequireFromString("0.5")}}
	pr = r.progress(time.Minute, nil, &tot, snap, perSec)
	if pr.ProjectedEarly || pr.Projected.Sub(decimal.NewFromInt(5)).Abs().GreaterThan(decimal.New(1, -9)) {
		t.Errorf("at 60 s: projected %s (early %v)", pr.Projected, pr.ProjectedEarly)
	}
}
