package main

import (
	"bytes"
	"flag"
	goldenfile "github.com/loadplan/loadplan/internal/golden"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, name, got, *update)
}

// runCLI runs the whole command tree in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(string) (string, bool) { return "", false }
	code := MainIO(args, &IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, Env: env})
	return code, out.String(), errOut.String()
}
