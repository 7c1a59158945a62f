package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// gatePlan's worst case is exact: 4 users for 150 s, a task a second at worst, is
// 600 user-seconds / 1 s + 4 starts = 604 iterations; task a has 2/5 of them, 241.6 at $0.01 =
// $2.416 (604 × 0.4 is 241.60000000000002 in floats), task b 3/5, 362.4 at $0.005 = $1.812:
// $4.228 in all. The expected case adds half an iteration per user instead of one:
// 600 + 2 = 602 iterations, 240.8 × $0.01 + 361.2 × $0.005 = $2.408 + $1.806 = $4.214.
const gatePlan = `version: 1
name: gate
target: TARGET
tasks:
  a: {weight: 2, request: {path: /a}, price: 0.01}
  b: {weight: 3, request: {path: /b}, price: 0.005}
scenarios:
  s: {users: 4, duration: 150s, wait: {constant: 1s}}
`

// TestEstimateGateExact: a budget equal to the exact worst (or expected) case passes the gate,
// a cent under it does not, through the whole command.
func TestEstimateGateExact(t *testing.T) {
	t.Parallel()
	p := writePlan(t, gatePlan, "mock://")
	cases := []struct {
		gate, budget string
		code         int
	}{
		{"worst", "4.228", exitOK},
		{"worst", "$4.228", exitOK},
		{"worst", "4.218", exitGate},             // a cent under
		{"worst", "4.227999999999999", exitGate}, // under by 1e-15
		{"expected", "4.214", exitOK},
		{"expected", "4.204", exitGate},
	}
	for _, tc := range cases {
		t.Run(tc.gate+" "+tc.budget, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, "estimate", p, "--gate", tc.gate, "--budget", tc.budget, "--output", "json")
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			var e struct {
				Scenarios []struct {
					Requests struct{ Worst json.Number }
					Cost     struct{ Worst, Expected string }
					Tasks    []struct {
						Requests struct{ Worst json.Number }
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &e); err != nil {
				t.Fatal(err)
			}
			s := e.Scenarios[0]
			// Counts stay JSON numbers; money is a decimal string, in full.
			if s.Requests.Worst != "604" || s.Tasks[0].Requests.Worst != "241.6" || s.Cost.Worst != "4.228" || s.Cost.Expected != "4.214" {
				t.Errorf("worst %s requests (task a %s), cost %s, expected %s", s.Requests.Worst, s.Tasks[0].Requests.Worst, s.Cost.Worst, s.Cost.Expected)
			}
			if tc.code == exitGate && !strings.Contains(errOut, "over the budget") {
				t.Errorf("refusal: %s", errOut)
			}
		})
	}
}

// TestRunGateExact: run gates on the expected case with the same arithmetic: a budget equal to
// it starts, a cent under it is refused before anything is sent.
func TestRunGateExact(t *testing.T) {
	t.Parallel()
	// 1 user for 1 s, waiting 100 ms after a task expected to take 100 ms: 1/0.2 + 0.5 = 5.5
	// iterations expected; 2/5 of them at $0.01 and 3/5 at $0.005: 2.2 × 0.01 + 3.3 × 0.005 =
	// $0.022 + $0.0165 = $0.0385. The server takes 300 ms, so the run sends 3 requests (at 0,
	// 0.4 and 0.8 s), at most $0.03: within the budget.
	srv, hits := slowServer(t, 300*time.Millisecond)
	plan := strings.NewReplacer("request: {path: /a}", "request: {path: /a}, expect: {latency: 100ms}",
		"request: {path: /b}", "request: {path: /b}, expect: {latency: 100ms}",
		"{users: 4, duration: 150s, wait: {constant: 1s}}", "{users: 1, duration: 1s, wait: {constant: 100ms}}").Replace(gatePlan)
	p := writePlan(t, plan, srv.URL)
	if code, _, errOut := runCLI(t, "run", p, "--budget", "0.0285"); code != exitGate || !strings.Contains(errOut, "over the budget") {
		t.Errorf("a cent under: exit %d, want 3: %s", code, errOut)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent by a refused run", n)
	}
	if code, out, errOut := runCLI(t, "run", p, "--budget", "0.0385", "--quiet"); code != exitOK || hits.Load() == 0 {
		t.Errorf("a budget equal to the expected cost: exit %d, want 0, %d requests\n%s\n%s", code, hits.Load(), out, errOut)
	}
}
