package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistoryRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	runs := []string{"smoke.json", "smoke_after.json", "worker1.json"}
	for _, name := range runs {
		if err := AppendHistory(path, testSummary(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(runs) {
		t.Fatalf("%d entries, want %d", len(got), len(runs))
	}
	for i, name := range runs {
		s := testSummary(t, name)
		e := got[i]
		est, _ := summaryEstimate(s)
		switch {
		case e.Schema != HistorySchema, e.Plan != s.Plan, e.Scenario != s.Scenario, !e.StartedAt.Equal(s.StartedAt), e.StopReason != s.StopReason:
			t.Errorf("%s: %+v", name, e)
		case !e.Cost.Equal(s.Actual.Cost), !e.CostPerRequest.Equal(*s.Actual.CostPerRequest), !e.Budget.Equal(s.Budget.Limit), !e.Estimate.Equal(*est.Cost.Expected):
			t.Errorf("%s: money %s %s %s %s", name, e.Cost, e.CostPerRequest, e.Budget, e.Estimate)
		case e.Requests != s.Actual.Requests, e.P95MS != s.Actual.Latency.P95, e.FailureRate != float64(s.Actual.Failures)/float64(s.Actual.Requests):
			t.Errorf("%s: %+v", name, e)
		}
	}
	// The keys of DESIGN.md, money as decimal strings.
	b, _ := os.ReadFile(path)
	line := strings.SplitN(string(b), "\n", 2)[0]
	for _, k := range []string{`"schema":"loadplan.history/v1"`, `"plan":`, `"scenario":`, `"started_at":`, `"stop_reason":`, `"requests":`,
		`"cost":"`, `"estimate":"`, `"budget":"`, `"cost_per_request":"`, `"p95_ms":`, `"failure_rate":`} {
		if !strings.Contains(line, k) {
			t.Errorf("history line lacks %s: %s", k, line)
		}
	}
}

func TestHistoryTableGolden(t *testing.T) {
	t.Parallel()
	testSummary(t, "smoke.json") // regenerates testdata/runs.jsonl under -update
	entries, err := ReadHistory("testdata/runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := HistoryTable(&b, GroupHistory(entries, "")); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden/history.table", b.Bytes())
	smoke := GroupHistory(entries, "smoke")
	if len(smoke) != 1 || len(smoke[0].Runs) != 7 {
		t.Errorf("--scenario smoke: %d series", len(smoke))
	}
	b.Reset()
	if err := WriteHistoryHTML(&b, GroupHistory(entries, "")); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), `class="series"`); n != 6 {
		t.Errorf("%d chart lines, want 3 charts × 2 scenarios", n)
	}
}

func TestReadHistoryBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(good), "\n", 2)[0]
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"other version", first + "\n" + strings.Replace(first, "loadplan.history/v1", "loadplan.history/v2", 1) + "\n", []string{":2:", "loadplan.history/v2", "loadplan.history/v1"}},
		{"truncated line", first + "\n" + first[:len(first)/2] + "\n", []string{":2:", "truncated"}},
		{"a run summary", `{"schema":"loadplan.run/v1"}` + "\n", []string{":1:", "loadplan.run/v1", "loadplan.history/v1"}},
		{"no schema", `{"plan":"x"}` + "\n", []string{":1:", `no "schema"`}},
		{"wrong type", strings.Replace(first, `"requests":`, `"requests":"many","x":`, 1) + "\n", []string{":1:", `"requests"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".jsonl")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadHistory(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Blank lines are fine.
	p := filepath.Join(dir, "blank.jsonl")
	_ = os.WriteFile(p, []byte("\n"+first+"\n\n"), 0o644)
	if es, err := ReadHistory(p); err != nil || len(es) != 1 {
		t.Errorf("blank lines: %v, %d entries", err, len(es))
	}
}

// TestHistoryTornLine: a run killed as it appended leaves its line torn (no newline); the
// reader skips it with a warning, and the next run's line starts a line of its own.
func TestHistoryTornLine(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("testdata/runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(good), "\n", 2)[0]
	p := filepath.Join(t.TempDir(), "runs.jsonl")
	if err := os.WriteFile(p, []byte(first+"\n"+first[:len(first)/2]), 0o644); err != nil {
		t.Fatal(err)
	}
	es, warnings, err := ReadHistoryWarn(p)
	if err != nil || len(es) != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], p+":2: a torn line") {
		t.Fatalf("torn last line: %v, %d entries, warnings %q", err, len(es), warnings)
	}
	s := testSummary(t, "smoke.json")
	if err := AppendHistory(p, s); err != nil {
		t.Fatal(err)
	}
	es, warnings, err = ReadHistoryWarn(p)
	if err != nil || len(es) != 2 || len(warnings) != 1 || es[1].Plan != s.Plan {
		t.Fatalf("after an append: %v, %d entries, warnings %q", err, len(es), warnings)
	}
}
