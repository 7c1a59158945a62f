// Package testenv lets a test say what it needs from the machine beyond Go. Locally, a test
// whose program is missing is skipped with the program's name in its message; when the
// environment variable CI is set, it fails instead, so that CI can never pass by skipping.
//
//	bin := testenv.NeedProgram(t, "chromium", "chromium-browser", "google-chrome")
package testenv

import (
	"os"
	"os/exec"
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
