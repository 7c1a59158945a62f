package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/summary"
)

// historyRun feeds h 15 one-second intervals from t0: task "a" (POST) gets 10 requests a
// second, at 10 ms for seconds 1-10 and at 100 ms for 11-15, one failed a second; task "b"
// (GET) one request a second at 5 ms.
func historyRun(t *testing.T, h *StatsHistory, t0 time.Time) {
	t.Helper()
	ha, hb, tot := summary.NewHistogram(), summary.NewHistogram(), summary.NewHistogram()
	var a, b summary.TaskProgress
	a.Name, a.Method, b.Name, b.Method = "a", "POST", "b", "GET"
	if err := h.Add(t0, summary.Progress{}); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 15; k++ {
		lat := 10 * time.Millisecond
		if k > 10 {
			lat = 100 * time.Millisecond
		}
		for i := 0; i < 10; i++ {
			summary.RecordDuration(ha, lat)
			summary.RecordDuration(tot, lat)
		}
		summary.RecordDuration(hb, 5*time.Millisecond)
		summary.RecordDuration(tot, 5*time.Millisecond)
		a.Requests, a.Failures, b.Requests = a.Requests+10, a.Failures+1, b.Requests+1
		row := func(r summary.TaskProgress, hist *hdr.Histogram) summary.TaskProgress {
			r.Cumulative, r.Latency, r.AvgContentSize = hist.Clone(), summary.PercentilesOf(hist), 2
			return r
		}
		total := summary.TaskProgress{Requests: a.Requests + b.Requests, Failures: a.Failures}
		p := summary.Progress{Users: 10, Elapsed: time.Duration(k) * time.Second,
			Tasks: []summary.TaskProgress{row(b, hb), row(a, ha)}, Total: row(total, tot)}
		if err := h.Add(t0.Add(time.Duration(k)*time.Second), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

func historyRows(t *testing.T, path string) [][]string {
	t.Helper()
	rows := readCSV(t, path)
	ref := readCSV(t, filepath.Join("testdata", "locust-full-history", "results_stats_history.csv"))
	if strings.Join(rows[0], ",") != strings.Join(ref[0], ",") {
		t.Fatalf("header:\n got %q\nwant %q", rows[0], ref[0])
	}
	return rows[1:]
}

// TestStatsHistoryAggregatedOnly: without --csv-full-history, only the Aggregated row each
// interval, its percentiles cumulative, as Locust writes it.
func TestStatsHistoryAggregatedOnly(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "results")
	h, err := NewStatsHistory(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1795765017, 0)
	historyRun(t, h, t0)
	rows := historyRows(t, h.Path())
	if len(rows) != 16 {
		t.Fatalf("%d rows, want 16 (one Aggregated row an interval)", len(rows))
	}
	// The idle first interval is exactly Locust's (the reference's only row).
	ref := readCSV(t, filepath.Join("testdata", "locust", "results_stats_history.csv"))
	if got, want := strings.Join(rows[0], ","), strings.Join(ref[1], ","); got != want {
		t.Errorf("idle row:\n got %s\nwant %s", got, want)
	}
	for _, r := range rows {
		if r[3] != "Aggregated" || r[2] != "" {
			t.Fatalf("row %q: only Aggregated rows without --csv-full-history", r)
		}
	}
	// After 15 s: 165 requests, 100 at 10 ms, 50 at 100 ms, 15 at 5 ms. Cumulative 66%
	// (the 109th) is 10 ms; the window would say 100 ms. 50% equals the Total median.
	last := rows[15]
	if last[6] != "10" || last[6] != last[19] || last[8] != "100" || last[17] != "165" || last[18] != "15" {
		t.Errorf("last row %q: want 50%% 10 = total median, 75%% 100, 165 requests, 15 failures", last)
	}
	// Requests/s at 15 s: the seconds t0+2 .. t0+11 (12 s to 2 s before the last request,
	// at t0+14), 11 requests each: 11.000000; failures 1.000000.
	if last[4] != "11.000000" || last[5] != "1.000000" {
		t.Errorf("last row rps %s fps %s, want 11.000000 and 1.000000", last[4], last[5])
	}
	// At 3 s the window [t0, t0) is empty: 0 as in Locust's first rows; at 4 s it is t0's 11.
	if rows[3][4] != "0.000000" || rows[4][4] != "11.000000" {
		t.Errorf("rps at 3 s %s and 4 s %s, want 0.000000 and 11.000000", rows[3][4], rows[4][4])
	}
}

// TestStatsHistoryFull: with --csv-full-history, a row per name (by name, then method) and
// the Aggregated row each interval, percentiles over the current ~10 s window.
func TestStatsHistoryFull(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "results")
	h, err := NewStatsHistory(prefix, true)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1796397377, 0)
	historyRun(t, h, t0)
	rows := historyRows(t, h.Path())
	if len(rows) != 1+15*3 {
		t.Fatalf("%d rows, want 46", len(rows))
	}
	at := func(k int, name string) []string {
		for _, r := range rows {
			if r[0] == itoa(t0.Unix()+int64(k)) && r[3] == name {
				return r
			}
		}
		t.Fatalf("no row %s at %d s", name, k)
		return nil
	}
	if r := at(1, "a"); r[2] != "POST" || rows[1][3] != "a" || rows[2][3] != "b" || rows[3][3] != "Aggregated" {
		t.Errorf("order: %q %q %q", rows[1][3], rows[2][3], rows[3][3])
	}
	// Before a copy of some seconds ago exists, the current percentiles are 0 (Locust: None).
	if r := at(1, "a"); r[6] != "0" || r[16] != "0" {
		t.Errorf("row at 1 s: %q, want current percentiles 0", r)
	}
	// At 15 s: the window is since the copy at 5 s: a's 50 requests at 10 ms and 50 at
	// 100 ms, so 66% is 100 ms (cumulatively it is 10 ms); the Total columns are cumulative.
	r := at(15, "a")
	if r[6] != "10" || r[7] != "100" || r[16] != "100" || r[17] != "150" || r[18] != "15" || r[19] != "10" {
		t.Errorf("a at 15 s: %q", r)
	}
	golden(t, "golden/stats_history_full.csv", []byte(strings.ReplaceAll(readFile(t, h.Path()), "\r\n", "\n")))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
