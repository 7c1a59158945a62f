package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/loadplan/loadplan/internal/jsonfile"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// HistorySchema is the schema of a line of a run history file (--history runs.jsonl).
const HistorySchema = summary.HistorySchema

// HistoryEntry is one run in a history file: one JSON line. The keys are DESIGN.md's; pass,
// rps and duration_s are added. Money is a decimal string; estimate, budget and
// cost_per_request are null when unknown.
type HistoryEntry struct {
	Schema         string             `json:"schema"`
	Plan           string             `json:"plan"`
	Scenario       string             `json:"scenario"`
	StartedAt      time.Time          `json:"started_at"`
	StopReason     summary.StopReason `json:"stop_reason"`
	Requests       int64              `json:"requests"`
	Cost           decimal.Decimal    `json:"cost"`
	Estimate       *decimal.Decimal   `json:"estimate"` // the expected cost
	Budget         *decimal.Decimal   `json:"budget"`   // the limit
	CostPerRequest *decimal.Decimal   `json:"cost_per_request"`
	P95MS          float64            `json:"p95_ms"`
	FailureRate    float64            `json:"failure_rate"`
	Pass           bool               `json:"pass"`
	RPS            float64            `json:"rps"`
	DurationS      float64            `json:"duration_s"`
}

// NewHistoryEntry is the history line of a run.
func NewHistoryEntry(s *summary.Run) (HistoryEntry, error) {
	e := HistoryEntry{
		Schema: HistorySchema, Plan: s.Plan, Scenario: s.Scenario, StartedAt: s.StartedAt.UTC(),
		StopReason: s.StopReason, Requests: s.Actual.Requests, Cost: s.Actual.Cost,
		CostPerRequest: s.Actual.CostPerRequest, P95MS: s.Actual.Latency.P95, Pass: s.Pass,
		RPS: s.Actual.RPS, DurationS: s.DurationS,
	}
	if s.Actual.Requests > 0 {
		e.FailureRate = float64(s.Actual.Failures) / float64(s.Actual.Requests)
		if e.CostPerRequest == nil {
			cpr := s.Actual.Cost.Div(decimal.NewFromInt(s.Actual.Requests))
			e.CostPerRequest = &cpr
		}
	}
	if s.Budget != nil {
		l := s.Budget.Limit
		e.Budget = &l
	}
	est, err := summaryEstimate(s)
	if err != nil {
		return e, err
	}
	if est != nil {
		e.Estimate = est.Cost.Expected
	}
	return e, nil
}

// AppendHistory appends a run's line to the history file at path, creating it. The line is
// written with one write call, so runs appending to one file do not interleave.
func AppendHistory(path string, s *summary.Run) error {
	e, err := NewHistoryEntry(s)
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("history %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	line = append(line, '\n')
	if tornTail(f) {
		// The last line was cut (a run killed as it appended): this one starts a line of
		// its own, and the reader skips the torn one.
		line = append([]byte{'\n'}, line...)
	}
	// One write of the whole line (O_APPEND): a kill leaves the line whole or torn at its
	// end, never mixed with another.
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("append history %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append history %s: %w", path, err)
	}
	return nil
}

// tornTail reports whether f (a regular file) does not end with a newline.
func tornTail(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return false
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
		return false
	}
	return last[0] != '\n'
}

// maxHistoryBytes bounds a history file, read line by line: a line a run, 1 KB each.
const maxHistoryBytes = 1 << 30

// ReadHistory reads a history file. Blank lines are skipped; any other line that is not a
// loadplan.history/v1 entry is an error naming the file and line, except a torn line (JSON
// cut short: a run killed as it appended), which is skipped (ReadHistoryWarn says so).
func ReadHistory(path string) ([]HistoryEntry, error) {
	entries, _, err := ReadHistoryWarn(path)
	return entries, err
}

// ReadHistoryWarn is ReadHistory, with a warning for each torn line it skipped.
func ReadHistoryWarn(path string) ([]HistoryEntry, []string, error) {
	var warnings []string
	f, err := inputfile.Open(path, maxHistoryBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	ended := true // whether the line scanned last ended with a newline
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanLines(data, atEOF)
		if tok != nil {
			ended = adv > len(tok) && data[adv-1] == '\n'
		}
		return adv, tok, err
	})
	// A torn line: cut short at its end, as a kill leaves a line it was appending. It is
	// skipped when it is the file's last and has no newline, or when another line follows it
	// (AppendHistory starts a new line after a torn one); else it is an error.
	var tornErr error
	var tornWarning string
	var out []HistoryEntry
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, n)
		if tornErr != nil {
			warnings, tornErr = append(warnings, tornWarning), nil
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(line, &top); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) && syn.Offset >= int64(len(line)) && bytes.HasPrefix(line, []byte("{")) {
				tornWarning = fmt.Sprintf("%s: a torn line (cut short at byte %d: a run killed as it appended?) skipped", where, len(line))
				if !ended {
					warnings = append(warnings, tornWarning)
					continue
				}
				tornErr = historyLineError(where, line, err)
				continue
			}
			if len(out) == 0 {
				if err := wholeFileSchema(path); err != nil {
					return nil, nil, err
				}
			}
			return nil, nil, historyLineError(where, line, err)
		}
		if err := jsonfile.CheckSchema(where, top, HistorySchema, "loadplan run --history"); err != nil {
			return nil, nil, err
		}
		for _, k := range []string{"plan", "scenario", "started_at", "cost"} {
			if v, ok := top[k]; !ok || string(v) == "null" {
				return nil, nil, fmt.Errorf("%s: missing %q", where, k)
			}
		}
		var e HistoryEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, nil, historyLineError(where, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read history %s: %w", path, err)
	}
	if tornErr != nil {
		return nil, nil, tornErr
	}
	return out, warnings, nil
}

