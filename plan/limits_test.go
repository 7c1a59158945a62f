package plan

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestLimits: every count, duration and rate a plan gives has a maximum (limits.go), so that
// users: 9223372036854775807 is a located error instead of "-9223372036854775808 users" and
// a crash; NaN, infinities and numbers written as text are refused wherever a number is read.
func TestLimits(t *testing.T) {
	t.Parallel()
	scenario := func(s string) string {
		return strings.Replace(minimal, "s: {users: 1, duration: 10s}", "s: "+s, 1)
	}
	task := func(old, new string) string { return strings.Replace(minimal, old, new, 1) }
	manyStages := "{stages: [" + strings.Repeat("{duration: 1s, users: 1}, ", MaxStages) + "{duration: 1s, users: 1}]}"
	cases := []struct {
		name, src, want string
	}{
		{"users past int64", scenario("{users: 9223372036854775807, duration: 10s}"),
			"11:14: scenarios.s.users: 9223372036854775807 is too large; the largest valid value is 10000000"},
		{"users past int64 range", scenario("{users: 99999999999999999999, duration: 10s}"),
			"scenarios.s.users: 99999999999999999999 is too large; the largest valid value is 10000000"},
		{"users one too many", scenario("{users: 10000001, duration: 10s}"), "is too large; the largest valid value is 10000000"},
		{"stage users", scenario("{stages: [{duration: 1m, users: 20000000}]}"), "scenarios.s.stages[0].users: 20000000 is too large"},
		{"max_in_flight", scenario("{arrival_rate: 1/s, duration: 1m, max_in_flight: 10000001}"), "scenarios.s.max_in_flight: 10000001 is too large"},
		{"duration of 2562047h", scenario("{users: 1, duration: 2562047h}"), `scenarios.s.duration: "2562047h" is longer than a year; a duration is at most 8760h`},
		{"duration past time.Duration", scenario("{users: 1, duration: 2562048h}"), `"2562048h" is longer than a year`},
		{"stages over a year in all", scenario("{stages: [{duration: 8000h, users: 1}, {duration: 8000h, users: 1}, {duration: 8000h, users: 1}]}"),
			"scenarios.s.stages[1]: the stages last more than a year in all"},
		{"too many stages", scenario(manyStages), "scenarios.s.stages: 1001 stages is too many; at most 1000"},
		{"arrival rate 1e308/s", scenario("{arrival_rate: 1e308/s, duration: 1m}"), `scenarios.s.arrival_rate: "1e308/s" is too fast; a rate is at most 10000000/s`},
		{"arrival rate NaN", scenario("{arrival_rate: NaN/s, duration: 1m}"), `"NaN/s" is not a rate`},
		{"spawn rate NaN", scenario("{users: 2, spawn_rate: NaN, duration: 1m}"), `scenarios.s.spawn_rate: "NaN" is not a number`},
		{"spawn rate .nan", scenario("{users: 2, spawn_rate: .nan, duration: 1m}"), `scenarios.s.spawn_rate: ".nan" is not a number`},
		{"spawn rate .inf", scenario("{users: 2, spawn_rate: .inf, duration: 1m}"), `scenarios.s.spawn_rate: ".inf" is not a number`},
		{"spawn rate 1e308", scenario("{users: 2, spawn_rate: 1e308, duration: 1m}"), `scenarios.s.spawn_rate: 1e308 is too large; the largest valid value is 1e+07`},
		{"spawn rate 0/s", scenario("{users: 2, spawn_rate: 0/s, duration: 1m}"), `scenarios.s.spawn_rate: must be more than 0 users per second`},
		{"spawn rate as text", scenario(`{users: 2, spawn_rate: "5", duration: 1m}`), `scenarios.s.spawn_rate: "5" is text; a number is expected: write 5 without quotes`},
		{"rps threshold NaN", minimal + "thresholds: {rps: NaN}\n", `thresholds.rps: "NaN" is not a rate`},
		{"rps threshold .inf", minimal + "thresholds: {rps: .inf}\n", `thresholds.rps: ".inf" is not a rate`},
		{"rps threshold 1e308", minimal + "thresholds: {rps: 1e308}\n", `thresholds.rps: "1e308" is not a rate`},
		{"weight", task("  chat:\n", "  chat:\n    weight: 1000001\n"), "tasks.chat.weight: 1000001 is too large; the largest valid value is 1000000"},
		{"tokens", task("input_tokens: 100,", "input_tokens: 100000001,"), "tasks.chat.expect.input_tokens: 100000001 is too large; the largest valid value is 100000000"},
		{"tokens as text", task("input_tokens: 100,", `input_tokens: "100",`), `tasks.chat.expect.input_tokens: "100" is text; a number is expected: write 100 without quotes`},
		{"tokens as !!str", task("input_tokens: 100,", `input_tokens: !!str 100,`), `tasks.chat.expect.input_tokens: "100" is text; a number is expected`},
		{"users as text", scenario(`{users: '10', duration: 10s}`), `scenarios.s.users: "10" is text; a number is expected`},
		{"retries", task("    usage: anthropic\n", "    usage: anthropic\n    retry: {on: [429], max: 11}\n"), "tasks.chat.retry.max: 11 is too large; the largest valid value is 10"},
		{"backoff", task("    usage: anthropic\n", "    usage: anthropic\n    retry: {on: [429], backoff: 9000h}\n"), `tasks.chat.retry.backoff: "9000h" is longer than a year`},
		{"rpm", task("pricing:", "rate_limit: {rpm: 600000001}\npricing:"), "rate_limit.rpm: 600000001 is too large; the largest valid value is 600000000"},
		{"budget of a billion digits", task("pricing:", "budget: 1e-999999999\npricing:"), `budget: "1e-999999999" is not an amount of USD`},
		{"share of a billion digits", task("input_tokens: 100,", "input_tokens: 100, cache_hit_rate: 1e-999999999,"), `cache_hit_rate: "1e-999999999" is not a share`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant %s", err, tc.want)
			}
		})
	}
	// At the limits: valid.
	for _, src := range []string{
		scenario("{users: 10000000, spawn_rate: 10000000, duration: 8760h}"),
		scenario("{arrival_rate: 10000000/s, duration: 1m, max_in_flight: 10000000}"),
		scenario("{stages: [{duration: 4380h, users: 10000000}, {duration: 4380h, users: 0}]}"),
		task("input_tokens: 100,", "input_tokens: 100000000, max_input_tokens: 100000000,"),
		scenario("\n    users: ${USERS:-10}\n    duration: 10s"), // a plain reference is retyped from its value
	} {
		if _, err := parse(t, src); err != nil {
			t.Errorf("refused at the limit: %v", err)
		}
	}
}

