package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFlagLimits: the command line's numbers are held to the plan's limits. --spawn-rate NaN
// and --arrival-rate 1e308/s printed NAN and +INF, then "$0.00 within budget", exit 0: a CI
// gate that passed on nonsense; --users 9223372036854775807 printed a negative count.
func TestFlagLimits(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, `version: 1
target: mock://
budget: 1
tasks: {t: {request: {path: /x}, price: 0.001}}
scenarios:
  closed: {users: 2, duration: 1m, wait: {pacing: 1s}}
  open: {arrival_rate: 1/s, duration: 1m}
`, "")
	adHoc := []string{"estimate", "--users", "5", "--run-time", "1m", "--price", "0.01"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"users past int64", []string{"estimate", plan, "-s", "closed", "--users", "9223372036854775807"}, "--users: 9223372036854775807 users is too many; at most 10000000 per process"},
		{"spawn rate NaN", []string{"estimate", plan, "-s", "closed", "--spawn-rate", "NaN"}, "--spawn-rate: NaN is not a number"},
		{"spawn rate Inf", []string{"estimate", plan, "-s", "closed", "--spawn-rate", "+Inf"}, "--spawn-rate: +Inf is not a number"},
		{"spawn rate 1e308", []string{"estimate", plan, "-s", "closed", "--spawn-rate", "1e308"}, "--spawn-rate: 1e+308 per second is too fast"},
		{"arrival rate 1e308/s", []string{"estimate", plan, "-s", "open", "--arrival-rate", "1e308/s"}, `--arrival-rate: "1e308/s" is too fast; a rate is at most 10000000/s`},
		{"arrival rate NaN", []string{"estimate", plan, "-s", "open", "--arrival-rate", "NaN/s"}, `--arrival-rate: "NaN/s" is not a rate`},
		{"run time 2562047h", []string{"estimate", plan, "-s", "closed", "--run-time", "2562047h"}, "--run-time: 2562047h0m0s is longer than a year"},
		{"ad-hoc rate 1e308/s", append(adHoc, "--rate", "1e308/s"), `--rate: "1e308/s" is too fast`},
		{"ad-hoc rate of one a century", append(adHoc, "--rate", "0.0000000003/s"), "slower than one request a year per user"},
		{"ad-hoc tokens", []string{"estimate", "--users", "5", "--run-time", "1m", "--rate", "1/s", "--model", "claude-haiku-4-5",
			"--input-tokens", "4611686018427387904", "--output-tokens", "5"}, "--input-tokens: 4611686018427387904 tokens is too many; at most 100000000 per request"},
		{"run: users past int64", []string{"run", plan, "-s", "closed", "--users", "9223372036854775807"}, "--users: 9223372036854775807 users is too many"},
		{"run: stop timeout", []string{"run", plan, "-s", "closed", "--stop-timeout", "2562047h"}, "--stop-timeout: 2562047h0m0s is longer than a year"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
			if strings.Contains(out, "within budget") || strings.Contains(strings.ToUpper(out), "INF") || strings.Contains(strings.ToUpper(out), "NAN") {
				t.Errorf("an estimate of nonsense:\n%s", out)
			}
		})
	}
}

// TestPlanLimitsInRun: users: 9223372036854775807 made run panic (index -1) and leave a
// 0-byte --json; it is a located plan error, exit 2, before anything is written.
func TestPlanLimitsInRun(t *testing.T) {
	t.Parallel()
	plan := writePlan(t, "version: 1\ntarget: mock://\ntasks: {t: {request: {path: /x}, price: free}}\nscenarios: {s: {users: 9223372036854775807, duration: 1s}}\n", "")
	js := filepath.Join(t.TempDir(), "out.json")
	code, _, errOut := runCLI(t, "run", plan, "--no-budget", "--json", js)
	if code != exitUsage || !strings.Contains(errOut, "plan.yaml:4:24: scenarios.s.users: 9223372036854775807 is too large; the largest valid value is 10000000") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(js); err == nil {
		t.Errorf("--json written for a plan that does not load")
	}
}

// TestInputsThatAreNotFiles: validate /dev/zero read for ever, a FIFO hung it, --prices
// /dev/zero too; each is refused at once, named.
func TestInputsThatAreNotFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		for _, args := range [][]string{
			{"validate", path},
			{"estimate", path},
			{"prices", "--prices", path},
			{"estimate", "--users", "1", "--run-time", "1m", "--rate", "1/s", "--price", "1", "--prices", path},
			{"validate", example, "--prices", path},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, _, errOut := runCLI(t, args...)
				if code != exitUsage || !strings.Contains(errOut, path) || !strings.Contains(errOut, "not a regular file") {
					t.Errorf("exit %d, stderr %q; want 2, naming %s, not a regular file", code, errOut, path)
				}
			})
		}
	}
}

// TestValidateCapsProblems: a file of 100,000 mistakes is 50 lines and a count, and the
// header counts them all.
func TestValidateCapsProblems(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\ntarget: mock://\ntasks: {t: {request: {path: /x}, price: free}}\nscenarios: {s: {users: 1, duration: 1s}}\n")
	for i := range 2_000 { // the decoder at 100,000 keys: plan.TestProblemsAreCapped
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	plan := writePlan(t, b.String(), "")
	code, _, errOut := runCLI(t, "validate", plan)
	if code != exitUsage || !strings.Contains(errOut, "has 2000 problems:") || !strings.Contains(errOut, "and 1950 more problems (the first 50 are shown)") {
		t.Fatalf("exit %d: %.500s", code, errOut)
	}
	if n := strings.Count(errOut, "\n"); n > 55 {
		t.Errorf("%d lines of stderr", n)
	}
}