// wholeFileSchema explains a file that is one JSON document (a run summary, an estimate)
// rather than a history of one JSON line per run.
func wholeFileSchema(path string) error {
	data, _, err := inputfile.Read(path, MaxInputBytes)
	if err != nil {
		return nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	return jsonfile.CheckSchema(path, top, HistorySchema, "loadplan run --history")
}

func historyLineError(where string, line []byte, err error) error {
	e := jsonfile.DecodeError(where, line, err, "a history entry")
	// DecodeError names places as file:line:col within the document; a line's document is
	// the line itself, so keep "file:line" and the column only.
	return fmt.Errorf("%s", strings.Replace(e.Error(), where+":1:", where+": column ", 1))
}

// HistorySeries is the runs of one plan's scenario, oldest first.
type HistorySeries struct {
	Plan     string         `json:"plan"`
	Scenario string         `json:"scenario"`
	Runs     []HistoryEntry `json:"runs"`
}

// GroupHistory groups entries by plan and scenario (in order of first appearance), each
// group sorted by start time. A non-empty scenario keeps only that scenario.
func GroupHistory(entries []HistoryEntry, scenario string) []HistorySeries {
	var out []HistorySeries
	idx := map[[2]string]int{}
	for _, e := range entries {
		if scenario != "" && e.Scenario != scenario {
			continue
		}
		k := [2]string{e.Plan, e.Scenario}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, HistorySeries{Plan: e.Plan, Scenario: e.Scenario})
		}
		out[i].Runs = append(out[i].Runs, e)
	}
	for i := range out {
		runs := out[i].Runs
		sort.SliceStable(runs, func(a, b int) bool { return runs[a].StartedAt.Before(runs[b].StartedAt) })
	}
	return out
}

// HistoryTable writes each scenario's runs, oldest first, with the change in cost per request
// from run to run and over the whole history.
func HistoryTable(w io.Writer, series []HistorySeries) error {
	if len(series) == 0 {
		fmt.Fprintln(w, "No runs.")
		return nil
	}
	for i, hs := range series {
		if i > 0 {
			fmt.Fprintln(w)
		}
		runs := hs.Runs
		fmt.Fprintf(w, "%s / %s: %d %s, %s to %s\n", hs.Plan, hs.Scenario, len(runs), pluralRuns(len(runs)),
			runs[0].StartedAt.Format("2006-01-02"), runs[len(runs)-1].StartedAt.Format("2006-01-02"))
		t := table.NewWriter()
		t.SetOutputMirror(w)
		t.SetStyle(table.StyleLight)
		t.AppendHeader(table.Row{"Started (UTC)", "Stop", "Result", "Requests", "Cost", "Estimate", "Budget", "Cost/req", "Change", "p95", "Failures"})
		var prev *decimal.Decimal
		for _, r := range runs {
			res := "pass"
			if !r.Pass {
				res = "FAIL"
			}
			change := "-"
			if prev != nil && r.CostPerRequest != nil && prev.IsPositive() {
				change = signedPctText(r.CostPerRequest.Sub(*prev).Div(*prev).InexactFloat64() * 100)
			}
			if r.CostPerRequest != nil {
				prev = r.CostPerRequest
			}
			t.AppendRow(table.Row{r.StartedAt.UTC().Format("2006-01-02 15:04"), string(r.StopReason), res, groupThousands(float64(r.Requests)),
				pricing.FormatUSD(r.Cost), usd(r.Estimate), usd(r.Budget), usd(r.CostPerRequest), change, msText(r.P95MS), ratioText(r.FailureRate)})
		}
		t.SetColumnConfigs(rightAligned(4, 11))
		t.Render()
		first, last := runs[0], runs[len(runs)-1]
		if len(runs) > 1 && first.CostPerRequest != nil && last.CostPerRequest != nil && first.CostPerRequest.IsPositive() {
			pct := last.CostPerRequest.Sub(*first.CostPerRequest).Div(*first.CostPerRequest).InexactFloat64() * 100
			fmt.Fprintf(w, "Cost per request: %s → %s (%s) over %d runs\n", pricing.FormatUSD(*first.CostPerRequest),
				pricing.FormatUSD(*last.CostPerRequest), signedPctText(pct), len(runs))
		}
	}
	return nil
}

func pluralRuns(n int) string {
	if n == 1 {
		return "run"
	}
	return "runs"
}
