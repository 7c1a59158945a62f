package summary

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

// readBudget is what parsing a summary of n bytes may cost: encoding/json's maps and
// slices, at a few dozen bytes per byte of input.
var readBudget = fuzzcheck.Budget{AllocBase: 16 << 20, AllocPerByte: 256}

// FuzzRead feeds summary files to Parse (what Read does after reading the file): it must
// never panic, it must stay within readBudget, an error names the file, and a summary it
// returns has every task named. The seeds are small: testdata/smoke.json cut to its first
// task, without its estimate and timeline (the minimiser spends its time on large seeds).
func FuzzRead(f *testing.F) {
	data, err := os.ReadFile("testdata/smoke.json")
	if err != nil {
		f.Fatal(err)
	}
	s, err := Parse("smoke.json", data)
	if err != nil {
		f.Fatal(err)
	}
	s.Estimate, s.Timeline, s.Tasks, s.Failures = json.RawMessage("{}"), nil, s.Tasks[:1], nil
	s.Tasks[0].Histogram, s.Tasks[0].TTFTHistogram = "", ""
	small, err := json.Marshal(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	for _, seed := range []string{
		"",
		"null",
		`{"schema":"loadplan.run/v1"}`,
		`{"schema":"loadplan.history/v1"}` + "\n",
		`{"schema":"loadplan.run/v1","plan":"p","scenario":"s","started_at":"2026-01-01T00:00:00Z","stop_reason":"killed","partial":true,"actual":{"cost":"1.5"},"tasks":[{"name":"a","cost":"0.1","histogram":"HISTFAAAAB"}]}`,
		`{"schema":"loadplan.run/v1","plan":1,"scenario":"s","started_at":"x","stop_reason":"","actual":{},"tasks":[{}]}`,
		`{"schema":"loadplan.run/v1","actual":{"cost":"1e999999999"},"tasks":[[[[]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s *Run
		var err error
		readBudget.Check(t, len(data), func() { s, err = Parse("fuzz.json", data) })
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		if s == nil {
			t.Fatal("no summary and no error")
		}
		for i, task := range s.Tasks {
			if task.Name == "" {
				t.Errorf("tasks[%d] has no name", i)
			}
		}
	})
}
