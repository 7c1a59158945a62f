package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
)

// usageServer answers /chat after delay with Anthropic usage of output tokens; other paths
// answer at once. hits counts every request.
func usageServer(t *testing.T, delay time.Duration, output string) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/chat" {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, `{"ok": true, "usage": {"input_tokens": 10, "output_tokens": `+output+`}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

const overrunPlan = `version: 1
name: overrun
target: TARGET
budget: 5
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {message: hi}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10, max_input_tokens: 20, max_output_tokens: 20}
scenarios:
  s: {users: 3, duration: 1s, wait: {constant: 100ms}}
`

// TestRunOverrunAfterEnd: responses that overrun after the scenario's end timer fired stop
// the run as an overrun, exit 4 (DESIGN.md: 4 before 1 and 0).
func TestRunOverrunAfterEnd(t *testing.T) {
	t.Parallel()
	srv, _ := usageServer(t, 2*time.Second, "5000")
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, overrunPlan, srv.URL), "--json", out, "--quiet")
	if code != exitBudget {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	if s.StopReason != summary.StopOverrun || s.ExitCode != exitBudget || s.Meter.Overruns == 0 {
		t.Errorf("stop %s exit %d meter %+v", s.StopReason, s.ExitCode, s.Meter)
	}
}

// TestRunConfigErrorIsUsage: a plan or flags the executor cannot compile into a run are bad
// usage: exit 2, nothing sent (a task url whose host is not allowed, a CA file that cannot
// be read).
func TestRunConfigErrorIsUsage(t *testing.T) {
	t.Parallel()
	srv, hits := usageServer(t, 0, "1")
	evil := strings.Replace(overrunPlan, "path: /chat", "url: 'http://evil.example.com/chat'", 1)
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"task url", []string{"run", writePlan(t, evil, srv.URL)}, "evil.example.com"},
		{"ca file", []string{"run", writePlan(t, overrunPlan, srv.URL), "--ca-file", filepath.Join(t.TempDir(), "none.pem")}, "CA file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tc.args, "--quiet")...)
			if code != exitUsage || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, want 2; stderr %q\n%s", code, stderr, stdout)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent", hits.Load())
	}
}

// TestRunOutputsCheckedFirst: every output path is checked before anything is sent (exit 5),
// and the check truncates nothing.
func TestRunOutputsCheckedFirst(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	p := writePlan(t, runPlan, srv.URL)
	dir := t.TempDir()
	hist := filepath.Join(dir, "runs.jsonl")
	if err := os.WriteFile(hist, []byte("{\"earlier\": true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no", "such", "dir")
	tests := []struct {
		name, flag string
		args       []string
	}{
		{"history", "--history", []string{"--history", "/proc/x.jsonl"}},
		{"html", "--html", []string{"--html", missing + ".html", "--history", hist}},
		{"history in no dir", "--history", []string{"--json", filepath.Join(dir, "out.json"), "--history", missing + ".jsonl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", p, "--scenario", "quick", "--quiet"}, tc.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitFailed || !strings.Contains(stderr, tc.flag) {
				t.Errorf("exit %d, want 5; stderr %q\n%s", code, stderr, stdout)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent by refused runs", n)
	}
	if b, _ := os.ReadFile(hist); string(b) != "{\"earlier\": true}\n" {
		t.Errorf("the history file was changed: %q", b)
	}
}

// TestRunJSONHasFinalExitCode: when an extra report cannot be written after the run, the
// JSON summary says the final exit code, 5.
func TestRunJSONHasFinalExitCode(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 5*time.Millisecond)
	dir := t.TempDir()
	js, html := filepath.Join(dir, "out.json"), filepath.Join(dir, "r.html")
	// The HTML file is checked before the run, then made a directory while it runs.
	time.AfterFunc(500*time.Millisecond, func() {
		os.Remove(html)
		os.Mkdir(html, 0o755)
	})
	code, stdout, stderr := runCLI(t, "run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--json", js, "--html", html, "--quiet")
	if code != exitFailed || !strings.Contains(stderr, "--html") {
		t.Fatalf("exit %d, want 5\n%s\n%s", code, stdout, stderr)
	}
	if s := readSummary(t, js); s.ExitCode != exitFailed {
		t.Errorf("the JSON says exit %d, want 5", s.ExitCode)
	}
}
