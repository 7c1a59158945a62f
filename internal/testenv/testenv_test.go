package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNeedProgram runs this test binary again with a program that is not there, with and
// without CI, and reads what the test said.
func TestNeedProgram(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		NeedProgram(t, "loadplan-no-such-program")
		t.Log("still running")
		return
	}
	if p := NeedProgram(t, "loadplan-no-such-program", "go"); p == "" {
		t.Fatal("go is on PATH (go test puts it there), NeedProgram found nothing")
	}
	for _, ci := range []string{"", "false", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedProgram$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		text := string(out)
		if !strings.Contains(text, "loadplan-no-such-program") || strings.Contains(text, "still running") {
			t.Errorf("CI=%q: the message does not name the program, or the test went on:\n%s", ci, text)
		}
		failed := err != nil && strings.Contains(text, "--- FAIL")
		skipped := err == nil && strings.Contains(text, "--- SKIP")
		if wantFail := ci == "true"; failed != wantFail || skipped == wantFail {
			t.Errorf("CI=%q: failed %v, skipped %v:\n%s", ci, failed, skipped, text)
		}
	}
}
