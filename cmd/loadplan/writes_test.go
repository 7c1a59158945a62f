package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// fullWriter fails every write, the empty one too, as /dev/full does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// countingServer counts the requests it gets.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func devFull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestStdoutWriteFails: a command whose stdout cannot be written exits 5, not 0; a run finds
// out before it sends anything.
func TestStdoutWriteFails(t *testing.T) {
	t.Parallel()
	srv, sent := countingServer(t)
	planPath := writePlan(t, runPlan, srv.URL)
	for _, out := range []struct {
		name string
		w    func(*testing.T) io.Writer
	}{
		{"/dev/full", func(t *testing.T) io.Writer { return devFull(t) }},
		{"a writer that fails", func(*testing.T) io.Writer { return fullWriter{} }},
	} {
		for _, args := range [][]string{
			{"estimate", planPath, "--scenario", "quick"},
			{"estimate", planPath, "--scenario", "quick", "--output", "json"},
			{"validate", planPath},
			{"prices"},
			{"prices", "--output", "json"},
			{"version"},
			{"run", planPath, "--scenario", "quick"},
			{"run", planPath, "--scenario", "quick", "--quiet"},
		} {
			var errOut bytes.Buffer
			code := MainIO(args, &IO{In: bytes.NewReader(nil), Out: out.w(t), ErrOut: &errOut, Env: func(string) (string, bool) { return "", false }})
			if code != exitFailed {
				t.Errorf("%s > %s: exit %d, want 5\n%s", strings.Join(args, " "), out.name, code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "no space left on device") {
				t.Errorf("%s > %s: stderr does not say why: %q", strings.Join(args, " "), out.name, errOut.String())
			}
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("runs whose stdout was not writable sent %d requests", n)
	}
}

// TestOutputProbe: a report file that cannot be written is refused before the run sends
// anything (exit 5), and the probe leaves nothing behind: no file it created, no file of its
// own, and an existing file as it was.
func TestOutputProbe(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	srv, sent := countingServer(t)
	planPath := writePlan(t, runPlan, srv.URL)
	dir := t.TempDir()
	for _, flag := range [][]string{
		{"--json", "/dev/full"},
		{"--html", "/dev/full"},
		{"--history", "/dev/full"},
		{"--csv", "/dev/full/res"},
		{"--csv", filepath.Join(dir, "missing", "res")},
	} {
		code, _, stderr := runCLI(t, append([]string{"run", planPath, "--scenario", "quick", "--quiet"}, flag...)...)
		if code != exitFailed || !strings.Contains(stderr, flag[0]) || !strings.Contains(stderr, "nothing was sent") {
			t.Errorf("%s %s: exit %d, stderr %q", flag[0], flag[1], code, stderr)
		}
	}
	if n := sent.Load(); n != 0 {
		t.Fatalf("runs with an unwritable report sent %d requests", n)
	}

	// Probes that pass leave nothing behind.
	existing := filepath.Join(dir, "old.json")
	if err := os.WriteFile(existing, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new.json")
	for _, probe := range []struct {
		path     string
		appendTo bool
	}{{existing, false}, {existing, true}, {fresh, false}, {fresh, true}} {
		if err := probeOutput(probe.path, probe.appendTo); err != nil {
			t.Errorf("probe %s: %v", probe.path, err)
		}
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "previous" {
		t.Errorf("the probe changed an existing file: %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "old.json" {
			t.Errorf("the probe left %s behind", e.Name())
		}
	}
	// A run refused for stdout after the probes leaves no report file either.
	code := MainIO([]string{"run", planPath, "--scenario", "quick", "--json", fresh, "--html", fresh + ".html"},
		&IO{In: bytes.NewReader(nil), Out: fullWriter{}, ErrOut: io.Discard, Env: func(string) (string, bool) { return "", false }})
	if _, err := os.Stat(fresh); code != exitFailed || !os.IsNotExist(err) {
		t.Errorf("a refused run: exit %d, its --json file: %v", code, err)
	}
}

// failingAfter takes writes until it has taken n bytes, then fails them all.
type failingAfter struct{ n int }

func (f *failingAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, syscall.ENOSPC
	}
	f.n -= len(p)
	return len(p), nil
}

// TestStdoutFailsAtTheEnd: a run whose summary cannot be printed exits 5, and the report it
// wrote says so.
func TestStdoutFailsAtTheEnd(t *testing.T) {
	t.Parallel()
	srv, sent := countingServer(t)
	out := filepath.Join(t.TempDir(), "out.json")
	var errOut bytes.Buffer
	code := MainIO([]string{"run", writePlan(t, strings.Replace(runPlan, "duration: 2s", "duration: 300ms", 1), srv.URL), "--scenario", "quick", "--quiet", "--json", out},
		&IO{In: bytes.NewReader(nil), Out: &failingAfter{n: 0}, ErrOut: &errOut, Env: func(string) (string, bool) { return "", false }})
	if code != exitFailed || sent.Load() == 0 {
		t.Fatalf("exit %d after %d requests, want 5 after some\n%s", code, sent.Load(), errOut.String())
	}
	if s := readSummary(t, out); s.ExitCode != exitFailed {
		t.Errorf("the summary says exit %d, the process exited 5", s.ExitCode)
	}
	if !strings.Contains(errOut.String(), "write stdout") {
		t.Errorf("stderr: %q", errOut.String())
	}
}
