package main

import (
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestEarlyProjectionShown: the live view says when the projection still leans on the
// estimate.
func TestEarlyProjectionShown(t *testing.T) {
	t.Parallel()
	p := summary.Progress{Projected: decimal.RequireFromString("10.62"), ProjectedEarly: true}
	if line := costLine(p); !strings.Contains(line, "projected (early) $10.62") {
		t.Errorf("cost line %q", line)
	}
	if line := plainLine(p); !strings.Contains(line, "projected=$10.62 (early)") {
		t.Errorf("plain line %q", line)
	}
	p.ProjectedEarly = false
	if line := costLine(p); strings.Contains(line, "early") {
		t.Errorf("cost line %q", line)
	}
}
