package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/summary"
)

// Locust's constants for its stats history (locust/stats.py).
const (
	// currentWindowS is CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW: the current percentiles of
	// --csv-full-history cover about the last 10 seconds.
	currentWindowS = 10
	// rpsLookbackS and rpsLagS: current_rps averages the requests per second of the whole
	// seconds in [last request - 12 s, last request - 2 s).
	rpsLookbackS = 12
	rpsLagS      = 2
)

// StatsHistory writes PREFIX_stats_history.csv while a run goes, as Locust does: each Add
// appends the rows of one interval (about a second) and hands them to the operating system
// at once, so a run that dies leaves its history. Safe for concurrent use.
//
// Without full history only the Aggregated row is written, its percentiles cumulative; with
// full history (--csv-full-history) a row per request name (sorted by name, then method) and
// then the Aggregated row, their percentiles those of the current window (the last ~10 s:
// the cumulative histogram less its copy of about 10 s before; 0 until there is one).
// Requests/s and Failures/s are Locust's current_rps: the mean of the requests counted in
// each whole second from 12 s to 2 s before the row's last request (seconds without a
// request count 0), written as Python's f"{x:2f}" ("4.100000"). A second's count is the
// requests of the interval that ends in it, attributed to the second of its midpoint: the
// executor reports once a second, not each request. The Total columns are cumulative.
type StatsHistory struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	full    bool
	prevAt  time.Time
	entries map[string]*historyEntry
}

// historyEntry is what Locust's StatsEntry keeps for the history of one row.
type historyEntry struct {
	requests, failures int64
	perSec, failPerSec map[int64]int64
	lastRequest        int64 // unix second of the last interval with a request; 0: none yet
	cache              map[int64]sparseCounts
}

// sparseCounts are a histogram's non-zero counts by index, cached for the current window.
type sparseCounts struct {
	idx []int32
	n   []int64
}

// NewStatsHistory creates PREFIX_stats_history.csv and writes its header; full is Locust's
// --csv-full-history.
func NewStatsHistory(prefix string, full bool) (*StatsHistory, error) {
	path := prefix + StatsHistorySuffix
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create stats history: %w", err)
	}
	if _, err := f.Write(csvBytes(statsHistoryColumns)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &StatsHistory{f: f, path: path, full: full, entries: map[string]*historyEntry{}}, nil
}

// Path is the file being written.
func (h *StatsHistory) Path() string { return h.path }

// errHistoryClosed is returned by Add after Close.
var errHistoryClosed = errors.New("stats history is closed")

// Add appends the rows of the interval that ends at at.
func (h *StatsHistory) Add(at time.Time, p summary.Progress) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return errHistoryClosed
	}
	start := at.Add(-p.Elapsed)
	prev := h.prevAt
	if prev.IsZero() || prev.Before(start) {
		prev = start
	}
	h.prevAt = at
	// The second an interval's requests are counted in: that of its midpoint.
	sec := prev.Add(at.Sub(prev) / 2).Unix()
	var rows []summary.TaskProgress
	if h.full {
		rows = append(rows, p.Tasks...)
		sort.SliceStable(rows, func(i, j int) bool {
			if rows[i].Name != rows[j].Name {
				return rows[i].Name < rows[j].Name
			}
			return rows[i].Method < rows[j].Method
		})
	}
	total := p.Total
	total.Name, total.Method = aggregatedName, ""
	rows = append(rows, total)

	var b bytes.Buffer
	ts := strconv.FormatInt(at.Unix(), 10)
	users := strconv.Itoa(p.Users)
	for _, t := range rows {
		e := h.entry(t.Method + " " + t.Name)
		e.count(sec, t)
		rps, fps := e.current(start.Unix(), e.perSec), e.current(start.Unix(), e.failPerSec)
		lat := t.Latency
		if h.full {
			lat = e.window(at.Unix(), t.Cumulative)
		}
		row := []string{ts, users, t.Method, t.Name, pyFixed6(rps), pyFixed6(fps)}
		row = append(row, percentileCells(t.Requests, lat)...)
		row = append(row, totalCells(t)...)
		writeCSVRow(&b, row)
	}
	if _, err := h.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", h.path, err)
	}
	return nil
}

