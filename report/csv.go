package report

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/internal/atomicfile"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// Locust's CSV files (DESIGN.md, "CSV"): the same file names, columns, row order and number
// formats as Locust 2.x writes them, so that the dashboards and scripts of Locust users read
// ours unchanged. Rows are sorted by (Name, Type) and end with the Aggregated row, whose Type
// is empty. Percentiles and medians are whole milliseconds, "N/A" when there were no requests;
// other times are Python floats ("5.0", "5.268838389264718"); lines end with CRLF, as
// Python's csv module writes them.

// Column headers, byte for byte Locust's.
var (
	statsColumns = []string{"Type", "Name", "Request Count", "Failure Count", "Median Response Time",
		"Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
		"Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%",
		"99.99%", "100%"}
	failuresColumns     = []string{"Method", "Name", "Error", "Occurrences"}
	exceptionsColumns   = []string{"Count", "Message", "Traceback", "Nodes"}
	statsHistoryColumns = []string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
		"50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
		"Total Request Count", "Total Failure Count", "Total Median Response Time",
		"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
		"Total Average Content Size"}
	// costColumns are loadplan's own: tokens and dollars per request name.
	costColumns = []string{"Type", "Name", "Request Count", "Input Tokens", "Output Tokens",
		"Cache Read Tokens", "Cache Write Tokens", "Cost USD", "Cost/Request USD", "Cost Source",
		"Estimated Cost USD", "Good Requests", "SLO Attainment", "Goodput RPS", "Cost/Good Request USD",
		"Cost/1k Good USD", "Wasted Cost USD"}
)

// aggregatedName names the row of all requests together, as in Locust.
const aggregatedName = "Aggregated"

// notAvailable is Locust's cell for a percentile of no requests.
const notAvailable = "N/A"

// CSV file suffixes after PREFIX.
const (
	StatsSuffix        = "_stats.csv"
	FailuresSuffix     = "_failures.csv"
	ExceptionsSuffix   = "_exceptions.csv"
	StatsHistorySuffix = "_stats_history.csv"
	CostSuffix         = "_cost.csv"
)

// WriteCSV writes PREFIX_stats.csv, PREFIX_failures.csv, PREFIX_exceptions.csv (a header: a
// loadplan run has no Python exceptions) and PREFIX_cost.csv from a finished run's summary.
// The Aggregated stats row takes its percentiles from the merge of the tasks' histograms.
// PREFIX_cost.csv has a row per request name and an Aggregated row equal to the summary's
// actual cost; its Estimated Cost USD is the part of the cost charged without a usage report
// (JSON cost_estimated), never a guess presented as a bill. Money is written as decimal
// strings at full precision.
func WriteCSV(prefix string, s *summary.Run) error {
	stats, err := statsCSV(s)
	if err != nil {
		return fmt.Errorf("write %s: %w", prefix+StatsSuffix, err)
	}
	files := []struct {
		suffix string
		data   []byte
	}{
		{StatsSuffix, stats},
		{FailuresSuffix, failuresCSV(s)},
		{ExceptionsSuffix, csvBytes(exceptionsColumns)},
		{CostSuffix, costCSV(s)},
	}
	for _, f := range files {
		// Each file whole or not at all: a kill never leaves a truncated CSV.
		if err := atomicfile.WriteBytes(prefix+f.suffix, f.data); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	return nil
}

// sortedTasks returns the tasks in Locust's order: by name, then method.
func sortedTasks(tasks []summary.TaskStats) []summary.TaskStats {
	out := append([]summary.TaskStats(nil), tasks...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Method < out[j].Method
	})
	return out
}

func statsCSV(s *summary.Run) ([]byte, error) {
	var b bytes.Buffer
	writeCSVRow(&b, statsColumns)
	for _, t := range sortedTasks(s.Tasks) {
		writeCSVRow(&b, statsRow(t.Method, t.Name, t.Requests, t.Failures, t.Latency, t.AvgContentSize, t.RPS))
	}
	lat, ok, err := summary.AggregateLatency(s.Tasks)
	if err != nil {
		return nil, err
	}
	if !ok {
		lat = s.Actual.Latency
	}
	writeCSVRow(&b, statsRow("", aggregatedName, s.Actual.Requests, s.Actual.Failures, lat, avgContentSize(s.Tasks), s.Actual.RPS))
	return b.Bytes(), nil
}

