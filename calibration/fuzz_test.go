package calibration

import (
	"bytes"
	"testing"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

var parseBudget = fuzzcheck.Budget{AllocBase: 16 << 20, AllocPerByte: 256}

// FuzzParse: any file either parses into a calibration that writes and parses back to the
// same steps, or is refused with an error; within the allocation and time budget.
func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\nschema: loadplan.calibration/v1\nplan: p\nruns: [a.json]\ntasks:\n  chat:\n    requests: 3\n    samples: 3\n" +
		"    input_tokens: {mean: 1200.5, min: 1000, p10: 1000, p25: 1100, p50: 1200, p75: 1300, p90: 1400, p95: 1450, p99: 1500, max: 1500}\n" +
		"    cache_hit_rate: 0.7\n    latency: {median: 1.8s, p95: 4s}\n"))
	f.Add([]byte("version: 1\ntasks: {}\n"))
	f.Add([]byte("tasks: &a {x: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseBudget.Check(t, len(data), func() {
			c, err := Parse("fuzz.yaml", data)
			if err != nil {
				return
			}
			var b bytes.Buffer
			if err := Write(&b, c); err != nil {
				t.Fatal(err)
			}
			back, err := Parse("again.yaml", b.Bytes())
			if err != nil {
				t.Fatalf("written calibration does not parse: %v\n%s", err, b.String())
			}
			if len(back.Steps) != len(c.Steps) {
				t.Fatalf("%d steps written, %d read back", len(c.Steps), len(back.Steps))
			}
		})
	})
}
