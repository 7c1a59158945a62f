package report

import (
	"bytes"
	"flag"
	goldenfile "github.com/loadplan/loadplan/internal/golden"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
)

var update = flag.Bool("update", false, "rewrite the golden files and the test summaries under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

// The test summaries: realistic runs of examples/ai-service.yaml (see simulate).
var testSpecs = map[string]simSpec{
	// A smoke run with a few rate-limited requests and failed checks.
	"smoke.json": {scenario: "smoke", seed: 42, start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		fail429: 0.008, checkFail: 0.008, slowFrom: 14, slowTo: 19},
	// The same after an optimisation: a longer cached prefix hits more often, shorter replies.
	"smoke_after.json": {scenario: "smoke", seed: 43, start: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC),
		hitRate: 0.92, outScale: 0.8, latScale: 0.85},
	// Two workers that ran the normal scenario together, 25 users each, for 2 minutes.
	"worker1.json": {scenario: "normal", seed: 7, users: 25, duration: 2 * time.Minute, start: time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC), fail429: 0.01},
	"worker2.json": {scenario: "normal", seed: 8, users: 25, duration: 2 * time.Minute, start: time.Date(2026, 3, 3, 14, 0, 0, 120e6, time.UTC), fail429: 0.01},
}

var (
	testdataOnce sync.Once
	testdataErr  error
)

// testSummary reads testdata/name, regenerating every test summary first under -update.
func testSummary(t *testing.T, name string) *summary.Run {
	t.Helper()
	if *update {
		testdataOnce.Do(func() { testdataErr = generateTestdata(t) })
		if testdataErr != nil {
			t.Fatal(testdataErr)
		}
	}
	s, err := summary.Read(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func generateTestdata(t *testing.T) error {
	for name, sp := range testSpecs {
		s := simulate(t, sp)
		var b bytes.Buffer
		if err := WriteJSON(&b, s); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("testdata", name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	// A history: a week of daily smoke runs as the cache is tuned, and three normal runs, the
	// last stopped by its budget.
	path := filepath.Join("testdata", "runs.jsonl")
	_ = os.Remove(path)
	day := time.Date(2026, 2, 23, 6, 0, 0, 0, time.UTC)
	for i := 0; i < 7; i++ {
		s := simulate(t, simSpec{scenario: "smoke", seed: uint64(100 + i), start: day.AddDate(0, 0, i),
			hitRate: 0.55 + 0.06*float64(i), outScale: 1.1 - 0.04*float64(i), fail429: 0.01})
		if err := AppendHistory(path, s); err != nil {
			return err
		}
		if i%3 == 1 {
			n := simulate(t, simSpec{scenario: "normal", seed: uint64(200 + i), users: 20, duration: 90 * time.Second,
				start: day.AddDate(0, 0, i).Add(2 * time.Hour), hitRate: 0.6 + 0.05*float64(i)})
			if i == 4 {
				n.StopReason, n.ExitCode, n.Partial = summary.StopBudgetExhausted, 4, true
			}
			if err := AppendHistory(path, n); err != nil {
				return err
			}
		}
	}
	return nil
}
