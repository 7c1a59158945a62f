//go:build unix

package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
)

// TestClosedStdoutPipe: loadplan run writing into a pipe whose reader has gone (| head -1)
// is not killed by SIGPIPE: it runs, writes its reports, and exits 5 (its output was lost).
func TestClosedStdoutPipe(t *testing.T) {
	t.Parallel()
	exe := loadplanBinary(t)
	base := startFleetMock(t, "default", 0.01)
	dir := t.TempDir()
	planFile := writeJournalPlan(t, dir, base, "1s")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before anything is written
	defer w.Close()
	out := filepath.Join(dir, "run.json")
	cmd := exec.Command(exe, "run", planFile, "--scenario", "long", "--json", out)
	cmd.Stdout = w
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	if code := exitCodeOf(err); code != 5 {
		t.Fatalf("exit %d (%v), want 5; stderr: %s", code, err, msg)
	}
	s, err := summary.Read(out)
	if err != nil {
		t.Fatalf("no report after a closed stdout: %v", err)
	}
	if s.ExitCode != 5 || s.Actual.Requests == 0 {
		t.Errorf("the report says exit %d after %d requests; want 5 after some", s.ExitCode, s.Actual.Requests)
	}
	if !strings.Contains(string(msg), "broken pipe") {
		t.Errorf("stderr does not say stdout failed: %s", msg)
	}
}
