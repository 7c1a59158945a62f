package mock

import (
	"net/http"
	"strings"
	"testing"
)

// TestBreakerTrips: the breaker profile trips the circuit breaker on some requests: each
// answers 503 before any output, bills nothing, and circuit_breaker_open_total counts it, as
// the ledger does. The default profile exports the counter at 0, and the process metrics.
func TestBreakerTrips(t *testing.T) {
	t.Parallel()
	cfg, err := Profile("breaker")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeScale, cfg.Seed = 0, 7
	s, url := newTestServer(t, cfg)
	client := s.Client()
	const n = 400
	unavailable := int64(0)
	for i := range n {
		o := do(t, client, url, PathChatMessage, map[string]any{"message": "hi", "session": "u" + string(rune('a'+i%20))}, nil)
		if o.status == http.StatusServiceUnavailable {
			unavailable++
			if !strings.Contains(string(o.body), "Circuit breaker open") {
				t.Errorf("503 body %s", o.body)
			}
		}
	}
	snap := s.Ledger().Snapshot()
	// 2% of 400: some trips, and not all requests.
	if snap.BreakerTrips == 0 || snap.BreakerTrips != unavailable || unavailable > n/5 {
		t.Errorf("breaker trips %d, 503s %d of %d", snap.BreakerTrips, unavailable, n)
	}
	if got := snap.Requests[PathChatMessage]["503"]; got != unavailable {
		t.Errorf("ledger 503s %d, responses %d", got, unavailable)
	}
	metrics := scrape(t, url)
	if m, err := metricFloat(metrics, "circuit_breaker_open_total"); err != nil || m != float64(unavailable) {
		t.Errorf("circuit_breaker_open_total %v (%v), want %d", m, err, unavailable)
	}
	// A reset zeroes it, and it is still exported.
	s.Reset()
	if m, err := metricFloat(scrape(t, url), "circuit_breaker_open_total"); err != nil || m != 0 {
		t.Errorf("after reset: circuit_breaker_open_total %v (%v)", m, err)
	}

	def, _ := Profile("default")
	def.TimeScale = 0
	_, durl := newTestServer(t, def)
	metrics = scrape(t, durl)
	if m, err := metricFloat(metrics, "circuit_breaker_open_total"); err != nil || m != 0 {
		t.Errorf("default profile: circuit_breaker_open_total %v (%v), want 0", m, err)
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if m, err := metricFloat(metrics, name); err != nil || m <= 0 {
			t.Errorf("%s = %v (%v): the process collector is not on the mock's registry", name, m, err)
		}
	}
}
