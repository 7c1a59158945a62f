package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestCompareGolden(t *testing.T) {
	t.Parallel()
	before, after := testSummary(t, "smoke.json"), testSummary(t, "smoke_after.json")
	c := Compare(before, after)
	c.Before.File, c.After.File = "smoke.json", "smoke_after.json"
	var b bytes.Buffer
	if err := CompareTable(&b, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden/compare.table", b.Bytes())
	b.Reset()
	if err := WriteJSON(&b, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden/compare.json", b.Bytes())
	// Money stays a decimal string in JSON.
	var back struct {
		Changes []struct {
			Metric, Task         string
			Before, After, Delta any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, ch := range back.Changes {
		if ch.Metric == "total_cost" && ch.Task == "" {
			if s, ok := ch.After.(string); !ok || s != after.Actual.Cost.String() {
				t.Errorf("total_cost after = %#v, want the decimal string %q", ch.After, after.Actual.Cost.String())
			}
		}
	}
}

func TestCompareVerdicts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		higherBetter bool
		v0, v1       value
		want         string
	}{
		{"latency down", false, num(100), num(80), VerdictBetter},
		{"latency up", false, num(100), num(130), VerdictWorse},
		{"latency within the dead band", false, num(100), num(101.9), VerdictSame},
		{"latency at the dead band", false, num(100), num(102), VerdictWorse},
		{"rps up", true, num(10), num(12), VerdictBetter},
		{"rps down", true, num(10), num(8), VerdictWorse},
		{"failures from none", false, num(0), num(0.01), VerdictWorse},
		{"failures to none", false, num(0.01), num(0), VerdictBetter},
		{"no failures either time", false, num(0), num(0), VerdictSame},
		{"cost down", false, money(decimalOf("0.0062")), money(decimalOf("0.0049")), VerdictBetter},
		{"cost equal, differently written", false, money(decimalOf("1.50")), money(decimalOf("1.5")), VerdictSame},
		{"new request name", false, value{}, num(5), VerdictNew},
		{"gone request name", false, num(5), value{}, VerdictGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := newChange("m", "", "ms", tc.higherBetter, tc.v0, tc.v1); got.Verdict != tc.want {
				t.Errorf("verdict %s, want %s (%+v)", got.Verdict, tc.want, got)
			}
		})
	}
}

func TestCompareNotes(t *testing.T) {
	t.Parallel()
	smoke, normal := testSummary(t, "smoke.json"), testSummary(t, "worker1.json")
	c := Compare(smoke, normal)
	if len(c.Notes) == 0 {
		t.Error("comparing two scenarios: no note")
	}
	self := Compare(smoke, smoke)
	if self.Better != 0 || self.Worse != 0 {
		t.Errorf("a run against itself: %d better, %d worse", self.Better, self.Worse)
	}
}
