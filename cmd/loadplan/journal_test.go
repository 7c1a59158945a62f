package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/summary"
)

// journalPlan runs 4 users against the mock for a minute (the test kills it long before),
// priced by the usage the mock reports: what the meter spends is what the mock bills.
const journalPlan = `version: 1
name: journal
seed: 7
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
budget: 500
tasks:
  chat:
    request: {method: POST, path: /api/chat/message, json: {message: "hello {{seq}}", max_tokens: 512}}
    expect: {input_tokens: 1200, output_tokens: 300, max_input_tokens: 4000}
scenarios:
  long: {users: 4, duration: 60s, wait: {constant: 20ms}}
`

// writeJournalPlan writes journalPlan against base, its scenario lasting duration, into dir.
func writeJournalPlan(t *testing.T, dir, base, duration string) string {
	t.Helper()
	path := filepath.Join(dir, "plan.yaml")
	plan := strings.Replace(strings.Replace(journalPlan, "TARGET", base, 1), "duration: 60s", "duration: "+duration, 1)
	if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKilledRunIsRecovered kills a running loadplan run with SIGKILL, once its journal has
// been rewritten twice, and recovers its report from the journal: the cost recovered is
// never below what the mock had billed before the last journal write seen, and above what
// it had billed by the kill by at most the worst case of the requests in flight.
func TestKilledRunIsRecovered(t *testing.T) {
	t.Parallel()
	exe := loadplanBinary(t)
	base := startFleetMock(t, "default", 0.05)
	dir := t.TempDir()
	planFile := writeJournalPlan(t, dir, base, "60s")
	out := filepath.Join(dir, "run.json")
	journal := filepath.Join(dir, "run.partial.json")
	var stderr bytes.Buffer
	cmd := exec.Command(exe, "run", planFile, "--scenario", "long", "--json", out, "--quiet", "--journal-interval", "100ms")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	// Poll the ledger, then the journal: a journal that changed was written after the
	// previous poll's ledger reading.
	var seen []byte
	var before, previous decimal.Decimal
	writes := 0
	deadline := time.Now().Add(60 * time.Second)
	for writes < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the journal was rewritten %d times in 60s; stderr: %s", writes, stderr.String())
		}
		ledger := mockLedger(t, base).Cost
		data, err := os.ReadFile(journal)
		if err == nil && !bytes.Equal(data, seen) {
			if _, err := summary.Parse(journal, data); err != nil {
				t.Fatalf("a journal read while the run goes is not a summary (a torn write?): %v", err)
			}
			seen, before = data, previous
			writes++
		}
		previous = ledger
		time.Sleep(10 * time.Millisecond) // a poll, bounded by the deadline
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	atKill := mockLedger(t, base).Cost
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a killed run left %s", out)
	}

	recovered := filepath.Join(dir, "recovered.json")
	rec := exec.Command(exe, "report", "recover", journal, "--json", recovered)
	if msg, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("report recover: %v: %s", err, msg)
	} else if !strings.Contains(string(msg), "KILLED") {
		t.Errorf("report recover printed no KILLED verdict:\n%s", msg)
	}
	s, err := summary.Read(recovered)
	if err != nil {
		t.Fatal(err)
	}
	if s.StopReason != summary.StopKilled || !s.Partial || s.ExitCode != 130 {
		t.Errorf("stop_reason %q, partial %v, exit_code %d; want killed, true, 130", s.StopReason, s.Partial, s.ExitCode)
	}
	if len(s.Tasks) != 1 || s.Tasks[0].Histogram == "" || s.Actual.Requests == 0 {
		t.Errorf("the recovered summary has no statistics: %s", jsonOf(s.Tasks))
	}
	cost := s.Actual.Cost
	if cost.LessThan(before) {
		t.Errorf("recovered cost %s is below the %s the mock billed before the last journal write", cost, before)
	}
	// The worst case of one request, from the estimate the summary embeds; 4 users: at most
	// 4 requests in flight.
	var est struct {
		Requests struct{ Worst decimal.Decimal } // a JSON number, read exactly
		Cost     struct{ Worst decimal.Decimal }
	}
	if err := json.Unmarshal(s.Estimate, &est); err != nil || !est.Requests.Worst.IsPositive() {
		t.Fatalf("estimate %s: %v", s.Estimate, err)
	}
	worst := est.Cost.Worst.Div(est.Requests.Worst).Mul(decimal.NewFromInt(4))
	if limit := atKill.Add(worst); cost.GreaterThan(limit) {
		t.Errorf("recovered cost %s is over the %s the mock billed by the kill plus %s, the worst case of 4 requests in flight", cost, atKill, worst)
	}
	if !s.Actual.CostEstimated.Equal(s.Meter.Reserved) || !cost.Equal(s.Meter.Spent.Add(s.Meter.Reserved)) {
		t.Errorf("cost %s, cost_estimated %s: want spent %s + reserved %s, the reserved part estimated", cost, s.Actual.CostEstimated, s.Meter.Spent, s.Meter.Reserved)
	}
	t.Logf("billed before the last journal write %s, recovered %s (reserved %s), billed by the kill %s", before, cost, s.Meter.Reserved, atKill)
}

