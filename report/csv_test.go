package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// firstLine is a file's first line with its line ending.
func firstLine(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return string(b)
	}
	return string(b[:i+1])
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestWriteCSVHeadersMatchLocust(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	prefix := filepath.Join(t.TempDir(), "results")
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	h, err := NewStatsHistory(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{StatsSuffix, FailuresSuffix, ExceptionsSuffix, StatsHistorySuffix} {
		t.Run(suffix, func(t *testing.T) {
			got := firstLine(t, prefix+suffix)
			want := firstLine(t, filepath.Join("testdata", "locust", "results"+suffix))
			if got != want {
				t.Errorf("header of %s:\n got %q\nwant %q", suffix, got, want)
			}
		})
	}
	if got, want := firstLine(t, prefix+CostSuffix), "Type,Name,Request Count,Input Tokens,Output Tokens,Cache Read Tokens,Cache Write Tokens,Cost USD,Cost/Request USD,Cost Source,Estimated Cost USD,Good Requests,SLO Attainment,Goodput RPS,Cost/Good Request USD,Cost/1k Good USD,Wasted Cost USD\r\n"; got != want {
		t.Errorf("cost header:\n got %q\nwant %q", got, want)
	}
	// The exceptions file is Locust's header alone: a loadplan run raises no Python exceptions.
	if b, _ := os.ReadFile(prefix + ExceptionsSuffix); string(b) != "Count,Message,Traceback,Nodes\r\n" {
		t.Errorf("exceptions: %q", b)
	}
}

func TestWriteCSVGolden(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	prefix := filepath.Join(t.TempDir(), "smoke")
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{StatsSuffix, FailuresSuffix, CostSuffix} {
		b, err := os.ReadFile(prefix + suffix)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "golden/smoke"+suffix, b)
	}
}

func TestStatsCSVRows(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	prefix := filepath.Join(t.TempDir(), "r")
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, prefix+StatsSuffix)
	if len(rows) != len(s.Tasks)+2 {
		t.Fatalf("%d rows, want header + %d tasks + Aggregated", len(rows), len(s.Tasks))
	}
	for i := 2; i < len(rows)-1; i++ {
		if a, b := rows[i-1][1], rows[i][1]; a > b {
			t.Errorf("rows not sorted by name: %q before %q", a, b)
		}
	}
	agg := rows[len(rows)-1]
	if agg[0] != "" || agg[1] != "Aggregated" {
		t.Fatalf("last row %q, want the Aggregated row with an empty Type", agg[:2])
	}
	if agg[2] != strconv.FormatInt(s.Actual.Requests, 10) || agg[3] != strconv.FormatInt(s.Actual.Failures, 10) {
		t.Errorf("Aggregated counts %s/%s, want %d/%d", agg[2], agg[3], s.Actual.Requests, s.Actual.Failures)
	}
	// Percentiles are Locust's whole milliseconds; the aggregated ones come from the merge of
	// the tasks' histograms, not from any average of their percentiles.
	var encs []string
	for _, task := range s.Tasks {
		encs = append(encs, task.Histogram)
	}
	h, err := summary.MergeHistograms(encs)
	if err != nil {
		t.Fatal(err)
	}
	for col, q := range map[int]float64{11: 50, 16: 95, 18: 99} {
		// Within the exact min and max, as the aggregate keeps them.
		want := min(max(float64(h.ValueAtQuantile(q))/1000, s.Actual.Latency.Min), s.Actual.Latency.Max)
		if got := agg[col]; got != locustMS(want) {
			t.Errorf("Aggregated %s = %s, want %s from the merged histogram", rows[0][col], got, locustMS(want))
		}
	}
	for _, r := range rows[1:] {
		for c := 11; c < len(r); c++ {
			if _, err := strconv.Atoi(r[c]); err != nil {
				t.Errorf("%s %s: %q is not whole milliseconds", r[1], rows[0][c], r[c])
			}
		}
		if _, err := strconv.Atoi(r[4]); err != nil {
			t.Errorf("%s median %q is not whole milliseconds", r[1], r[4])
		}
		if !strings.Contains(r[5], ".") {
			t.Errorf("%s average %q is not a Python float", r[1], r[5])
		}
	}
}

