package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseSeconds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"10", 10 * time.Second}, // Locust's -t 10: ten seconds
		{"2.5", 2500 * time.Millisecond},
		{"30s", 30 * time.Second},
		{"1h20m", 80 * time.Minute},
	} {
		got, err := parseSeconds(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := parseSeconds("ten"); err == nil || !strings.Contains(err.Error(), "give seconds (10)") {
		t.Errorf("parseSeconds(ten): %v", err)
	}
}

// TestLocustCommandLine: -f PLAN and -t 10 as locust takes them.
func TestLocustCommandLine(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "estimate", "-f", example, "-s", "smoke", "-t", "10", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var est struct {
		Scenarios []struct {
			Duration string `json:"duration"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(stdout), &est); err != nil || len(est.Scenarios) != 1 || est.Scenarios[0].Duration != "10s" {
		t.Errorf("-t 10: %+v %v\n%s", est, err, stdout)
	}
	if code, _, stderr := runCLI(t, "validate", "-f", example); code != 0 {
		t.Errorf("validate -f: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "validate", "-f", example, example); code != 2 || !strings.Contains(stderr, "given twice") {
		t.Errorf("validate -f PLAN PLAN: exit %d\n%s", code, stderr)
	}
}

// TestForeignFlagHints: a Locust or k6 flag loadplan lacks gets loadplan's way.
func TestForeignFlagHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"run", example, "--vus", "10"}, "--vus is a Locust or k6 flag; in loadplan: --users (-u)"},
		{[]string{"run", example, "--web-port", "8089"}, "loadplan has no web UI"},
		{[]string{"run", example, "--master"}, "--ledger redis://"},
		{[]string{"run", example, "--processes", "4"}, "loadplan k8s"},
		{[]string{"run", example, "--loglevel", "DEBUG"}, "--quiet"},
		{[]string{"run", example, "--iterations", "5"}, "no iteration count"},
		{[]string{"run", example, "-d", "10s"}, "-d: in loadplan, --run-time (-t)"},
		{[]string{"estimate", example, "--host", "http://x"}, "--host is a flag of loadplan run"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.hint) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tc.args, code, stderr, tc.hint)
		}
	}
}

// TestRunHeadlessStopTimeoutSeconds: --headless is accepted, --stop-timeout 5 is seconds,
// --csv-full-history needs --csv.
func TestRunLocustFlags(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	plan := writePlan(t, failingPlan, srv.URL)
	code, stdout, stderr := runCLI(t, "run", "-f", plan, "--headless", "--stop-timeout", "5", "-t", "0.2", "--quiet")
	if code != 0 || !strings.Contains(stdout, "failing/s: PASS") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "run", plan, "--csv-full-history")
	if code != exitUsage || !strings.Contains(stderr, "--csv-full-history needs --csv") {
		t.Errorf("--csv-full-history alone: exit %d %s", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, _ := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(stdout, "loadplan ") || strings.HasPrefix(stdout, "loadplan dev") {
			t.Errorf("%v: exit %d %q", args, code, stdout)
		}
	}
}

// TestCompletion: --scenario completes the plan's scenarios, --profile the mock's profiles,
// --output its formats, --model the catalog's models.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "run", example, "--scenario", ""}, "smoke\nnormal\n"},
		{[]string{"__complete", "estimate", "-f", example, "--scenario", ""}, "smoke\n"},
		{[]string{"__complete", "run", example, "--profile", ""}, "flaky\n"},
		{[]string{"__complete", "estimate", "--output", ""}, "json\n"},
		{[]string{"__complete", "estimate", "--model", "claude-son"}, "claude-sonnet-4-5"},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("%v: exit %d %q %q; want %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}
