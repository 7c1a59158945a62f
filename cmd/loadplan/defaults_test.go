package main

import (
	"fmt"
	"github.com/loadplan/loadplan/summary"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// longPromptServer answers every request with Anthropic usage of input tokens in and 5 out:
// a service whose prompts are longer than the plan expects.
func longPromptServer(t *testing.T, input int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"reply": "x", "usage": {"input_tokens": %d, "output_tokens": 5}}`, input)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// defaultsPlan declares neither max_input_tokens nor max_output_tokens: the input bound is the
// default 2 × input_tokens = 200, the output bound the body's max_tokens, 10.
const defaultsPlan = `version: 1
name: defaults
target: TARGET
budget: 5
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {message: hi, max_tokens: 10}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 5}
scenarios:
  s: {users: 1, duration: 2s, wait: {constant: 100ms}}
`

// TestDefaultsThatDecideMoney: the defaults behind a reservation are listed by validate and
// estimate, and an overrun names the bound it broke, its value and where it came from.
func TestDefaultsThatDecideMoney(t *testing.T) {
	t.Parallel()
	srv := longPromptServer(t, 500)
	p := writePlan(t, defaultsPlan, srv.URL)
	if code, out, errOut := runCLI(t, "validate", p); code != exitOK ||
		!strings.Contains(out, "assumes: tasks.chat.expect.max_input_tokens: 200 (default: 2 × input_tokens)") ||
		!strings.Contains(out, "assumes: tasks.chat.expect.max_output_tokens: 10 (the request's max_tokens at "+p+":8:74)") {
		t.Errorf("validate: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "estimate", p); code != exitOK ||
		!strings.Contains(out, "assumes: expect.max_input_tokens (default: 2 × input_tokens): chat 200") ||
		!strings.Contains(out, "assumes: expect.max_output_tokens (the request's max_tokens): chat 10") {
		t.Errorf("estimate: exit %d\n%s%s", code, out, errOut)
	}

	cases := []struct {
		name, plan, want string
	}{
		{"the default", defaultsPlan, "it reported 500 input tokens, more than max_input_tokens 200 (default: 2 × input_tokens)"},
		{"the plan's line", strings.Replace(defaultsPlan, "output_tokens: 5}", "output_tokens: 5, max_input_tokens: 300}", 1),
			"it reported 500 input tokens, more than max_input_tokens 300 (PLAN:10:69)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writePlan(t, tc.plan, srv.URL)
			out := filepath.Join(t.TempDir(), "out.json")
			code, stdout, stderr := runCLI(t, "run", p, "--json", out)
			if code != exitBudget {
				t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
			}
			want := strings.ReplaceAll(tc.want, "PLAN", p)
			s := readSummary(t, out)
			if s.StopReason != summary.StopOverrun || !strings.Contains(s.StopDetail, want) {
				t.Errorf("stop %s: %q\nwant it to say %q", s.StopReason, s.StopDetail, want)
			}
			if !strings.Contains(stdout, want) {
				t.Errorf("the run's summary does not say it:\n%s", stdout)
			}
		})
	}
}

// TestOverrunNamesDefaultOnMock: the embedded mock's prompts (a cacheable prefix of 1,000
// tokens and more) are longer than a plan that expects 100 input tokens and declares no bound:
// the overrun names the default bound.
func TestOverrunNamesDefaultOnMock(t *testing.T) {
	t.Parallel()
	plan := strings.Replace(defaultsPlan, "path: /chat", "path: /api/chat/message", 1)
	p := writePlan(t, plan, "mock://")
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", p, "--json", out, "--quiet", "--seed", "1")
	if code != exitBudget {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, stdout, stderr)
	}
	if s := readSummary(t, out); !strings.Contains(s.StopDetail, "input tokens, more than max_input_tokens 200 (default: 2 × input_tokens)") {
		t.Errorf("stop %s: %q", s.StopReason, s.StopDetail)
	}
}
