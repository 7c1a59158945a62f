package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// DefaultJournalInterval is how often loadplan run rewrites its journal (--journal-interval).
const DefaultJournalInterval = 2 * time.Second

// journalSuffix ends the name of a run's journal.
const journalSuffix = ".partial.json"

// journalPath is where a run keeps its journal, beside its first report: OUT.partial.json
// beside --json OUT (OUT without its .json), else PREFIX.partial.json for --csv PREFIX, else
// beside --html, else beside --history (their name without its extension). "": no report
// file was asked for (or only devices and pipes, such as /dev/stdout), so no journal.
func journalPath(o *runOptions) string {
	for _, c := range []struct {
		path   string
		prefix bool
	}{{o.jsonFile, false}, {o.csvPrefix, true}, {o.htmlFile, false}, {o.historyFile, false}} {
		if c.path == "" || c.path == "-" {
			continue
		}
		if fi, err := os.Stat(c.path); err == nil && !fi.Mode().IsRegular() {
			continue
		}
		if c.prefix {
			return c.path + journalSuffix
		}
		return strings.TrimSuffix(c.path, filepath.Ext(c.path)) + journalSuffix
	}
	return ""
}

// journal keeps, while a run goes, a summary of the run so far (loadplan.run/v1, partial,
// stop_reason killed) in a file rewritten atomically every interval: what `loadplan report
// recover` turns into a report when the run was killed before it could write its own. It
// is fed the executor's progress (cumulative counts, costs, latency histograms and the
// meter's state), written from a goroutine of its own so that a slow disk never holds the
// progress up.
type journal struct {
	path     string
	interval time.Duration
	base     summary.Run // plan, scenario, estimate, target, seed
	notice   func(string)

	mu       sync.Mutex
	started  time.Time
	lastSent time.Time
	timeline []summary.TimelinePoint

	next    chan *summary.Run // the latest summary to write (one slot)
	done    chan struct{}     // closed by finish
	stopped chan struct{}     // closed by loop when it has returned
	once    sync.Once
}

// startJournal starts the journal of a run with o's outputs, or returns nil (no report file,
// or --journal-interval 0). base holds the summary's fixed keys.
func startJournal(o *runOptions, base summary.Run, notice func(string)) *journal {
	path := journalPath(o)
	if path == "" || o.journalInterval <= 0 {
		return nil
	}
	j := &journal{path: path, interval: o.journalInterval, base: base, notice: notice,
		next: make(chan *summary.Run, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go j.loop()
	return j
}

// progress adds the journal to a run's OnProgress (next may be nil).
func (j *journal) progress(next func(summary.Progress)) func(summary.Progress) {
	if j == nil {
		return next
	}
	return func(p summary.Progress) {
		if next != nil {
			next(p)
		}
		j.add(p)
	}
}

// add records one progress report, and hands a summary to the writer once an interval has
// passed since the last one.
func (j *journal) add(p summary.Progress) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	if j.started.IsZero() {
		j.started = now.Add(-p.Elapsed)
	}
	if p.Point.T > 0 || len(j.timeline) == 0 {
		j.timeline = append(j.timeline, p.Point)
	}
	if !j.lastSent.IsZero() && now.Sub(j.lastSent) < j.interval {
		return
	}
	j.lastSent = now
	s := j.snapshot(p)
	select {
	case <-j.next: // an older one not yet written: replaced
	default:
	}
	j.next <- s
}

// snapshot is the summary of the run so far, from its latest progress.
func (j *journal) snapshot(p summary.Progress) *summary.Run {
	s := summary.FromProgress(j.base.Plan, j.base.Scenario, j.started, p)
	for i, t := range p.Tasks {
		if s.Tasks[i].Histogram == "" && t.Cumulative != nil && t.Cumulative.TotalCount() > 0 {
			s.Tasks[i].Histogram, _ = summary.EncodeHistogram(t.Cumulative)
		}
		s.Tasks[i].TTFT = t.TTFT
		if t.Requests > 0 && p.Elapsed > 0 {
			s.Tasks[i].RPS = float64(t.Requests) / p.Elapsed.Seconds()
		}
		if t.Requests > 0 {
			per := t.Cost.Div(decimal.NewFromInt(t.Requests))
			s.Tasks[i].CostPerRequest = &per
		}
	}
	s.StopReason = summary.StopKilled
	s.StopDetail = fmt.Sprintf("journal of a run still going at %s; if it is not, the run was killed", time.Now().UTC().Format(time.RFC3339))
	s.ExitCode = summary.StopKilled.ExitCode(true)
	s.Estimate, s.Target, s.Seed = j.base.Estimate, j.base.Target, j.base.Seed // the budget: FromProgress's, the ledger's
	s.Failures = append([]summary.Failure{}, p.Failures...)
	s.Events = append([]summary.Event(nil), p.Events...)
	s.Timeline = append([]summary.TimelinePoint{}, j.timeline...)
	s.Actual.Cost = p.Spent
	s.Actual.Latency = p.Total.Latency
	s.Actual.TTFT = p.Total.TTFT
	s.Actual.LateStarts = p.LateStarts
	if p.Elapsed > 0 {
		s.Actual.RPS = float64(s.Actual.Requests) / p.Elapsed.Seconds()
	}
	s.Meter = &summary.Meter{Spent: p.Spent, Reserved: p.Reserved, BoundsHeld: true}
	return s
}

// loop writes the summaries it is handed until finish.
func (j *journal) loop() {
	defer close(j.stopped)
	failed := false
	for {
		select {
		case s := <-j.next:
			err := writeFile(j.path, func(w io.Writer) error { return report.WriteJSON(w, s) })
			if err != nil && !failed && j.notice != nil {
				j.notice(fmt.Sprintf("journal: %v; it is not kept up to date", err))
			}
			failed = failed || err != nil
		case <-j.done:
			return
		}
	}
}

// finish stops the journal and removes it: the run's own reports are written (or the run
// ended before it sent anything). It may be called more than once.
func (j *journal) finish() {
	if j == nil {
		return
	}
	j.once.Do(func() {
		close(j.done)
		<-j.stopped // no write under way: none can rename a journal back after the removal
		os.Remove(j.path)
	})
}

// readJournal reads a journal written by a run (a summary with partial: true).
func readJournal(path string) (*summary.Run, error) {
	s, err := summary.Read(path)
	if _, statErr := os.Stat(path); err != nil && statErr != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w (a torn or foreign file: want a journal %s written by loadplan run)", err, "*"+journalSuffix)
	}
	if !s.Partial || s.Meter == nil {
		return nil, fmt.Errorf("%s: not a journal: a run summary without partial: true and meter (the journal of a run is PREFIX%s)", path, journalSuffix)
	}
	return s, nil
}

// journalBase holds the fixed keys of a run's journal.
func journalBase(plan, scenario, target string, seed uint64, estimate []byte) summary.Run {
	return summary.Run{Plan: plan, Scenario: scenario, Target: target, Seed: seed, Estimate: estimate}
}
