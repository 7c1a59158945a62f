package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter/redisledger"
	"github.com/loadplan/loadplan/meter/redisledger/redistest"
	"github.com/loadplan/loadplan/summary"
)

const ledgerPlan = `version: 1
name: cli
target: TARGET
budget: 1.00
tasks:
  ping:
    request: {method: GET, path: /ping}
    price: 0.001
scenarios:
  quick: {users: 2, duration: 1s, wait: {constant: 50ms}}
  long: {users: 2, duration: 60s, wait: {constant: 50ms}}
`

// TestRunLedger: run --ledger keeps the meter in Redis: the run's state there is the
// summary's cost, nothing left reserved.
func TestRunLedger(t *testing.T) {
	t.Parallel()
	redis := redistest.Start(t)
	srv, _ := slowServer(t, 10*time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, ledgerPlan, srv.URL), "--scenario", "quick",
		"--ledger", redis.URL(), "--run-id", "cli-ledger", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "Ledger: " + redis.URL() + ", run cli-ledger"; !strings.Contains(stdout, want) {
		t.Errorf("stdout does not say %q:\n%s", want, stdout)
	}
	s := readSummary(t, out)
	// Every request cost $0.001: the cost is the count, in thousandths.
	if want := decimal.New(s.Actual.Requests, -3); s.Actual.Requests == 0 || !s.Actual.Cost.Equal(want) || !s.Meter.Spent.Equal(want) {
		t.Errorf("%d requests, cost %s, meter spent %s; want %s each", s.Actual.Requests, s.Actual.Cost, s.Meter.Spent, want)
	}
	// Another process of the run reads the same state.
	budget := decimal.RequireFromString("1")
	l, err := redisledger.Open(context.Background(), redisledger.Options{URL: redis.URL(), RunID: "cli-ledger", Budget: &budget})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	snap, err := l.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !snap.Spent.Equal(s.Actual.Cost) || !snap.Reserved.IsZero() || snap.InFlight != 0 || snap.Abandoned != 0 {
		t.Errorf("the run in Redis: spent %s, reserved %s, in flight %d, abandoned %d; want spent %s, nothing else",
			snap.Spent, snap.Reserved, snap.InFlight, snap.Abandoned, s.Actual.Cost)
	}
}

// TestRunLedgerUnreachable: Redis stops mid-run. The run stops sending within the grace
// period (2 s) and a bound, ledger_unreachable, exit 5, with its report; the password, given
// in $REDIS_PASSWORD, is nowhere in the output.
func TestRunLedgerUnreachable(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-Redis-Pw"
	redis := redistest.Start(t, "--requirepass", secret)
	srv, hits := slowServer(t, 10*time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	args := []string{"run", writePlan(t, ledgerPlan, srv.URL), "--scenario", "long", "--budget", "10", "--ledger", redis.URL(), "--json", out}
	var stdout, stderr bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "REDIS_PASSWORD" {
			return secret, true
		}
		return "", false
	}
	done := make(chan int, 1)
	go func() {
		done <- MainIO(args, &IO{In: bytes.NewReader(nil), Out: &stdout, ErrOut: &stderr, Env: env})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for hits.Load() < 5 {
		select {
		case code := <-done:
			t.Fatalf("the run ended (exit %d) before Redis stopped\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the run sent no requests in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	redis.Stop()
	stopped := time.Now()
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop within 20 s of Redis stopping")
	}
	if took := time.Since(stopped); took > redisledger.DefaultGrace+3*time.Second {
		t.Errorf("the run ended %v after Redis stopped; want within the grace (%v) and a bound", took, redisledger.DefaultGrace)
	}
	if code != exitFailed {
		t.Errorf("exit %d, want %d\nstderr:\n%s", code, exitFailed, stderr.String())
	}
	s := readSummary(t, out)
	if s.StopReason != summary.StopLedgerUnreachable || s.ExitCode != exitFailed {
		t.Errorf("stop_reason %s, exit_code %d; want ledger_unreachable, 5", s.StopReason, s.ExitCode)
	}
	if !strings.Contains(stderr.String(), "ledger unreachable") {
		t.Errorf("stderr does not say the ledger is unreachable:\n%s", stderr.String())
	}
	data, _ := os.ReadFile(out)
	for name, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "the summary": string(data)} {
		if strings.Contains(text, secret) {
			t.Errorf("%s shows the Redis password", name)
		}
	}
	t.Logf("%d requests; ended %v after Redis stopped; %s", s.Actual.Requests, time.Since(stopped).Round(time.Millisecond), s.StopDetail)
}

// TestRunLedgerFlags: bad --ledger flags are usage errors (exit 2); a Redis that cannot be
// reached at the start is exit 5, before any request.
func TestRunLedgerFlags(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	plan := writePlan(t, ledgerPlan, srv.URL)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"run ID without ledger", []string{"--run-id", "x"}, exitUsage, "--run-id names a run in a shared ledger"},
		{"not redis", []string{"--ledger", "http://:pw-in-url@127.0.0.1:6379/0"}, exitUsage, "want redis://HOST:PORT/DB"},
		{"bad run ID", []string{"--ledger", "redis://127.0.0.1:6379/0", "--run-id", "a b"}, exitUsage, `run ID "a b"`},
		{"nothing listening", []string{"--ledger", "redis://:pw-in-url@127.0.0.1:1/0"}, exitFailed, "redis://:xxxxx@127.0.0.1:1/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"run", plan, "--scenario", "quick", "--quiet"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, tt.code, stderr, tt.want)
			}
			if strings.Contains(stdout+stderr, "pw-in-url") {
				t.Errorf("the output shows the password:\n%s%s", stdout, stderr)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
