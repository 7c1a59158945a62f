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
