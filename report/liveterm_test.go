package report

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestEarlyProjectionShown: the live view says when the projection still leans on the
// estimate.
func TestEarlyProjectionShown(t *testing.T) {
	t.Parallel()
	p := summary.Progress{Projected: decimal.RequireFromString("10.62"), ProjectedEarly: true}
	if line := costLine(p); !strings.Contains(line, "projected (early) $10.62") {
		t.Errorf("cost line %q", line)
	}
	if line := plainLine(p, 0); !strings.Contains(line, "projected=$10.62 (early)") {
		t.Errorf("plain line %q", line)
	}
	p.ProjectedEarly = false
	if line := costLine(p); strings.Contains(line, "early") {
		t.Errorf("cost line %q", line)
	}
}

// progressAt is a run at elapsed whose chat row has sent n requests of 2.5 KiB (2560 B)
// each, $0.001 a request.
func progressAt(elapsed time.Duration, n int64, spendPerMin string) summary.Progress {
	row := summary.TaskProgress{Name: "chat", Method: "POST", Requests: n, AvgContentSize: 2560,
		Latency: summary.Percentiles{P50: 1200, P95: 2400, Max: 3100}, Cost: decimal.NewFromInt(n).Shift(-3)}
	total := row
	total.Name, total.Method = "", ""
	budget := decimal.RequireFromString("0.50")
	return summary.Progress{Elapsed: elapsed, Remaining: time.Minute - elapsed, Users: 5, Tasks: []summary.TaskProgress{row},
		Total: total, Spent: row.Cost, Budget: &budget, SpendPerMin: decimal.RequireFromString(spendPerMin),
		Projected: decimal.RequireFromString("1.20")}
}

// TestLiveRate: requests/s is the moving average over the last 10 s, not the last second:
// a row that sends one request every 4 s reads 0.25/s, and a burst older than 10 s no
// longer counts.
func TestLiveRate(t *testing.T) {
	t.Parallel()
	var m rateMeter
	n := int64(0)
	for s := 1; s <= 20; s++ {
		if s%4 == 0 {
			n++
		}
		m.add(progressAt(time.Duration(s)*time.Second, n, "0"))
	}
	// At 20 s: 5 requests, of which 3 in (10 s, 20 s] (at 12, 16, 20): 3 / 10 s.
	if got := m.rate("chat", 20*time.Second); math.Abs(got-0.3) > 1e-9 {
		t.Errorf("rate at 20 s %v, want 0.3", got)
	}
	// Younger than the window: since the start. At 2 s none, so 0.
	var young rateMeter
	young.add(progressAt(time.Second, 0, "0"))
	young.add(progressAt(2*time.Second, 0, "0"))
	if got := young.rate("chat", 2*time.Second); got != 0 {
		t.Errorf("young rate %v", got)
	}
	// A burst of 100 at 1 s, then nothing: 50/s at 2 s, 0 once it is older than 10 s.
	var burst rateMeter
	for s := 1; s <= 12; s++ {
		burst.add(progressAt(time.Duration(s)*time.Second, 100, "0"))
	}
	if got := burst.rate("", 12*time.Second); got != 0 {
		t.Errorf("burst rate at 12 s %v, want 0", got)
	}
}

// TestPlainLineEvery5s: the plain (non-terminal) line comes at the first progress and then
// at each multiple of 5 s of elapsed time, whether the ticks come a little after or a
// little before each second.
func TestPlainLineEvery5s(t *testing.T) {
	t.Parallel()
	for _, jitter := range []time.Duration{3 * time.Millisecond, -2 * time.Millisecond} {
		var out bytes.Buffer
		v := NewLiveTerminal(&out, nil, false, false, "t")
		for s := 1; s <= 21; s++ {
			v.Update(progressAt(time.Duration(s)*time.Second+jitter, int64(s), "0"))
		}
		var clocks []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			clocks = append(clocks, l[:7])
		}
		if got, want := strings.Join(clocks, " "), "[00:01] [00:05] [00:10] [00:15] [00:20]"; got != want {
			t.Errorf("jitter %v: lines at %s, want %s", jitter, got, want)
		}
	}
}

// TestNoProjectionWarningWithoutRate: "at $0.00/min the run would cost …" is not said
// before there is a spend rate.
func TestNoProjectionWarningWithoutRate(t *testing.T) {
	t.Parallel()
	if w := projectionWarning(progressAt(time.Second, 0, "0")); w != "" {
		t.Errorf("warning without a rate: %q", w)
	}
	if w := projectionWarning(progressAt(time.Second, 1, "0.06")); !strings.Contains(w, "at $0.06/min the run would cost $1.20") {
		t.Errorf("warning %q", w)
	}
}

// TestLiveFrameGolden: the live table: requests/s over 10 s, sizes as the summary writes them.
func TestLiveFrameGolden(t *testing.T) {
	t.Parallel()
	v := NewLiveTerminal(io.Discard, nil, true, false, "loadplan run ai / smoke")
	for s := 1; s <= 12; s++ {
		v.rates.add(progressAt(time.Duration(s)*time.Second, int64(s/2), "0.03"))
	}
	golden(t, "golden/live_frame.golden", []byte(v.frame(progressAt(12*time.Second, 6, "0.03"))))
}

// TestLiveGoodputLine: the live view says how many requests were good once one was not, and
// says nothing of goodput when all were or when the progress does not count it.
func TestLiveGoodputLine(t *testing.T) {
	t.Parallel()
	p := progressAt(12*time.Second, 6, "0.03")
	p.Total.Requests, p.Total.Good, p.Total.WastedCost = 45, 41, decimal.RequireFromString("0.021")
	if l := liveGoodputLine(p); l != "" {
		t.Errorf("goodput not counted, yet %q", l)
	}
	p.GoodKnown = true
	v := NewLiveTerminal(io.Discard, nil, true, false, "t")
	if f := v.frame(p); !strings.Contains(f, "goodput: 41 of 45 good (91.1% SLO attainment), wasted $0.021") {
		t.Errorf("frame lacks the goodput line:%s", f)
	}
	p.Total.Good = 45
	if l := liveGoodputLine(p); l != "" {
		t.Errorf("every request good, yet %q", l)
	}
}

func TestUSDAs(t *testing.T) {
	t.Parallel()
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	spent := pricing.FormatUSD(d("0.4812"))
	got := usdAs(d("0.0251"), d("0.4812"))
	if strings.Count(got, "")-strings.Index(got, ".") != strings.Count(spent, "")-strings.Index(spent, ".") {
		t.Errorf("reserved %s, spent %s: not the same precision", got, spent)
	}
}