func TestCostCSVTotalEqualsSummary(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"smoke.json", "smoke_after.json", "worker1.json"} {
		t.Run(name, func(t *testing.T) {
			s := testSummary(t, name)
			prefix := filepath.Join(t.TempDir(), "r")
			if err := WriteCSV(prefix, s); err != nil {
				t.Fatal(err)
			}
			rows := readCSV(t, prefix+CostSuffix)
			sum := decimal.Zero
			for _, r := range rows[1 : len(rows)-1] {
				d, err := decimal.NewFromString(r[7])
				if err != nil {
					t.Fatalf("%s: cost %q: %v", r[1], r[7], err)
				}
				sum = sum.Add(d)
			}
			agg := rows[len(rows)-1]
			if agg[1] != "Aggregated" {
				t.Fatalf("last row %q", agg)
			}
			total, err := decimal.NewFromString(agg[7])
			if err != nil {
				t.Fatal(err)
			}
			if !total.Equal(s.Actual.Cost) {
				t.Errorf("Aggregated cost %s, summary %s", total, s.Actual.Cost)
			}
			if !sum.Equal(s.Actual.Cost) {
				t.Errorf("rows add up to %s, summary %s", sum, s.Actual.Cost)
			}
		})
	}
}

func TestStatsHistoryConcurrent(t *testing.T) {
	t.Parallel()
	h, err := NewStatsHistory(filepath.Join(t.TempDir(), "c"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 25; j++ {
				_ = h.Add(time.Unix(int64(j), 0), summary.Progress{Users: j, Tasks: []summary.TaskProgress{{Name: "a", Method: "GET", Requests: 1}}, Total: summary.TaskProgress{Requests: 1}})
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	b, err := os.ReadFile(h.Path())
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(b), "\r\n")
	if n != strings.Count(string(b), "\n") {
		t.Error("a line is not CRLF-terminated")
	}
	if n != 1+4*25*2 {
		t.Errorf("%d lines, want %d", n, 1+4*25*2)
	}
}

func TestWriteCSVUnwritable(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	err := WriteCSV(filepath.Join(t.TempDir(), "no", "such", "dir", "r"), s)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v", err)
	}
}

func TestPyFloat(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{0: "0.0", 2: "2.0", 5.268838389264718: "5.268838389264718", 0.1: "0.1",
		1e-05: "1e-05", 1.5e16: "1.5e+16", 208.6950687688695: "208.6950687688695", -3: "-3.0", 0.0001: "0.0001"} {
		if got := pyFloat(x); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestCSVQuoting(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	writeCSVRow(&b, []string{"GET", "/v1/messages [bad json]", `HTTPError('400, "bad"')`, "a\nb", ""})
	if got, want := b.String(), "GET,/v1/messages [bad json],\"HTTPError('400, \"\"bad\"\"')\",\"a\nb\",\r\n"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestWriteCSVAtomic: each CSV file is replaced by a rename (a new file), never truncated
// and rewritten in place, so a kill never leaves a truncated CSV; a reader holding the old
// file still reads it whole.
func TestWriteCSVAtomic(t *testing.T) {
	t.Parallel()
	s := testSummary(t, "smoke.json")
	dir := t.TempDir()
	prefix := filepath.Join(dir, "r")
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(prefix + StatsSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	before, _ := old.Stat()
	if err := WriteCSV(prefix, s); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(prefix + StatsSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("the stats CSV was rewritten in place, not replaced whole")
	}
	if b, err := io.ReadAll(old); err != nil || int64(len(b)) != before.Size() {
		t.Errorf("the old file read %d bytes of %d: %v", len(b), before.Size(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files, want the 4 CSV files and no temporary one", len(entries))
	}
}
