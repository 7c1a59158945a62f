package plan

import (
	"os"
	"testing"
)

// FuzzParse holds the loader to its promise: whatever the bytes, it returns a plan or located
// errors, and never panics.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../examples/ai-service.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("version: 1\ntasks: {a: {steps: [{request: {path: /x}, price: free}]}}\nscenarios: {s: {stages: [{duration: 1m, users: 3}]}}\ntarget: mock://\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("version: 1\n<<: {name: x}\nthresholds: {p95: {limit: 5s, abort_on_fail: true}}\n"))
	f.Add([]byte(minimal + "monitor: [{url: /m, every: 2s, series: {a: 'sum(rate(x{y=\"z\"}[1m]))'}}, {}]\n" +
		"thresholds: {target_cpu: {limit: 80%, series: a}, target_metric: [{series: a, max: 1}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data, Options{Env: noEnv})
		if err == nil && p == nil {
			t.Fatal("no plan and no error")
		}
		if err != nil {
			if _, ok := AsErrors(err); !ok {
				t.Fatalf("error is not located: %T %v", err, err)
			}
		}
	})
}
