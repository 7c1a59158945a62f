package summary

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/loadplan/loadplan/planner"
)

// The summaries under testdata/ were written by loadplan.run/v1 (report's simulated runs of
// examples/ai-service.yaml; smoke.json, worker1.json and worker2.json there). They are kept
// here as they are, not regenerated: a summary saved by an earlier loadplan must still read.

// readTestdata reads testdata/name.
func readTestdata(t *testing.T, name string) *Run {
	t.Helper()
	s, err := Read(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// estimateOf decodes the estimate s embeds.
func estimateOf(t *testing.T, s *Run) *planner.Scenario {
	t.Helper()
	var e planner.Scenario
	if err := json.Unmarshal(s.Estimate, &e); err != nil || e.Cost.Expected == nil {
		t.Fatalf("estimate %s: %v", s.Estimate, err)
	}
	return &e
}
