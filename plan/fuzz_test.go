package plan

import (
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

// parseBudget is what parsing n bytes may cost: the YAML parser's nodes (about 50 bytes per
// byte of input) and the values YAML aliases may add (MaxAliasValues, about 30 MB).
var parseBudget = fuzzcheck.Budget{AllocBase: 48 << 20, AllocPerByte: 256}

// FuzzParse holds the loader to its promises: whatever the bytes, it returns a plan or located
// errors, never panics, and stays within parseBudget (an alias bomb of a few hundred bytes
// took 443 MB). The seeds are small: the fuzzer's minimiser spends its time on large ones.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("version: 1\ntasks: {a: {steps: [{request: {path: /x}, price: free}]}}\nscenarios: {s: {stages: [{duration: 1m, users: 3}]}}\ntarget: mock://\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("a: &a [1, 2]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"))
	f.Add([]byte("version: 1\n<<: {name: x}\nthresholds: {p95: {limit: 5s, abort_on_fail: true}}\n"))
	f.Add([]byte("scenarios: {s: {users: 9223372036854775807, spawn_rate: 1e308, duration: 2562047h}, o: {arrival_rate: 1e308/s, duration: 1m}}\n"))
	f.Add([]byte("headers: {\"A B\": \"x\\r\\ny\"}\nbudget: 1e-999999999\n"))
	f.Add([]byte(minimal + "monitor: [{url: /m, every: 2s, series: {a: 'sum(rate(x{y=\"z\"}[1m]))'}}, {}]\n" +
		"thresholds: {target_cpu: {limit: 80%, series: a}, target_metric: [{series: a, max: 1}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *Plan
		var err error
		parseBudget.Check(t, len(data), func() { p, err = Parse("fuzz.yaml", data, Options{Env: noEnv}) })
		if err == nil && p == nil {
			t.Fatal("no plan and no error")
		}
		if err != nil {
			es, ok := AsErrors(err)
			if !ok {
				t.Fatalf("error is not located: %T %v", err, err)
			}
			if len(es) > MaxProblems+1 {
				t.Fatalf("%d problems listed; at most %d and a count", len(es), MaxProblems)
			}
			return
		}
		for _, s := range p.Scenarios {
			if s.Users > MaxUsers || s.MaxUsers() > MaxUsers || s.TotalDuration() > MaxDuration || s.TotalDuration() < 0 ||
				s.ArrivalRate.PerSecond > MaxRate || s.SpawnRate > MaxRate || s.SpawnRate != s.SpawnRate {
				t.Fatalf("scenario %s past the limits: %+v", s.Name, s)
			}
		}
	})
}
