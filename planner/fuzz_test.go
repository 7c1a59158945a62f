package planner

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// estimateBudget is what loading a plan of n bytes and estimating all its scenarios may
// cost: the plan's parse (about 50 bytes per byte, and what aliases add) and little more.
// Looping over users (10^8 users paced took 6 s) or over arrivals would go past it.
var estimateBudget = fuzzcheck.Budget{AllocBase: 48 << 20, AllocPerByte: 256}

// FuzzEstimate holds the estimate to its promises on any plan that loads: within
// estimateBudget, JSON that encodes (no NaN, no infinity), counts and costs that are not
// negative, users within the plan's limit, and never "within budget" on an unknown cost.
func FuzzEstimate(f *testing.F) {
	const tasks = "tasks: {t: {request: {path: /x}, price: 0.003}, f: {request: {path: /y}, price: free}}\n"
	for _, s := range []string{
		"scenarios: {s: {users: 10000000, spawn_rate: 0.001, duration: 8760h, wait: {pacing: 1ms}}}\n",
		"scenarios: {s: {arrival_rate: 10000000/s, duration: 8760h, max_in_flight: 10000000}}\n",
		"scenarios: {s: {stages: [{duration: 1m, users: 10000000}, {duration: 8000h, users: 1}, {duration: 1s, users: 10000000}]}}\nwait: {pacing: 20s}\n",
		"scenarios: {s: {users: 3, duration: 1m, wait: {between: [0s, 8760h]}}}\n",
		"scenarios: {s: {users: 3, duration: 1m}}\n",
	} {
		f.Add([]byte("version: 1\ntarget: mock://\nbudget: 1\n" + tasks + s))
	}
	f.Add([]byte("version: 1\ntarget: mock://\npricing: {model: claude-haiku-4-5}\ntasks: {c: {request: {path: /v1/messages, json: {max_tokens: 100000000}}, usage: anthropic, expect: {input_tokens: 100000000, output_tokens: 100000000}}}\nscenarios: {s: {users: 10000000, duration: 8760h, wait: {constant: 1ns}}}\nrate_limit: {rpm: 1, tpm: 1}\n"))
	cat := pricing.Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		var e *Estimate
		var err error
		estimateBudget.Check(t, len(data), func() {
			var p *plan.Plan
			if p, err = plan.Parse("fuzz.yaml", data, plan.Options{Env: func(string) (string, bool) { return "", false }}); err != nil {
				return
			}
			e, err = EstimatePlan(p, p.Scenarios, cat, Options{Gate: GateWorst})
		})
		if err != nil || e == nil {
			return
		}
		// Checked on the JSON, which says the same whatever types hold the figures: it does
		// not encode NaN or infinities.
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("the estimate does not encode: %v", err)
		}
		var doc struct {
			Scenarios []struct {
				Name         string
				MaxUsers     int   `json:"max_users"`
				WithinBudget *bool `json:"within_budget"`
				Gate         string
				Requests     map[string]any
				Cost         map[string]any
			}
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Scenarios {
			for _, figures := range []map[string]any{s.Requests, s.Cost} {
				for k, v := range figures {
					if f, ok := number(v); ok && f < 0 {
						t.Fatalf("scenario %s: %s %v", s.Name, k, v)
					}
				}
			}
			if s.MaxUsers < 0 || s.MaxUsers > plan.MaxUsers {
				t.Fatalf("scenario %s: %d users", s.Name, s.MaxUsers)
			}
			if s.WithinBudget != nil && *s.WithinBudget && s.Cost[s.Gate] == nil {
				t.Fatalf("scenario %s: within budget on an unknown %s cost", s.Name, s.Gate)
			}
		}
	})
}

// number reads a JSON figure: a number, or a decimal in a string.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}
