package executor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
)

// TestRunClosesIdleConnections: once Run has returned, the client it built holds no
// connection to the target, so a target stopped gracefully right after the run (the embedded
// mock of a mock:// run) stops at once.
func TestRunClosesIdleConnections(t *testing.T) {
	t.Parallel()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale = 3, 0.001
	cfg.Faults = mock.Faults{Reset: 0.05, StreamCut: 0.05}
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	p := parsePlan(t, strings.Replace(costPlan, "users: 4, duration: 1500ms, wait: {constant: 5ms}", "users: 40, duration: 1s", 1), url, nil)
	run(t, config(t, p, "s", url, nil))
	start := time.Now()
	stop()
	if d := time.Since(start); d > 3*time.Second { // 5 s, the server's idle grace, when they are left open
		t.Errorf("the target took %s to stop after the run: the run left connections open", d)
	}
}