// TestHeaders: a header name that is not a token or a value with CR/LF failed every request
// at run time; they are refused at load, naming the header, never printing the value.
func TestHeaders(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "KEY" {
			return "sk-secret\r\nX-Injected: 1", true
		}
		return "", false
	}
	cases := []struct {
		name, headers, want string
	}{
		{"space in a name", `{"Bad Name": x}`, `headers."Bad Name": not a valid header name`},
		{"colon in a name", `{"X-A:": x}`, `headers."X-A:": not a valid header name`},
		{"CR LF in a value", `{X-Key: "sk-secret\r\nX-Injected: 1"}`, `headers.X-Key: the value holds a line break (CR or LF)`},
		{"LF from the environment", `{Authorization: "Bearer ${KEY}"}`, `headers.Authorization: the value holds a line break`},
		{"NUL in a value", `{X-Key: "a\0b"}`, `headers.X-Key: the value holds a line break (CR or LF) or another control character`},
	}
	for _, tc := range cases {
		for _, where := range []string{"plan", "request"} {
			t.Run(tc.name+" in the "+where, func(t *testing.T) {
				src := strings.Replace(minimal, "name: t", "name: t\nheaders: "+tc.headers, 1)
				if where == "request" {
					src = strings.Replace(minimal, "json: {max_tokens: 100}}", "json: {max_tokens: 100}, headers: "+tc.headers+"}", 1)
				}
				_, err := Parse("plan.yaml", []byte(src), Options{Env: env})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v\nwant %s", err, tc.want)
				}
				if strings.Contains(err.Error(), "sk-secret") || strings.Contains(err.Error(), "Injected") {
					t.Errorf("the value is printed: %v", err)
				}
			})
		}
	}
	// A tab is allowed, and so is a template.
	src := strings.Replace(minimal, "name: t", "name: t\nheaders: {X-Tab: \"a\\tb\", X-Req: \"{{uuid}}\"}", 1)
	if _, err := Parse("plan.yaml", []byte(src), Options{Env: noEnv}); err != nil {
		t.Error(err)
	}
}

// TestChecks holds the command line's checks (--users, --spawn-rate, --run-time,
// --input-tokens) to the plan's limits.
func TestChecks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want string // "" for valid
	}{
		{"users at the limit", CheckUsers(MaxUsers), ""},
		{"users past it", CheckUsers(math.MaxInt64), "9223372036854775807 users is too many; at most 10000000 per process"},
		{"negative users", CheckUsers(-1), "negative"},
		{"spawn rate NaN", CheckRate(math.NaN()), "NaN is not a number"},
		{"spawn rate +Inf", CheckRate(math.Inf(1)), "+Inf is not a number"},
		{"spawn rate 1e308", CheckRate(1e308), "1e+308 per second is too fast; at most 10000000 per second"},
		{"spawn rate at the limit", CheckRate(MaxRate), ""},
		{"run time of 2562047h", CheckDuration(2562047 * time.Hour), "longer than a year"},
		{"run time of a year", CheckDuration(MaxDuration), ""},
		{"tokens", CheckTokens(1 << 62), "too many; at most 100000000 per request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := fmt.Sprint(tc.err)
			if tc.want == "" && tc.err != nil || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("%v; want %q", tc.err, tc.want)
			}
		})
	}
}
