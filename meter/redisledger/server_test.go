package redisledger

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter/redisledger/redistest"
)

// server is a redis-server of a test.
type server = redistest.Server

var (
	sharedOnce sync.Once
	shared     *server
	sharedErr  error
)

// sharedServer is one server for the tests that do not stop theirs; each test gives its runs
// their own IDs. TestMain stops it. Without redis-server the test is skipped, and fails when
// $CI is set.
func sharedServer(t testing.TB) *server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = redistest.Launch(0) })
	if sharedErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", t.Name(), sharedErr)
		}
		t.Skipf("%s: %v", t.Name(), sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(worker(spec))
	}
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	os.Exit(code)
}

// ctxTimeout is a context bounded by testTimeout, cancelled at the test's end.
func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// workerEnv makes the test binary a worker process of TestKilledWorker: "URL RUNID".
const workerEnv = "REDISLEDGER_TEST_WORKER"

// worker joins the run, reserves $0.3 and $0.2 of its $1, says "reserved" on stdout and waits,
// at most 30 s, to be killed.
func worker(spec string) int {
	url, id, _ := strings.Cut(spec, " ")
	budget := decimal.RequireFromString("1")
	l, err := Open(context.Background(), Options{URL: url, RunID: id, Budget: &budget, LeaseTTL: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, worst := range []string{"0.3", "0.2"} {
		if _, err := l.Reserve(context.Background(), decimal.RequireFromString(worst)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("reserved")
	time.Sleep(30 * time.Second)
	return 1
}
