package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/planner"
	"github.com/spf13/cobra"
)

// The tests of this file check each command's flag parsing alone: the command is built with
// a runF that records its options, so nothing is read, sent or written.

// parseCmd builds a command with build and a recording runF, executes it with args, and
// returns the options runF got (nil when it was not called), the exit code and the error's
// text.
func parseCmd[T any](t *testing.T, build func(*IO, func(*T) error) *cobra.Command, env map[string]string, args ...string) (*T, int, string) {
	t.Helper()
	var got *T
	streams := &IO{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}, Env: func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}}
	cmd := build(streams, func(o *T) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	msg := ""
	if err != nil {
		msg = err.Error()
		if got != nil {
			t.Errorf("%q: runF was called although the flags are refused: %v", args, err)
		}
	}
	return got, exitCode(err), msg
}

// flagCase is one command line: want checks the options runF got; a refused line gives
// exit 2 with wantErr in the message.
type flagCase[T any] struct {
	args    []string
	env     map[string]string
	wantErr string // "": accepted
	want    func(*T) string
}

func checkFlagCases[T any](t *testing.T, build func(*IO, func(*T) error) *cobra.Command, cases []flagCase[T]) {
	t.Helper()
	for _, tc := range cases {
		got, code, msg := parseCmd(t, build, tc.env, tc.args...)
		if tc.wantErr != "" {
			if code != exitUsage || !strings.Contains(msg, tc.wantErr) {
				t.Errorf("%q: exit %d, %q; want exit 2 saying %q", tc.args, code, msg, tc.wantErr)
			}
			continue
		}
		if got == nil {
			t.Errorf("%q: exit %d, %s; want it accepted", tc.args, code, msg)
			continue
		}
		if tc.want != nil {
			if bad := tc.want(got); bad != "" {
				t.Errorf("%q: %s", tc.args, bad)
			}
		}
	}
}

// why is msg when ok is false, "" otherwise.
func why(ok bool, msg string) string {
	if ok {
		return ""
	}
	return "options wrong: " + msg
}

