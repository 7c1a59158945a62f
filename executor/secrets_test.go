package executor

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadplan/loadplan/plan"
)

const canary = "sk-canary-7d3a1b"

// parseSecretPlan parses a plan in which ${API_KEY} is the canary.
func parseSecretPlan(t *testing.T, yaml, target string) *plan.Plan {
	t.Helper()
	env := func(k string) (string, bool) {
		if k == "API_KEY" {
			return canary, true
		}
		return "", false
	}
	p, err := plan.Parse(filepath.Join(t.TempDir(), "plan.yaml"), []byte(strings.ReplaceAll(yaml, "TARGET", target)), plan.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder is a server that records the headers of each request by path.
type recorder struct {
	mu   sync.Mutex
	seen map[string][]http.Header
}

func (rc *recorder) record(r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen == nil {
		rc.seen = map[string][]http.Header{}
	}
	rc.seen[r.URL.Path] = append(rc.seen[r.URL.Path], r.Header.Clone())
}

func (rc *recorder) get(path string) []http.Header {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.seen[path]
}

const redirectPlan = `version: 1
name: redirects
target: TARGET
headers: {Authorization: "Bearer ${API_KEY}", X-Api-Key: "${API_KEY}", X-Custom: "k=${API_KEY}", X-Plain: hello, Cookie: "sid=1234567"}
tasks:
  other_origin: {request: {path: "/to-other?key=${API_KEY}"}, price: free}
  same_origin: {request: {path: "/to-self?key=${API_KEY}"}, price: free}
  not_followed: {request: {path: /to-other, follow_redirects: false}, check: {status: [307]}, price: free}
scenarios:
  s: {users: 1, duration: 1s}
`

// TestRedirectsDropSecrets: a redirect to another origin (here another loopback port, which
// the plan allows) carries none of the secret headers, a redirect never carries a Referer
// (its URL had the key in its query), a redirect to the same origin keeps the headers, and
// follow_redirects: false makes the 3xx the response.
func TestRedirectsDropSecrets(t *testing.T) {
	t.Parallel()
	var other, self recorder
	otherSrv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.record(r) }))
	mux := http.NewServeMux()
	mux.HandleFunc("/to-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/landing", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/to-self", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/landing", func(w http.ResponseWriter, r *http.Request) { self.record(r) })
	url := server(t, mux).URL
	p := parseSecretPlan(t, redirectPlan, url)
	r := testRunner(t, config(t, p, "s", url, nil))
	u := testUser(t, r, 1)
	for _, tk := range r.tasks {
		if !r.runStep(u, tk.steps[0]) {
			t.Fatalf("%s failed: %+v", tk.name, r.stats.failureList())
		}
	}
	landed := other.get("/landing")
	if len(landed) != 1 {
		t.Fatalf("the other origin got %d requests, want 1 (follow_redirects: false must not follow)", len(landed))
	}
	for name, vs := range landed[0] {
		for _, v := range vs {
			if strings.Contains(v, canary) || strings.Contains(v, "1234567") || name == "Referer" {
				t.Errorf("the other origin got %s: %s", name, v)
			}
		}
	}
	if landed[0].Get("X-Plain") != "hello" {
		t.Errorf("a header that is no secret was not forwarded: %v", landed[0])
	}
	same := self.get("/landing")
	if len(same) != 1 {
		t.Fatalf("the same origin got %d requests", len(same))
	}
	if same[0].Get("X-Api-Key") != canary || same[0].Get("X-Custom") != "k="+canary || same[0].Get("Referer") != "" {
		t.Errorf("same origin: %v", same[0])
	}
}

// TestFailuresMaskSecrets: a check that fails on a server that echoes its request records
// the failure and its sample with every secret masked: the environment's values, a fixed
// credential, and a token captured at login and sent in a templated header.
func TestFailuresMaskSecrets(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"token":"tok-session-99887766"}`))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"you_sent": []string{r.Method, r.URL.String(),
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"), r.Header.Get("Cookie"), "ok"}})
	})
	url := server(t, mux).URL
	p := parseSecretPlan(t, `version: 1
name: echo
target: TARGET
headers: {Authorization: "Bearer ${API_KEY}", X-Api-Key: literal-key-31415}
on_start: [{name: login, request: {path: /login}, capture: {token: $.token}, price: free}]
tasks:
  echo:
    request: {path: "/echo?k=${API_KEY}", headers: {Cookie: "sid={{vars.token}}"}}
    check: {json: {"$.you_sent[1]": nope, "$.you_sent[2]": nope, "$.you_sent[3]": nope, "$.you_sent[4]": nope}}
    price: free
  echo_whole:
    request: {path: "/echo?k=${API_KEY}", headers: {Cookie: "sid={{vars.token}}"}}
    check: {json: {"$.you_sent": nope}}
    price: free
scenarios:
  s: {users: 1, duration: 1s}
`, url)
	r := testRunner(t, config(t, p, "s", url, nil))
	u := testUser(t, r, 1)
	r.runSteps(u, r.onStart)
	if u.vars["token"] == "" {
		t.Fatal("no token captured")
	}
	for _, tk := range r.tasks {
		s := tk.steps[0]
		for i := range s.checks {
			// Each check in turn: the first that fails is recorded.
			one := *s
			one.checks = s.checks[i : i+1]
			r.runStep(u, &one)
		}
	}
	fails := r.stats.failureList()
	if len(fails) < 5 {
		t.Fatalf("%d failures recorded: %+v", len(fails), fails)
	}
	for _, f := range fails {
		for _, secret := range []string{canary, "sk-canary", "literal-key", "tok-session", "99887766"} {
			if strings.Contains(f.Error, secret) {
				t.Errorf("failure %q holds %q", f.Error, secret)
			}
		}
		if !strings.Contains(f.Error, "e.g. got") {
			t.Errorf("failure %q has no sample", f.Error)
		}
	}
}
