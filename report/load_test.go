package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSummaryBadInput(t *testing.T) {
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
			_, err := ReadSummary(p)
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
	if _, err := ReadSummary(filepath.Join(dir, "nope.json")); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadSummaryRoundTrip(t *testing.T) {
	s := testSummary(t, "smoke.json")
	var b strings.Builder
	if err := WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	back, err := ParseSummary("x.json", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Actual.Cost.Equal(s.Actual.Cost) || len(back.Tasks) != len(s.Tasks) || back.Tasks[0].Histogram != s.Tasks[0].Histogram {
		t.Error("the summary does not survive a round trip")
	}
}