// avgContentSize is the mean response size over all requests.
func avgContentSize(tasks []summary.TaskStats) float64 {
	var n int64
	var sum float64
	for _, t := range tasks {
		n += t.Requests
		sum += t.AvgContentSize * float64(t.Requests)
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// statsRow is one row of PREFIX_stats.csv. Failures/s shares the requests' time base.
func statsRow(method, name string, requests, failures int64, l summary.Percentiles, content, rps float64) []string {
	fps := 0.0
	if requests > 0 {
		fps = rps * float64(failures) / float64(requests)
	}
	row := []string{method, name, itoa(requests), itoa(failures)}
	if requests == 0 {
		row = append(row, "0", "0.0", "0", "0", "0", "0.0", "0.0")
	} else {
		row = append(row, locustMS(l.P50), pyFloat(l.Avg), pyFloat(l.Min), pyFloat(l.Max), pyFloat(content), pyFloat(rps), pyFloat(fps))
	}
	return append(row, percentileCells(requests, l)...)
}

// percentileCells are the 50% ... 100% cells: whole milliseconds, N/A without requests.
func percentileCells(requests int64, l summary.Percentiles) []string {
	vs := []float64{l.P50, l.P66, l.P75, l.P80, l.P90, l.P95, l.P98, l.P99, l.P99_9, l.P99_99, l.Max}
	out := make([]string, len(vs))
	for i, v := range vs {
		if requests == 0 {
			out[i] = notAvailable
		} else {
			out[i] = locustMS(v)
		}
	}
	return out
}

func failuresCSV(s *summary.Run) []byte {
	var b bytes.Buffer
	writeCSVRow(&b, failuresColumns)
	for _, f := range summary.SortedFailures(s.Failures) {
		writeCSVRow(&b, []string{f.Method, f.Task, f.Error, itoa(f.Occurrences)})
	}
	return b.Bytes()
}

func costCSV(s *summary.Run) []byte {
	var b bytes.Buffer
	writeCSVRow(&b, costColumns)
	for _, t := range sortedTasks(s.Tasks) {
		writeCSVRow(&b, append([]string{t.Method, t.Name, itoa(t.Requests), itoa(t.Tokens.Input), itoa(t.Tokens.Output),
			itoa(t.Tokens.CacheRead), itoa(t.Tokens.CacheWrite), t.Cost.String(), decimalOrNA(t.CostPerRequest),
			t.CostSource, t.CostEstimated.String()}, goodputCells(t.Goodput)...))
	}
	a := s.Actual
	writeCSVRow(&b, append([]string{"", aggregatedName, itoa(a.Requests), itoa(a.Tokens.Input), itoa(a.Tokens.Output),
		itoa(a.Tokens.CacheRead), itoa(a.Tokens.CacheWrite), a.Cost.String(), decimalOrNA(a.CostPerRequest),
		"", a.CostEstimated.String()}, goodputCells(a.Goodput)...))
	return b.Bytes()
}

// goodputCells are the cost file's goodput columns (issue 16), after Locust-independent
// ones: N/A for a summary written before loadplan knew of goodput, or a figure without a
// divisor (no request, no good request).
func goodputCells(g *summary.Goodput) []string {
	if g == nil {
		return []string{"N/A", "N/A", "N/A", "N/A", "N/A", "N/A"}
	}
	att, per1k := "N/A", "N/A"
	if g.SLOAttainment != nil {
		att = strconv.FormatFloat(*g.SLOAttainment, 'f', -1, 64)
	}
	if g.CostPerGoodRequest != nil {
		per1k = g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000)).String()
	}
	return []string{itoa(g.Good), att, strconv.FormatFloat(g.GoodputRPS, 'f', 2, 64), decimalOrNA(g.CostPerGoodRequest),
		per1k, g.WastedCost.String()}
}

// Close closes the file. Closing twice is harmless.
func (h *StatsHistory) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", h.path, err)
	}
	return nil
}

// writeCSVRow writes a row as Python's csv module does by default: a field is quoted only
// when it holds a comma, a quote or a line break, quotes are doubled, and the line ends with
// CRLF.
func writeCSVRow(b *bytes.Buffer, fields []string) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"\r\n") {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(f, `"`, `""`))
			b.WriteByte('"')
		} else {
			b.WriteString(f)
		}
	}
	b.WriteString("\r\n")
}

func csvBytes(fields []string) []byte {
	var b bytes.Buffer
	writeCSVRow(&b, fields)
	return b.Bytes()
}

// locustMS writes a time as Locust's median and percentile cells do: whole milliseconds.
func locustMS(ms float64) string {
	if math.IsNaN(ms) || ms < 0 {
		return "0"
	}
	return strconv.FormatInt(int64(math.Round(ms)), 10)
}

// pyFloat writes a float as Python's repr does ("5.0", "0.1", "1e-05", "1e+16"), the format of
// Locust's float cells.
func pyFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(x, 'e', -1, 64)
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// decimalOrNA writes an optional amount at full precision, N/A when unknown.
func decimalOrNA(d *decimal.Decimal) string {
	if d == nil {
		return notAvailable
	}
	return d.String()
}
