package redisledger

import (
	"context"
	"os"
	"sync"
	"testing"

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
