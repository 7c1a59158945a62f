package main

import (
	"net"
	"strings"
	"testing"
)

// TestRunUnreachableNoRates: an unreachable target gives a clear error and no table of
// rates made of refused connections.
func TestRunUnreachableNoRates(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	code, stdout, stderr := runCLI(t, "run", writePlan(t, runPlan, url), "--scenario", "quick")
	if code != exitFailed || !strings.Contains(stderr, "target "+url+" unreachable: connection refused") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "No response from the target") || strings.Contains(stdout, "Aggregated") || strings.Contains(stdout, "RPS") {
		t.Errorf("summary:\n%s", stdout)
	}
}
