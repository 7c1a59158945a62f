package summary

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSummaryBadInput(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile("testdata/smoke.json")
	if err != nil {
		t.Fatal(err)
	}
	text := string(good)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"another version", strings.Replace(text, "loadplan.run/v1", "loadplan.run/v2", 1), []string{"schema loadplan.run/v2 is not supported", "reads loadplan.run/v1"}},
		{"an estimate", `{"schema": "loadplan.estimate/v1", "plan": "x", "scenarios": []}`, []string{"loadplan.estimate/v1", "want loadplan.run/v1"}},
		{"truncated", text[:len(text)/3], []string{"truncated", "at byte", "(line "}},
		{"empty", "", []string{"empty file"}},
		{"an array", "[1, 2]", []string{"not a run summary", "array"}},
		{"invalid", "{\n  \"schema\": \"loadplan.run/v1\",\n  oops\n}", []string{":3:3:", "invalid JSON"}},
		{"no schema", `{"plan": "x"}`, []string{`no "schema" key`, "its keys: plan"}},
		{"missing keys", `{"schema": "loadplan.run/v1", "plan": "x"}`, []string{`missing "scenario", "started_at", "stop_reason", "actual", "tasks"`}},
		{"wrong type", strings.Replace(text, `"requests": 124`, `"requests": "124"`, 1), []string{`"actual.requests"`, "want an integer", ":"}},
		{"bad money", strings.Replace(text, `"cost": "0.7`, `"cost": "x0.7`, 1), []string{"not a run summary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(p)
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
	if _, err := Read(filepath.Join(dir, "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestTestdataRoundTrip: summaries saved by loadplan.run/v1 read, and written again they are
// the same bytes: every key and value survives, money to its last digit.
func TestTestdataRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"smoke.json", "worker1.json", "worker2.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(name, want)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetIndent("", "  ")
			if err := enc.Encode(s); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s does not survive a round trip:\n%s", name, firstDifference(b.Bytes(), want))
			}
		})
	}
}

// TestReadHistory: a run history given as a summary is named as one, with the command that
// reads it.
func TestReadHistory(t *testing.T) {
	t.Parallel()
	line := `{"schema":"loadplan.history/v1","plan":"p","scenario":"s","started_at":"2026-03-02T09:00:00Z","cost":"0.1"}`
	_, err := Parse("runs.jsonl", []byte(line+"\n"+line+"\n"))
	if err == nil || !strings.Contains(err.Error(), "runs.jsonl is a run history (schema loadplan.history/v1)") ||
		!strings.Contains(err.Error(), "loadplan report history runs.jsonl") {
		t.Errorf("err = %v", err)
	}
}

// firstDifference shows where got and want part.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-80, 0)
	return "got:  ..." + string(got[from:min(i+80, len(got))]) + "\nwant: ..." + string(want[from:min(i+80, len(want))])
}
