package report

import (
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

func TestWriteLive(t *testing.T) {
	t.Parallel()
	var l Live
	var b strings.Builder
	if err := WriteLive(&b, &l); err != nil || !strings.Contains(b.String(), "Waiting") {
		t.Fatalf("before any progress: %v\n%s", err, b.String())
	}
	budget := decimal.RequireFromString("2")
	n := 5
	for i := 1; i <= 3; i++ {
		ttft := summary.Percentiles{P50: 120, P95: 300}
		l.Add(summary.Progress{Elapsed: time.Duration(i) * time.Second, Remaining: time.Minute, Users: 5,
			Spent: decimal.RequireFromString("0.25"), Reserved: decimal.RequireFromString("0.05"), Budget: &budget,
			SpendPerMin: decimal.RequireFromString("0.5"), Projected: decimal.RequireFromString("1.5"),
			Point: summary.TimelinePoint{T: float64(i), Users: 5, RPS: 10, FPS: 1, P50: 100, P95: 200, Spent: decimal.RequireFromString("0.25")},
			Tasks: []summary.TaskProgress{{Name: "chat_stream", Method: "POST", Requests: 30, Failures: 3, CurrentRPS: 10, TTFT: &ttft,
				Latency: summary.Percentiles{P50: 100, P95: 200, Max: 900}, Cost: decimal.RequireFromString("0.25")}},
			Total:    summary.TaskProgress{Requests: 30, Failures: 3, CurrentRPS: 10, TTFT: &ttft, Latency: summary.Percentiles{P50: 100, P95: 200, Max: 900}},
			Failures: []summary.Failure{{Task: "chat_stream", Method: "POST", Error: "HTTP 529", Occurrences: 3}},
			Events:   []summary.Event{{T: 2, Kind: summary.EventUsers, Detail: "users set to 5 by 127.0.0.1", Users: &n}},
		})
	}
	b.Reset()
	if err := WriteLive(&b, &l); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"<svg", "Cumulative cost over time", "budget $2.00", "projected $1.50", "spent $0.25",
		"chat_stream", "HTTP 529", "3 (10%)", "users set to 5 by 127.0.0.1", "TTFT p95", "$0.50 a minute", "No budget"} {
		if want == "No budget" {
			if strings.Contains(out, want) {
				t.Errorf("a run with a budget says %q", want)
			}
			continue
		}
		if !strings.Contains(out, want) {
			t.Errorf("the fragment lacks %q", want)
		}
	}
	if strings.Contains(out, "<html") || strings.Contains(out, "<style") {
		t.Error("the fragment is a whole page")
	}
}
