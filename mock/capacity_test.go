package mock

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCapacityQueues: with 2 workers and a fixed 100 ms latency, 6 requests sent at once are
// served in three waves, so the k-th fastest (from 0) cannot take less than (k/2+1)×100 ms.
// Without the capacity all six take about 100 ms, and the later waves' bounds fail.
func TestCapacityQueues(t *testing.T) {
	t.Parallel()
	cfg := Config{Model: DefaultModel, TimeScale: 1, Capacity: 2, Endpoints: map[string]Endpoint{
		PathChatMessage: {Latency: Latency{Median: 100 * time.Millisecond}, InputTokens: 10, OutputTokens: 5},
	}}
	s, base := newTestServer(t, cfg)
	const n = 6
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			o := do(t, http.DefaultClient, base, PathChatMessage, map[string]any{"message": "hi"}, nil)
			took[i] = time.Since(start)
			if o.status != http.StatusOK {
				t.Errorf("request %d: %d %s", i, o.status, o.body)
			}
		}()
	}
	wg.Wait()
	slices.Sort(took)
	for k, d := range took {
		if floor := time.Duration(k/2+1) * 100 * time.Millisecond; d < floor {
			t.Errorf("request %d of %d took %v, less than its wave's %v: %v", k, n, d, floor, took)
		}
	}
	if got := s.Ledger().Snapshot().Requests[PathChatMessage]["200"]; got != n {
		t.Errorf("ledger: %d answers, want %d", got, n)
	}
	if s.inFlight.Load() != 0 || len(s.workers) != 0 {
		t.Errorf("after the requests: %d in flight, %d workers held", s.inFlight.Load(), len(s.workers))
	}
}

func TestCapacityConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("mock.yaml", []byte("capacity: 4\n"))
	if err != nil || cfg.Capacity != 4 {
		t.Errorf("capacity: 4 parsed to %d, %v", cfg.Capacity, err)
	}
	_, err = ParseConfig("mock.yaml", []byte("seed: 1\ncapacity: -1\n"))
	if err == nil || !strings.Contains(err.Error(), "mock.yaml:2:1: capacity: must be 0 (no limit) or more") {
		t.Errorf("capacity: -1: %v", err)
	}
	sat, err := Profile("saturating")
	if err != nil || sat.Capacity != SaturatingCapacity {
		t.Errorf("saturating: capacity %d, %v", sat.Capacity, err)
	}
	if def, _ := Profile("default"); def.Capacity != 0 {
		t.Errorf("default profile has a capacity of %d", def.Capacity)
	}
}
