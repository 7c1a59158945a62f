package main

import (
	"os"
	"testing"

	"github.com/loadplan/loadplan/internal/testenv"
)

// Many tests here run loadplan run for a second or two against a local server or the mock:
// they wait on the clock far more than they compute, so they run in parallel, more at once
// than the machine has cores.
func TestMain(m *testing.M) {
	testenv.WaitingTests(8)
	code := m.Run()
	removeBinary()
	os.Exit(code)
}
