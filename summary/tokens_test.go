package summary

import (
	"encoding/json"
	"github.com/loadplan/loadplan/planner"
	"testing"

	"github.com/loadplan/loadplan/pricing"
)

func TestTokenDistRecordsMergesAndRoundTrips(t *testing.T) {
	t.Parallel()
	var a, b TokenRecorder
	for i := int64(1); i <= 100; i++ {
		// Prompts of 1000 + i tokens, 800 of them a cacheable prefix read on even requests.
		u := pricing.Usage{Input: 200 + i, Output: 10 * i}
		if i%2 == 0 {
			u.CacheRead = 800
		} else {
			u.CacheWrite5m = 800
		}
		if i <= 50 {
			a.Record(u)
		} else {
			b.Record(u)
		}
	}
	da, err := a.Dist()
	if err != nil {
		t.Fatal(err)
	}
	db, _ := b.Dist()
	m, err := MergeTokenDists([]*TokenDist{da, nil, db})
	if err != nil {
		t.Fatal(err)
	}
	if m.Responses != 100 || m.Hits != 50 {
		t.Fatalf("responses %d hits %d, want 100 and 50", m.Responses, m.Hits)
	}
	// Sum of 1000+i for i in 1..100 = 100000 + 5050.
	if m.Prompt.Sum != 105050 || m.Prompt.Max != 1100 || m.Cacheable.Max != 800 || m.Output.Max != 1000 {
		t.Fatalf("merged %+v", m)
	}
	q, err := TokenQuantiles(m.Output, []float64{0, 50, 95, 100})
	if err != nil {
		t.Fatal(err)
	}
	// Output is 10..1000 in steps of 10: p50 = 500, p95 = 950 (3 significant figures).
	if q[0] != 10 || q[1] < 499 || q[1] > 501 || q[2] < 949 || q[2] > 951 || q[3] != 1000 {
		t.Fatalf("quantiles %v", q)
	}
	// A summary row round-trips with its distribution; an old row (no token_dist) reads nil.
	b1, _ := json.Marshal(TaskStats{Name: "x", TokenDist: m})
	var back TaskStats
	if err := json.Unmarshal(b1, &back); err != nil || back.TokenDist == nil || back.TokenDist.Output.Sum != m.Output.Sum {
		t.Fatalf("round trip: %v %+v", err, back.TokenDist)
	}
	var old TaskStats
	if err := json.Unmarshal([]byte(`{"name":"x","requests":3}`), &old); err != nil || old.TokenDist != nil {
		t.Fatalf("old row: %v %+v", err, old.TokenDist)
	}
	if d, _ := (&TokenRecorder{}).Dist(); d != nil {
		t.Fatalf("empty recorder: %+v", d)
	}
}

// The workers' token distributions merge with their summaries: counts and sums add, and
// an old worker's row without one leaves the merged row with the others'.
func TestMergeWorkersTokenDists(t *testing.T) {
	t.Parallel()
	w1, w2 := readTestdata(t, "worker1.json"), readTestdata(t, "worker2.json")
	var a, b TokenRecorder
	for i := int64(1); i <= 10; i++ {
		a.Record(pricing.Usage{Input: 100, CacheRead: 1000, Output: i})
		b.Record(pricing.Usage{Input: 200, CacheWrite5m: 1000, Output: 100 * i})
	}
	da, _ := a.Dist()
	db, _ := b.Dist()
	w1.Tasks[1].TokenDist, w2.Tasks[1].TokenDist = da, db
	name := w1.Tasks[1].Name
	m, err := Merge(planner.MergeEstimates, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range m.Tasks {
		d := task.TokenDist
		if task.Name != name {
			if d != nil {
				t.Errorf("%s: token_dist %+v from nowhere", task.Name, d)
			}
			continue
		}
		// Prompts 1100 and 1200, ten each; outputs 1..10 and 100..1000.
		if d == nil || d.Responses != 20 || d.Hits != 10 || d.Prompt.Sum != 23000 || d.Output.Max != 1000 || d.Output.Sum != 55+5500 {
			t.Fatalf("%s: merged %+v", name, d)
		}
	}
}
