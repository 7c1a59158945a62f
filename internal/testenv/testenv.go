// Package testenv lets a test say what it needs from the machine beyond Go. Locally, a test
// whose program is missing is skipped with the program's name in its message; when the
// environment variable CI is set, it fails instead, so that CI can never pass by skipping.
//
//	bin := testenv.NeedProgram(t, "chromium", "chromium-browser", "google-chrome")
//
// A package whose tests mostly wait on the wall clock lets more of them run at once than the
// machine has cores:
//
//	func TestMain(m *testing.M) { testenv.WaitingTests(8); os.Exit(m.Run()) }
package testenv

import (
	"flag"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// NeedProgram returns the path of the first of names found on PATH. When none is found it
// skips the test, naming them, or fails it when CI is set.
func NeedProgram(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "needs " + strings.Join(names, " or ") + " on PATH, which is not there"
	if InCI() {
		t.Fatalf("%s: CI must install it (CI=%s)", msg, os.Getenv("CI"))
	}
	t.Skipf("%s: skipped (CI fails instead)", msg)
	return ""
}

// InCI reports whether the tests run in CI: the environment variable CI is set to anything
// but "" or "false", as CI services set it.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// WaitingTests lets up to n parallel tests (t.Parallel) of the package run at once, unless
// -parallel was given. It is for packages whose tests spend their time waiting on the wall
// clock (a scenario's duration, a server's delay), not computing: go test's default,
// GOMAXPROCS, would run them two at a time on a two-core machine, their waits end to end.
// Call it from TestMain, before m.Run.
func WaitingTests(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", strconv.Itoa(n))
	}
}
