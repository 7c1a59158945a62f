package monitor

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
)

// TestAgainstTheMock scrapes the mock's real /metrics (the Prometheus Go client's
// exposition): the process collector's CPU and memory, a label selection of the token
// counter that equals the mock's ledger, and the circuit breaker counter at 0.
func TestAgainstTheMock(t *testing.T) {
	t.Parallel()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeScale = 0
	s, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	send := func(n int) {
		for range n {
			resp, err := srv.Client().Post(srv.URL+mock.PathChatMessage, "application/json", bytes.NewReader([]byte(`{"message": "hi"}`)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	mons := []*plan.Monitor{{URL: "/metrics", Every: time.Second, Series: append(plan.DefaultMonitorSeries(),
		mustSeries(t, map[string]string{
			"input":         `claude_api_tokens_total{type="input"}`,
			"requests":      "sum(claude_api_requests_total)",
			"breaker_trips": "circuit_breaker_open_total",
		})...)}}
	g, err := NewGroup(srv.URL, mons, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	send(5)
	g.mons[0].scrape(ctx, 0)
	send(7)
	g.mons[0].scrape(ctx, 1)
	r := g.Report()
	if tg := r.Targets[0]; tg.Failed != 0 || tg.Scrapes != 2 {
		t.Fatalf("target %+v", tg)
	}
	last := func(name string) Point {
		s := r.Find(name)
		if s == nil || len(s.Points) == 0 {
			t.Fatalf("series %s: %+v", name, s)
		}
		return s.Points[len(s.Points)-1]
	}
	ledger := s.Ledger().Snapshot()
	if v := last("input").V; v != float64(ledger.Tokens.Input) || v == 0 {
		t.Errorf("input tokens %v, ledger %d", v, ledger.Tokens.Input)
	}
	if v := last("requests").V; v != 12 {
		t.Errorf("requests %v, want 12", v)
	}
	if p := last("breaker_trips"); p.V != 0 || len(r.Find("breaker_trips").Points) != 2 {
		t.Errorf("breaker trips %+v", r.Find("breaker_trips"))
	}
	if v := last(plan.SeriesMemory).V; v < 1<<20 {
		t.Errorf("resident memory %v bytes", v)
	}
	// CPU: a rate from the second scrape on, in cores, never negative.
	if cpu := r.Find(plan.SeriesCPU); len(cpu.Points) != 1 || cpu.Points[0].V < 0 || cpu.Unit != UnitCores {
		t.Errorf("cpu %+v", cpu)
	}
}
