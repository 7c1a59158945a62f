package executor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const connPlan = `version: 1
name: conns
target: TARGET
wait: {constant: 5ms}
tasks:
  hop:
    request: {method: POST, path: /hop, body: "x"}
    price: free
  home:
    request: {path: /home}
    price: free
scenarios:
  s: {users: 6, spawn_rate: 100, duration: 600ms}
`

// TestUserConnections: on plain HTTP every user has one connection of its own, kept alive
// over its requests (a redirect followed on it too), and closed when the run ends.
// Not parallel: see main_test.go.
func TestUserConnections(t *testing.T) {
	var mu sync.Mutex
	states := map[http.ConnState]int{}
	byUser := map[string]map[string]bool{} // X-Loadplan-User → the remote addresses it came from
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		u := r.Header.Get("X-Loadplan-User")
		if byUser[u] == nil {
			byUser[u] = map[string]bool{}
		}
		byUser[u][r.RemoteAddr] = true
		mu.Unlock()
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "/home", http.StatusSeeOther)
			return
		}
		io.WriteString(w, "home")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		states[s]++
		mu.Unlock()
	}
	srv.Start()
	t.Cleanup(srv.Close)

	p := parsePlan(t, connPlan, srv.URL, nil)
	s := run(t, config(t, p, "s", srv.URL, nil))
	if s.Actual.Failures != 0 || s.Actual.Requests < 30 {
		t.Fatalf("requests %d, failures %+v", s.Actual.Requests, s.Failures)
	}
	mu.Lock()
	if len(byUser) != 6 {
		t.Errorf("%d users seen, want 6", len(byUser))
	}
	for u, addrs := range byUser {
		if len(addrs) != 1 {
			t.Errorf("user %s came over %d connections, want 1", u, len(addrs))
		}
	}
	if states[http.StateNew] != 6 {
		t.Errorf("%d connections opened for 6 users", states[http.StateNew])
	}
	mu.Unlock()
	// Every connection is closed once Run has returned (the server sees it shortly after).
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		closed := states[http.StateClosed]
		mu.Unlock()
		if closed == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 6 connections closed after the run", closed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUserConnectionProxy: a plain-HTTP request that a proxy from the environment applies to
// goes through the proxy (the shared transport), not over the user's own connection. net/http
// reads the proxy variables once per process, so the test runs itself again in a child
// process with them set.
func TestUserConnectionProxy(t *testing.T) {
	t.Parallel()
	if os.Getenv("LOADPLAN_TEST_PROXY_CHILD") == "" {
		var mu sync.Mutex
		var seen []string
		proxy := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Method+" "+r.URL.String())
			mu.Unlock()
			io.WriteString(w, "proxied")
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestUserConnectionProxy$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LOADPLAN_TEST_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL,
			"NO_PROXY=", "no_proxy=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 1 || seen[0] != "GET http://api.example.test/home" {
			t.Errorf("the proxy saw %q", seen)
		}
		return
	}
	// The child. The target is a name, not loopback (Go never proxies a loopback address);
	// the proxy answers for it: nothing is resolved or sent elsewhere.
	target := "http://api.example.test"
	p := parsePlan(t, strings.Replace(connPlan, "users: 6", "users: 1", 1), target, nil)
	r := testRunner(t, config(t, p, "s", target, nil))
	u := r.newUser(1, 0)
	defer u.close()
	if !r.runStep(u, r.tasks[1].steps[0]) {
		t.Fatalf("the proxied request failed: %v", r.stats.failureList())
	}
}

const streamTimeoutPlan = `version: 1
name: stall
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  stall:
    request: {method: POST, path: /stall, json: {max_tokens: 10}, stream: true, timeout: 30ms}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 10}
scenarios:
  s: {users: 1, duration: 10s}
`

// TestStreamTimeout: a stream that stalls past the request's timeout is a timeout, every
// time: the user's connection has the request's deadline and the request's context has its
// own timer, and whichever fires first, it is not a "stream cut".
func TestStreamTimeout(t *testing.T) {
	t.Parallel()
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", messageStart)
		<-r.Context().Done() // then nothing, until the client gives up
	}))
	p := parsePlan(t, streamTimeoutPlan, srv.URL, nil)
	r := testRunner(t, config(t, p, "s", srv.URL, nil))
	u := r.newUser(1, 0)
	defer u.close()
	s := r.tasks[0].steps[0]
	for range 40 {
		if r.runStep(u, s) {
			t.Fatal("a stalled stream succeeded")
		}
	}
	got := map[string]int64{}
	for _, f := range r.stats.failureList() {
		got[f.Error] += f.Occurrences
	}
	if len(got) != 1 || got["timeout"] != 40 {
		t.Errorf("failures %v, want 40 timeouts", got)
	}
}

const twoHostPlan = `version: 1
name: two-hosts
target: TARGET
wait: {constant: 2ms}
tasks:
  api:
    request: {path: /api}
    price: free
  auth:
    request: {url: "AUTH/token"}
    price: free
scenarios:
  s: {users: 3, spawn_rate: 100, duration: 400ms}
`

// TestSecondHost: a plan whose steps alternate between the target and another host keeps
// each user's connection to the target (the other host's requests go through the shared
// pool) instead of closing and opening it at every change.
// Not parallel: see main_test.go.
func TestSecondHost(t *testing.T) {
	count := func(n *atomic.Int32) func(net.Conn, http.ConnState) {
		return func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				n.Add(1)
			}
		}
	}
	var apiConns, authConns atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") }))
	api.Config.ConnState = count(&apiConns)
	api.Start()
	t.Cleanup(api.Close)
	auth := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "token") }))
	auth.Config.ConnState = count(&authConns)
	auth.Start()
	t.Cleanup(auth.Close)

	p := parsePlan(t, strings.Replace(twoHostPlan, "AUTH", auth.URL, 1), api.URL, nil)
	s := run(t, config(t, p, "s", api.URL, nil))
	apiRow, authRow := row(s, "api"), row(s, "auth")
	if s.Actual.Failures != 0 || apiRow == nil || authRow == nil || apiRow.Requests < 10 || authRow.Requests < 10 {
		t.Fatalf("requests %d, failures %+v", s.Actual.Requests, s.Failures)
	}
	if n := apiConns.Load(); n != 3 {
		t.Errorf("the target saw %d connections for 3 users over %d requests, want 3", n, apiRow.Requests)
	}
	if n := authConns.Load(); n > 3 {
		t.Errorf("the other host saw %d connections for 3 users, want at most 3 (pooled)", n)
	}
}