func (h *StatsHistory) entry(key string) *historyEntry {
	e := h.entries[key]
	if e == nil {
		e = &historyEntry{perSec: map[int64]int64{}, failPerSec: map[int64]int64{}, cache: map[int64]sparseCounts{}}
		h.entries[key] = e
	}
	return e
}

// count adds the requests and failures of t since the last interval to second sec.
func (e *historyEntry) count(sec int64, t summary.TaskProgress) {
	if d := t.Requests - e.requests; d > 0 {
		e.perSec[sec] += d
		e.lastRequest = sec
	}
	if d := t.Failures - e.failures; d > 0 {
		e.failPerSec[sec] += d
	}
	e.requests, e.failures = t.Requests, t.Failures
	for s := range e.perSec {
		if s < sec-rpsLookbackS-1 {
			delete(e.perSec, s)
			delete(e.failPerSec, s)
		}
	}
}

// current is Locust's current_rps over counts: the mean over the whole seconds in
// [max(last-12, start), last-2); 0 before a request.
func (e *historyEntry) current(start int64, counts map[int64]int64) float64 {
	if e.lastRequest == 0 {
		return 0
	}
	from, to := max(e.lastRequest-rpsLookbackS, start), e.lastRequest-rpsLagS
	var sum, n int64
	for s := from; s < to; s++ {
		sum += counts[s]
		n++
	}
	return float64(sum) / float64(max(n, 1))
}

// window caches h at second now and returns the percentiles of the latencies recorded since
// the cached copy of about currentWindowS seconds before (Locust's preference: t-10, then
// t-11, t-9, t-12, t-8, ... t-18, t-2); zero percentiles without one.
func (e *historyEntry) window(now int64, h *hdr.Histogram) summary.Percentiles {
	if h == nil {
		return summary.Percentiles{}
	}
	snap := h.Export()
	var out summary.Percentiles
	for _, ts := range windowKeys(now) {
		old, ok := e.cache[ts]
		if !ok {
			continue
		}
		counts := append([]int64(nil), snap.Counts...)
		for i, idx := range old.idx {
			if int(idx) < len(counts) {
				counts[idx] -= old.n[i]
			}
		}
		w := hdr.Import(&hdr.Snapshot{LowestTrackableValue: snap.LowestTrackableValue, HighestTrackableValue: snap.HighestTrackableValue,
			SignificantFigures: snap.SignificantFigures, Counts: counts, IntegerToDoubleConversionRatio: snap.IntegerToDoubleConversionRatio})
		out = summary.PercentilesOf(w)
		break
	}
	var sc sparseCounts
	for i, n := range snap.Counts {
		if n != 0 {
			sc.idx, sc.n = append(sc.idx, int32(i)), append(sc.n, n)
		}
	}
	e.cache[now] = sc
	for ts := range e.cache {
		if ts < now-2*currentWindowS {
			delete(e.cache, ts)
		}
	}
	return out
}

// windowKeys are the cached seconds acceptable for the window ending at now, most preferred
// first, as Locust's get_current_response_time_percentile.
func windowKeys(now int64) []int64 {
	keys := []int64{now - currentWindowS}
	for i := int64(1); i < 9; i++ {
		keys = append(keys, now-currentWindowS-i, now-currentWindowS+i)
	}
	return keys
}

// totalCells are the cumulative Total columns of a history row.
func totalCells(t summary.TaskProgress) []string {
	row := []string{itoa(t.Requests), itoa(t.Failures)}
	if t.Requests == 0 {
		return append(row, "0", "0.0", "0", "0", "0")
	}
	l := t.Latency
	return append(row, locustMS(l.P50), pyFloat(l.Avg), pyFloat(l.Min), pyFloat(l.Max), pyFloat(t.AvgContentSize))
}

// pyFixed6 writes x as Python's f"{x:2f}" does: six decimals (the 2 is a width).
func pyFixed6(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
