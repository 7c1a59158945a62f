package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
)

const reportData = "../../report/testdata/"

func TestReportCommandGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"report_smoke.golden", []string{"report", reportData + "smoke.json"}},
		{"report_compare.golden", []string{"report", "compare", reportData + "smoke.json", reportData + "smoke_after.json"}},
		{"report_history.golden", []string{"report", "history", reportData + "runs.jsonl", "--scenario", "smoke"}},
		{"report_locust.golden", []string{"report", "locust", reportData + "locust/results_stats.csv", "--plan", reportData + "locust/plan.yaml"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tc.golden, []byte(out))
		})
	}
}

func TestReportWritesFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	html, prefix := filepath.Join(dir, "r.html"), filepath.Join(dir, "r")
	code, out, errOut := runCLI(t, "report", reportData+"smoke.json", "--html", html, "--csv", prefix, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := summary.Parse("stdout", []byte(out)); err != nil {
		t.Errorf("--output json is not a summary: %v", err)
	}
	for _, f := range []string{html, prefix + "_stats.csv", prefix + "_failures.csv", prefix + "_exceptions.csv", prefix + "_cost.csv"} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestReportMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	code, stdout, errOut := runCLI(t, "report", "merge", reportData+"worker1.json", reportData+"worker2.json", "--json", out, "--html", filepath.Join(dir, "run.html"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "Merged 2 summaries") || !strings.Contains(stdout, "Aggregated") {
		t.Errorf("stdout:\n%s", stdout)
	}
	m, err := summary.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	w1, _ := summary.Read(reportData + "worker1.json")
	w2, _ := summary.Read(reportData + "worker2.json")
	if m.Actual.Requests != w1.Actual.Requests+w2.Actual.Requests || !m.Actual.Cost.Equal(w1.Actual.Cost.Add(w2.Actual.Cost)) {
		t.Errorf("merged %d requests, %s", m.Actual.Requests, m.Actual.Cost)
	}
	// The merge of one scenario's workers only.
	code, _, errOut = runCLI(t, "report", "merge", reportData+"worker1.json", reportData+"smoke.json", "--json", out)
	if code != exitUsage || !strings.Contains(errOut, "smoke.json") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestReportCompareJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "report", "compare", reportData+"smoke.json", reportData+"smoke_after.json", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var c report.Comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Changes) == 0 || c.Before.File == "" {
		t.Errorf("%+v", c)
	}
}

func TestReportBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	smoke, err := os.ReadFile(reportData + "smoke.json")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v2 := write("v2.json", strings.Replace(string(smoke), "loadplan.run/v1", "loadplan.run/v2", 1))
	cut := write("cut.json", string(smoke[:len(smoke)/2]))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"another schema version", []string{"report", v2}, exitUsage, []string{"v2.json", "loadplan.run/v2", "loadplan.run/v1"}},
		{"truncated", []string{"report", cut}, exitUsage, []string{"cut.json", "truncated"}},
		{"compare a truncated file", []string{"report", "compare", reportData + "smoke.json", cut}, exitUsage, []string{"cut.json", "truncated"}},
		{"merge another version", []string{"report", "merge", reportData + "worker1.json", v2, "--json", filepath.Join(dir, "m.json")}, exitUsage, []string{"v2.json"}},
		{"locust without the columns", []string{"report", "locust", reportData + "locust/results_failures.csv", "--plan", reportData + "locust/plan.yaml"}, exitUsage, []string{"results_failures.csv", `"Request Count"`}},
		{"locust without a plan", []string{"report", "locust", reportData + "locust/results_stats.csv"}, exitUsage, []string{"--plan"}},
		{"history of a summary", []string{"report", "history", reportData + "smoke.json"}, exitUsage, []string{"smoke.json"}},
		{"history of an unknown scenario", []string{"report", "history", reportData + "runs.jsonl", "--scenario", "peak"}, exitUsage, []string{"peak", "smoke"}},
		{"no file", []string{"report"}, exitUsage, []string{"compare, history, merge, locust"}},
		{"a misspelt subcommand", []string{"report", "comapre"}, exitUsage, []string{"comapre", "subcommands"}},
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, exitUsage, []string{"nope.json"}},
		{"merge without --json", []string{"report", "merge", reportData + "worker1.json", reportData + "worker2.json"}, exitUsage, []string{"--json"}},
		{"bad --output", []string{"report", reportData + "smoke.json", "-o", "yaml"}, exitUsage, []string{"--output"}},
		{"unwritable --html", []string{"report", reportData + "smoke.json", "--html", filepath.Join(dir, "no", "such", "r.html")}, exitFailed, []string{"--html", "r.html"}},
		{"unwritable --csv", []string{"report", reportData + "smoke.json", "--csv", filepath.Join(dir, "no", "such", "r")}, exitFailed, []string{"--csv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

func TestReportHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"", "compare", "history", "merge", "locust"} {
		args := []string{"report"}
		if sub != "" {
			args = append(args, sub)
		}
		code, out, _ := runCLI(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "loadplan report "+sub) {
			t.Errorf("report %s --help: exit %d\n%s", sub, code, out)
		}
	}
}