// TestJournalRemovedAndTorn: a run that ends removes its journal once its report is written;
// recover refuses a torn journal, naming it.
func TestJournalRemovedAndTorn(t *testing.T) {
	t.Parallel()
	exe := loadplanBinary(t)
	base := startFleetMock(t, "default", 0.01)
	dir := t.TempDir()
	planFile := writeJournalPlan(t, dir, base, "2s")
	prefix := filepath.Join(dir, "res")
	run := exec.Command(exe, "run", planFile, "--scenario", "long", "--csv", prefix, "--quiet", "--journal-interval", "100ms")
	if msg, err := run.CombinedOutput(); err != nil {
		t.Fatalf("run: %v: %s", err, msg)
	}
	if _, err := os.Stat(prefix + "_stats.csv"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(prefix + ".partial.json"); !os.IsNotExist(err) {
		t.Errorf("the journal is still there after the run ended: %v", err)
	}

	torn := filepath.Join(dir, "torn.partial.json")
	if err := os.WriteFile(torn, []byte(`{"schema": "loadplan.run/v1", "plan": "journal", "tas`), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := exec.Command(exe, "report", "recover", torn)
	msg, err := rec.CombinedOutput()
	if code := exitCodeOf(err); code != 2 || !strings.Contains(string(msg), torn) || !strings.Contains(string(msg), "truncated") {
		t.Errorf("recover of a torn journal: exit %d, %s; want exit 2 naming the file", code, msg)
	}
}

func exitCodeOf(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestReportRecoverFlags: report recover parses its journal and outputs into its options.
func TestReportRecoverFlags(t *testing.T) {
	t.Parallel()
	var got *reportRecoverOptions
	cmd := newCmdReportRecover(&IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(o *reportRecoverOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"run.partial.json", "--json", "a.json", "--html", "a.html", "--csv", "p", "-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.journal != "run.partial.json" || got.json != "a.json" || got.html != "a.html" || got.csv != "p" || !got.output.json() {
		t.Errorf("options %+v", got)
	}
	cmd = newCmdReportRecover(&IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, func(*reportRecoverOptions) error { return nil })
	cmd.SetArgs([]string{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "give one journal") {
		t.Errorf("no journal: %v", err)
	}
}

// TestJournalPath: the journal is beside --json, else the --csv prefix, else --html, else
// --history; none without a report file.
func TestJournalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    runOptions
		want string
	}{
		{runOptions{jsonFile: "out/run.json", csvPrefix: "res", htmlFile: "r.html"}, "out/run.partial.json"},
		{runOptions{csvPrefix: "out/res", htmlFile: "r.html"}, "out/res.partial.json"},
		{runOptions{htmlFile: "r.html", historyFile: "h.jsonl"}, "r.partial.json"},
		{runOptions{historyFile: "runs.jsonl"}, "runs.partial.json"},
		{runOptions{jsonFile: "/dev/null", historyFile: "runs.jsonl"}, "runs.partial.json"},
		{runOptions{}, ""},
	} {
		if got := journalPath(&tc.o); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
}