func TestRunFlags(t *testing.T) {
	t.Parallel()
	checkFlagCases(t, newCmdRun, []flagCase[runOptions]{
		{args: []string{"plan.yaml"}, want: func(o *runOptions) string {
			return why(o.plan == "plan.yaml" && o.stopTimeout == 30*time.Second && o.exitCodeOnError == 1 && o.profile == "default" &&
				o.overrides.Users == nil && o.overrides.RunTime == nil && o.budget == nil && !o.seedSet && o.fleet.startTimeout == 60*time.Second,
				"defaults")
		}},
		// Locust's command line: -f, -u, -r, -t in bare seconds, --headless.
		{args: []string{"-f", "plan.yaml", "-u", "5", "-r", "2.5", "-t", "10", "--headless", "-s", "smoke"}, want: func(o *runOptions) string {
			return why(o.plan == "plan.yaml" && *o.overrides.Users == 5 && *o.overrides.SpawnRate == 2.5 &&
				*o.overrides.RunTime == 10*time.Second && o.headless && o.scenario == "smoke", "Locust flags")
		}},
		{args: []string{"plan.yaml", "--duration", "2m", "--arrival-rate", "30/min", "--budget", "$5", "--seed", "7", "--stop-timeout", "2"}, want: func(o *runOptions) string {
			return why(*o.overrides.RunTime == 2*time.Minute && o.overrides.ArrivalRate != nil && o.budget.String() == "5" &&
				o.seedSet && o.seed == 7 && o.stopTimeout == 2*time.Second, "load flags")
		}},
		{args: []string{"plan.yaml", "--json", "a.json", "--csv", "r", "--csv-full-history", "--html", "a.html", "--history", "h.jsonl", "-q"}, want: func(o *runOptions) string {
			return why(o.jsonFile == "a.json" && o.csvPrefix == "r" && o.csvFullHistory && o.htmlFile == "a.html" && o.historyFile == "h.jsonl" && o.quiet, "outputs")
		}},
		{args: []string{"plan.yaml", "--monitor", "/metrics", "--monitor", "http://127.0.0.1:9/m", "--web", "--metrics-addr", "127.0.0.1:0"}, want: func(o *runOptions) string {
			return why(slices.Equal(o.monitors, []string{"/metrics", "http://127.0.0.1:9/m"}) && o.web.addr == defaultWebAddr && o.metricsAddr == "127.0.0.1:0", "monitors, web")
		}},
		{args: []string{"plan.yaml", "--web=127.0.0.1:0", "--ledger", "redis://127.0.0.1:6379/0", "--run-id", "r1", "--expect-workers", "3", "--fail-on-worker-loss"}, want: func(o *runOptions) string {
			return why(o.web.addr == "127.0.0.1:0" && o.ledger.url == "redis://127.0.0.1:6379/0" && o.ledger.runID == "r1" && o.fleet.expect == 3 && o.fleet.failOnWorkerLoss, "fleet")
		}},
		{args: []string{"plan.yaml", "--no-budget", "--exit-code-on-error", "0", "--insecure", "--ca-file", "ca.pem"}, want: func(o *runOptions) string {
			return why(o.noBudget && o.exitCodeOnError == 0 && o.tls.Insecure && o.tls.CAFile == "ca.pem", "budget, TLS")
		}},
		{args: []string{"plan.yaml", "--users", "0"}, wantErr: "--users"},
		{args: []string{"plan.yaml", "--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
		{args: []string{"plan.yaml", "--spawn-rate", "0"}, wantErr: "--spawn-rate"},
		{args: []string{"plan.yaml", "--run-time", "0"}, wantErr: "--run-time"},
		{args: []string{"plan.yaml", "--arrival-rate", "fast"}, wantErr: "--arrival-rate"},
		{args: []string{"plan.yaml", "--budget", "five"}, wantErr: "--budget"},
		{args: []string{"plan.yaml", "--stop-timeout", "0"}, wantErr: "--stop-timeout"},
		{args: []string{"plan.yaml", "--csv-full-history"}, wantErr: "--csv-full-history needs --csv"},
		{args: []string{"plan.yaml", "--no-budget", "--allow-over-budget"}, wantErr: "--allow-over-budget is for a run with a budget"},
		{args: []string{"plan.yaml", "--workers", "2", "--expect-workers", "2"}, wantErr: "not both"},
		{args: []string{"plan.yaml", "--expect-workers", "2"}, wantErr: "--expect-workers needs --ledger"},
		{args: []string{"plan.yaml", "--fail-on-worker-loss"}, wantErr: "--fail-on-worker-loss is for a run with"},
		{args: []string{"plan.yaml", "-t", "ten"}, wantErr: "give seconds (10)"},
		{args: []string{}, wantErr: "accepts 1 arg"},
	})
}

func TestEstimateFlags(t *testing.T) {
	t.Parallel()
	checkFlagCases(t, newCmdEstimate, []flagCase[estimateOptions]{
		{args: []string{"plan.yaml"}, want: func(o *estimateOptions) string {
			return why(o.plan == "plan.yaml" && o.output.value == "table" && o.gateKind == planner.GateExpected && !o.all, "defaults")
		}},
		{args: []string{"plan.yaml", "--all", "-o", "json", "--gate", "worst", "--budget", "10", "-u", "100"}, want: func(o *estimateOptions) string {
			return why(o.all && o.output.json() && o.gateKind == planner.GateWorst && o.budget.String() == "10" && *o.overrides.Users == 100, "flags")
		}},
		{args: []string{"--users", "50", "--duration", "10m", "--rate", "3/min", "--price", "0.003"}, want: func(o *estimateOptions) string {
			return why(o.plan == "" && o.rate == "3/min" && o.price == "0.003" && *o.overrides.RunTime == 10*time.Minute, "ad-hoc")
		}},
		{args: []string{"-u", "20", "-t", "5m", "--rate", "6/min", "--model", "m", "--input-tokens", "2000", "--output-tokens", "400", "--max-output-tokens", "800"}, want: func(o *estimateOptions) string {
			return why(o.model == "m" && o.inputTokens == 2000 && o.outputTokens == 400 && o.maxOutputTokens == 800, "ad-hoc tokens")
		}},
		{args: []string{"plan.yaml", "--prices", "p.yaml"}, want: func(o *estimateOptions) string {
			return why(o.load.prices.add == "p.yaml", "--prices")
		}},
		{args: []string{"plan.yaml", "--output", "yaml"}, wantErr: `--output "yaml": valid: table, json`},
		{args: []string{"plan.yaml", "--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
		{args: []string{"plan.yaml", "--gate", "best"}, wantErr: "best"},
		{args: []string{"plan.yaml", "--users", "0"}, wantErr: "--users"},
		{args: []string{"plan.yaml", "--budget", "-1"}, wantErr: "--budget"},
		{args: []string{"plan.yaml", "--rate", "3/min"}, wantErr: "are for an ad-hoc estimate without a PLAN"},
		{args: []string{"a.yaml", "b.yaml"}, wantErr: "accepts at most 1 arg"},
	})
}

func TestPricesValidateVersionFlags(t *testing.T) {
	t.Parallel()
	checkFlagCases(t, newCmdPrices, []flagCase[pricesOptions]{
		{args: nil, want: func(o *pricesOptions) string { return why(o.model == "" && o.output.value == "table", "defaults") }},
		{args: []string{"gpt-4o", "-o", "json", "--prices", "p.json"}, want: func(o *pricesOptions) string {
			return why(o.model == "gpt-4o" && o.output.json() && o.prices.add == "p.json", "flags")
		}},
		{args: []string{"--prices-only", "p.yaml"}, want: func(o *pricesOptions) string { return why(o.prices.only == "p.yaml", "--prices-only") }},
		// prices --output yaml printed a table and exited 0; it is exit 2 as everywhere.
		{args: []string{"--output", "yaml"}, wantErr: `--output "yaml": valid: table, json`},
		{args: []string{"--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
	})
	checkFlagCases(t, newCmdValidate, []flagCase[validateOptions]{
		{args: []string{"plan.yaml", "--prices", "p.yaml"}, want: func(o *validateOptions) string {
			return why(o.plan == "plan.yaml" && o.prices.add == "p.yaml", "flags")
		}},
		{args: []string{"-f", "plan.yaml"}, want: func(o *validateOptions) string { return why(o.plan == "plan.yaml", "-f") }},
		{args: []string{"-f", "plan.yaml", "plan.yaml"}, wantErr: "given twice"},
		{args: []string{"plan.yaml", "--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
		{args: nil, wantErr: "accepts 1 arg"},
	})
	checkFlagCases(t, newCmdVersion, []flagCase[versionOptions]{
		{args: nil},
		{args: []string{"extra"}, wantErr: "unknown command"},
	})
}

func TestReportFlags(t *testing.T) {
	t.Parallel()
	checkFlagCases(t, newCmdReport, []flagCase[reportOptions]{
		{args: []string{"run.json"}, want: func(o *reportOptions) string {
			return why(o.file == "run.json" && o.output.value == "table", "defaults")
		}},
		{args: []string{"run.json", "-o", "json", "--html", "r.html", "--csv", "r"}, want: func(o *reportOptions) string {
			return why(o.output.json() && o.html == "r.html" && o.csv == "r", "flags")
		}},
		{args: []string{"run.json", "-o", "yaml"}, wantErr: `--output "yaml": valid: table, json`},
		{args: nil, wantErr: "give a run summary"},
		{args: []string{"a.json", "b.json"}, wantErr: "loadplan report compare a.json b.json"},
	})
	checkFlagCases(t, newCmdReportCompare, []flagCase[compareOptions]{
		{args: []string{"a.json", "b.json", "-o", "json"}, want: func(o *compareOptions) string {
			return why(o.before == "a.json" && o.after == "b.json" && o.output.json(), "flags")
		}},
		{args: []string{"a.json", "b.json", "-o", "yaml"}, wantErr: `--output "yaml"`},
		{args: []string{"a.json"}, wantErr: "give two run summaries"},
		{args: []string{"a.json", "b.json", "-o", "markdown", "--fail-on", "cost_per_request>+10%,p95>+20%,slo_attainment<-2pp"}, want: func(o *compareOptions) string {
			return why(o.output.value == "markdown" && len(o.rules) == 3, "--fail-on parsed before anything is read")
		}},
		{args: []string{"a.json", "b.json", "--fail-on", "p95>+20"}, wantErr: "--fail-on"},
	})
	checkFlagCases(t, newCmdReportHistory, []flagCase[historyOptions]{
		{args: []string{"h.jsonl", "-s", "smoke", "--html", "h.html"}, want: func(o *historyOptions) string {
			return why(o.file == "h.jsonl" && o.scenario == "smoke" && o.html == "h.html" && o.output.value == "table", "flags")
		}},
		{args: []string{"h.jsonl", "-o", "csv"}, wantErr: `--output "csv"`},
		{args: nil, wantErr: "give one history file"},
	})
	checkFlagCases(t, newCmdReportMerge, []flagCase[mergeOptions]{
		{args: []string{"a.json", "b.json", "--json", "m.json", "--csv", "m", "--html", "m.html", "-o", "json"}, want: func(o *mergeOptions) string {
			return why(slices.Equal(o.files, []string{"a.json", "b.json"}) && o.json == "m.json" && o.csv == "m" && o.html == "m.html" && o.output.json(), "flags")
		}},
		{args: []string{"a.json", "b.json"}, wantErr: "--json OUT is required"},
		{args: []string{"a.json", "b.json", "--json", "m.json", "-o", "yaml"}, wantErr: `--output "yaml"`},
		{args: []string{"a.json"}, wantErr: "two or more"},
	})
	checkFlagCases(t, newCmdReportLocust, []flagCase[locustOptions]{
		{args: []string{"r_stats.csv", "--plan", "plan.yaml", "--prices-only", "p.yaml", "-o", "json"}, want: func(o *locustOptions) string {
			return why(o.stats == "r_stats.csv" && o.plan == "plan.yaml" && o.prices.only == "p.yaml" && o.output.json(), "flags")
		}},
		{args: []string{"r_stats.csv"}, wantErr: "--plan PLAN is required"},
		{args: []string{"r_stats.csv", "--plan", "plan.yaml", "--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
		{args: []string{"r_stats.csv", "--plan", "plan.yaml", "-o", "yaml"}, wantErr: `--output "yaml"`},
	})
}

func TestMockWorkerK8sFlags(t *testing.T) {
	t.Parallel()
	checkFlagCases(t, newCmdMock, []flagCase[mockOptions]{
		{args: nil, want: func(o *mockOptions) string {
			return why(o.addr == "127.0.0.1:8002" && o.profile == "default" && o.timeScale == 1 && !o.tls, "defaults")
		}},
		{args: []string{"--addr", "127.0.0.1:0", "--profile", "flaky", "--seed", "7", "--tls", "--time-scale", "0", "--model", "m", "--prices", "p.yaml"}, want: func(o *mockOptions) string {
			return why(o.addr == "127.0.0.1:0" && o.profile == "flaky" && o.seed == 7 && o.tls && o.timeScale == 0 && o.model == "m" && o.prices.add == "p.yaml", "flags")
		}},
		{args: []string{"extra"}, wantErr: "unknown command"},
		{args: []string{"--prices", "a.yaml", "--prices-only", "b.yaml"}, wantErr: "not both"},
	})
	checkFlagCases(t, newCmdWorker, []flagCase[workerOptions]{
		{args: []string{"--ledger", "redis://127.0.0.1:6379/0", "--run", "r1", "--index", "3", "--json", "w.json", "-q", "--wait", "5s"}, want: func(o *workerOptions) string {
			return why(o.ledger == "redis://127.0.0.1:6379/0" && o.runID == "r1" && o.index == 3 && o.jsonFile == "w.json" && o.quiet && o.wait == 5*time.Second, "flags")
		}},
		{args: []string{"--ledger", "redis://h/0", "--run", "r1"}, env: map[string]string{"JOB_COMPLETION_INDEX": "4"}, want: func(o *workerOptions) string {
			return why(o.index == 4, "the index from $JOB_COMPLETION_INDEX")
		}},
		{args: []string{"--ledger", "redis://h/0", "--run", "r1", "--index", "1"}, env: map[string]string{"JOB_COMPLETION_INDEX": "4"}, want: func(o *workerOptions) string {
			return why(o.index == 1, "--index wins over $JOB_COMPLETION_INDEX")
		}},
		{args: []string{"--ledger", "redis://h/0", "--run", "r1"}, env: map[string]string{"JOB_COMPLETION_INDEX": "four"}, wantErr: "want a number"},
		{args: []string{"--ledger", "redis://h/0", "--run", "r1", "--index", "-1"}, wantErr: "give 0 or more"},
		{args: []string{"--run", "r1"}, wantErr: "give --ledger"},
	})
	checkFlagCases(t, newCmdK8sRender, []flagCase[k8sRenderOptions]{
		{args: []string{"plan.yaml", "--workers", "2", "--image", "img:1"}, want: func(o *k8sRenderOptions) string {
			return why(o.plan == "plan.yaml" && o.kube.Workers == 2 && o.kube.Resources.Worker.Requests != nil, "flags, default resources parsed")
		}},
		{args: []string{"plan.yaml", "--workers", "0", "--image", "img:1"}, wantErr: "--workers"},
		{args: []string{"plan.yaml", "--workers", "2"}, wantErr: "--image"},
		{args: []string{"plan.yaml", "--workers", "2", "--image", "img:1", "--worker-limits", "cpu=lots"}, wantErr: "cpu"},
	})
}
