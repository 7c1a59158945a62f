package executor

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
)

// chiSquare is Pearson's statistic of observed counts against weights.
func chiSquare(observed []int64, weights []int) float64 {
	var n, w float64
	for i := range observed {
		n += float64(observed[i])
		w += float64(weights[i])
	}
	x := 0.0
	for i, o := range observed {
		e := n * float64(weights[i]) / w
		x += (float64(o) - e) * (float64(o) - e) / e
	}
	return x
}

func TestTaskWeightsPick(t *testing.T) {
	t.Parallel()
	weights := []int{1, 2, 3, 4}
	r := &runner{}
	sum := 0
	for i, w := range weights {
		sum += w
		r.tasks = append(r.tasks, &task{name: fmt.Sprint(i), weight: w})
		r.weights = append(r.weights, sum)
	}
	u := &user{rand: rand.New(rand.NewPCG(42, 1))}
	counts := make([]int64, len(weights))
	for range 20000 {
		tk := r.pickTask(u)
		for i := range r.tasks {
			if r.tasks[i] == tk {
				counts[i]++
			}
		}
	}
	// 3 degrees of freedom: P(X > 16.27) = 0.001.
	if x := chiSquare(counts, weights); x > 16.27 {
		t.Errorf("counts %v do not follow the weights %v: chi-square %.2f", counts, weights, x)
	}
}

const weightsPlan = `version: 1
name: weights
target: TARGET
tasks:
  a: {weight: 1, request: {method: GET, path: /a}, price: free}
  b: {weight: 3, request: {method: GET, path: /b}, price: free}
  c: {weight: 6, request: {method: GET, path: /c}, price: free}
scenarios:
  s: {users: 4, duration: 1s, wait: {constant: 2ms}}
`

// Not parallel: see main_test.go.
func TestTaskWeightsRun(t *testing.T) {
	var users sync.Map
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users.Store(r.Header.Get("X-Loadplan-User"), true)
		io.WriteString(w, "ok")
	}))
	p := parsePlan(t, weightsPlan, srv.URL, nil)
	s := run(t, config(t, p, "s", srv.URL, nil))
	if s.StopReason != summary.StopCompleted || s.Partial {
		t.Errorf("stop %s partial %v", s.StopReason, s.Partial)
	}
	counts := []int64{row(s, "a").Requests, row(s, "b").Requests, row(s, "c").Requests}
	if s.Actual.Requests < 100 || s.Actual.Failures != 0 {
		t.Fatalf("requests %d failures %d", s.Actual.Requests, s.Actual.Failures)
	}
	// 2 degrees of freedom: P(X > 13.82) = 0.001.
	if x := chiSquare(counts, []int{1, 3, 6}); x > 13.82 {
		t.Errorf("counts %v do not follow the weights 1:3:6: chi-square %.2f", counts, x)
	}
	for _, k := range []string{"1", "2", "3", "4"} {
		if _, ok := users.Load(k); !ok {
			t.Errorf("no request from user %s (X-Loadplan-User)", k)
		}
	}
	if len(s.Timeline) == 0 || s.Tasks[0].Histogram == "" {
		t.Errorf("no timeline or histogram")
	}
}

const sequencePlan = `version: 1
name: seq
target: TARGET
on_start:
  - {name: login, request: {method: POST, path: /login, json: {user: "{{user}}"}}, capture: {token: $.token}, price: free}
tasks:
  order:
    steps:
      - name: create
        request: {method: POST, path: /orders, headers: {Authorization: "Bearer {{vars.token}}"}, json: {n: "{{seq}}"}}
        capture: {id: $.id}
        price: free
      - name: get
        request: {method: GET, path: "/orders/{{vars.id}}", query: {t: "{{vars.token}}"}}
        check: {json: {$.ok: "true"}}
        price: free
scenarios:
  s: {users: 3, duration: 1s, wait: {constant: 20ms}}
`

// TestSequenceCaptures: values captured by one step reach the next, per user; the server
// asserts it received them.
func TestSequenceCaptures(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	owner := map[string]string{} // order id → user
	var bad atomic.Int64
	var next atomic.Int64
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := r.Header.Get("X-Loadplan-User")
		switch {
		case r.URL.Path == "/login":
			var b struct{ User string }
			json.NewDecoder(r.Body).Decode(&b)
			if b.User != u {
				bad.Add(1)
			}
			fmt.Fprintf(w, `{"token": "tok-%s"}`, u)
		case r.URL.Path == "/orders":
			if r.Header.Get("Authorization") != "Bearer tok-"+u {
				bad.Add(1)
			}
			id := fmt.Sprint("o", next.Add(1))
			mu.Lock()
			owner[id] = u
			mu.Unlock()
			fmt.Fprintf(w, `{"id": %q}`, id)
		case strings.HasPrefix(r.URL.Path, "/orders/"):
			mu.Lock()
			o := owner[strings.TrimPrefix(r.URL.Path, "/orders/")]
			mu.Unlock()
			if o != u || r.URL.Query().Get("t") != "tok-"+u {
				bad.Add(1)
				w.WriteHeader(400)
				return
			}
			io.WriteString(w, `{"ok": true}`)
		}
	}))
	p := parsePlan(t, sequencePlan, srv.URL, nil)
	s := run(t, config(t, p, "s", srv.URL, nil))
	if n := bad.Load(); n > 0 {
		t.Errorf("the server saw %d requests without the captured values", n)
	}
	login, create, get := row(s, "on_start.login"), row(s, "order.create"), row(s, "order.get")
	if login.Requests != 3 || create.Requests == 0 || get.Requests == 0 || s.Actual.Failures != 0 {
		t.Errorf("login %d create %d get %d failures %d %v", login.Requests, create.Requests, get.Requests, s.Actual.Failures, s.Failures)
	}
}

const failuresPlan = `version: 1
name: failures
target: TARGET
tasks:
  s503: {request: {path: /503}, price: free}
  s429: {request: {path: /429}, price: free}
  s529: {request: {path: /529}, price: free}
  badjson: {request: {path: /badjson}, check: {json: {$.reply: exists}}, price: free}
  missing: {request: {path: /missing}, check: {json: {$.reply: exists}}, price: free}
  present: {request: {path: /missing}, check: {json: {$.other: absent}}, price: free}
  equals: {request: {path: /missing}, check: {json: {$.other: "2"}}, price: free}
  status: {request: {path: /missing}, check: {status: [201]}, price: free}
  contains: {request: {path: /missing}, check: {contains: bye}, price: free}
  slow: {request: {path: /slow, timeout: 100ms}, price: free}
  reset: {request: {path: /reset}, price: free}
  cut: {request: {path: /cut, stream: true}, usage: anthropic, expect: {input_tokens: 10, output_tokens: 10, max_output_tokens: 100}}
  streamerr: {request: {path: /streamerr, stream: true}, usage: anthropic, expect: {input_tokens: 10, output_tokens: 10, max_output_tokens: 100}}
  refused: {request: {url: "http://127.0.0.1:REFUSED/x"}, price: free}
  redirect: {request: {path: /redirect}, price: free}
  fine: {request: {path: /missing}, check: {status: [200], json: {$.other: "1"}, contains: other}, price: free}
pricing: {model: claude-sonnet-4-5}
scenarios:
  s: {users: 1, duration: 1s}
`

// sseEvent writes one server-sent event.
func sseEvent(w io.Writer, typ, data string) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
	w.(http.Flusher).Flush()
}

const messageStart = `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}`

func failureServer(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("/429", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) })
	mux.HandleFunc("/529", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(529) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://prod.example.com/x", http.StatusFound)
	})
	mux.HandleFunc("/badjson", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"reply": "x"`) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"other": 1}`) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	})
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", messageStart)
		sseEvent(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`)
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/streamerr", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		sseEvent(w, "message_start", messageStart)
		sseEvent(w, "error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	})
	return server(t, mux).URL
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	url := failureServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := parsePlan(t, strings.Replace(failuresPlan, "REFUSED", fmt.Sprint(refused), 1), url, nil)
	r := testRunner(t, config(t, p, "s", url, nil))
	r.anyResponse.Store(true) // a refused connection is data here, not an unreachable target
	want := map[string]string{
		"s503":      "HTTP 503",
		"s429":      "HTTP 429 (rate limited)",
		"s529":      "HTTP 529 (overloaded)",
		"badjson":   "invalid JSON",
		"missing":   "check failed: $.reply missing",
		"present":   "check failed: $.other present",
		"equals":    "check failed: $.other expected 2, e.g. got 1",
		"status":    "HTTP 200 (expected 201)",
		"contains":  `check failed: body does not contain "bye"`,
		"slow":      "timeout",
		"reset":     "connection reset",
		"cut":       "stream cut",
		"streamerr": "stream error: overloaded_error",
		"refused":   "connection refused",
		"redirect":  "host prod.example.com is not allowed by the plan; allowed: loopback (add it to allowed_hosts)",
		"fine":      "",
	}
	u := testUser(t, r, 1)
	for _, tk := range r.tasks {
		t.Run(tk.name, func(t *testing.T) {
			ok := r.runStep(u, tk.steps[0])
			if w := want[tk.name]; ok != (w == "") {
				t.Errorf("succeeded: %v", ok)
			}
		})
	}
	got := map[string]string{}
	for _, f := range r.stats.failureList() {
		got[f.Task] = f.Error
		if f.Method != "GET" || f.Occurrences != 1 {
			t.Errorf("%+v", f)
		}
	}
	for name, msg := range want {
		if got[name] != msg {
			t.Errorf("%s: failure %q, want %q", name, got[name], msg)
		}
	}
	for _, s := range r.stats.rows {
		if rl := s.rateLimited; (s.name == "s429" || s.name == "s529") != (rl == 1) {
			t.Errorf("%s: rate limited %d", s.name, rl)
		}
	}
}

const retryPlan = `version: 1
name: retry
target: TARGET
tasks:
  r: {request: {path: /r}, retry: {on: [429], max: 2}, price: 0.01}
scenarios:
  s: {users: 1, duration: 1s}
`

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	var first time.Time
	var gap time.Duration
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		gap = time.Since(first)
		io.WriteString(w, "ok")
	}))
	p := parsePlan(t, retryPlan, srv.URL, nil)
	r := testRunner(t, config(t, p, "s", srv.URL, nil))
	if !r.runStep(testUser(t, r, 1), r.tasks[0].steps[0]) {
		t.Fatal("the retried request failed")
	}
	if n.Load() != 2 || gap < 900*time.Millisecond {
		t.Errorf("%d attempts, the second %s after the first (Retry-After: 1)", n.Load(), gap)
	}
	s := r.tasks[0].steps[0].stat
	if s.requests != 2 || s.failures != 1 || s.rateLimited != 1 {
		t.Errorf("requests %d failures %d rate limited %d: every attempt is recorded", s.requests, s.failures, s.rateLimited)
	}
	// Every attempt is metered: a flat price is charged for the 429 too.
	if spent := r.ledger.Snapshot().Spent; spent.String() != "0.02" {
		t.Errorf("spent %s, want 0.02", spent)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"2", 2 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-1", 0},
		{"3600", maxRetryAfter},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("Retry-After %q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

const longPlan = `version: 1
name: long
target: TARGET
tasks:
  a: {request: {path: /a}, price: free}
scenarios:
  s: {users: 3, duration: 30s, wait: {constant: 10ms}}
  paced: {users: 2, duration: 1100ms, wait: {pacing: 500ms}}
  ramp: {stages: [{duration: 500ms, users: 4}, {duration: 500ms, users: 0}]}
  open: {arrival_rate: 40/s, duration: 1s, max_in_flight: 5}
  openslow: {arrival_rate: 40/s, duration: 1s, max_in_flight: 1}
  abort: {users: 2, duration: 20s}
thresholds:
  p50: {limit: 1ms, abort_on_fail: true}
`

func TestInterrupted(t *testing.T) {
	t.Parallel()
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	p := parsePlan(t, longPlan, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	s, err := Run(ctx, config(t, p, "s", srv.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.StopReason != summary.StopInterrupted || !s.Partial || s.Actual.Requests == 0 || time.Since(start) > 10*time.Second {
		t.Errorf("stop %s partial %v requests %d after %s", s.StopReason, s.Partial, s.Actual.Requests, time.Since(start))
	}
}

// TestAbortInFlight: Config.Abort (a second interrupt) ends the requests in flight at once.
func TestAbortInFlight(t *testing.T) {
	t.Parallel()
	// The interrupt comes once every user's request is in flight (the server has seen all
	// three), not after a guess at how long that takes on a busy machine.
	arrived := make(chan struct{}, 3)
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-time.After(20 * time.Second):
		case <-r.Context().Done():
		}
	}))
	p := parsePlan(t, longPlan, srv.URL, nil)
	cfg := config(t, p, "s", srv.URL, nil)
	abort := make(chan struct{})
	cfg.Abort = abort
	cfg.StopTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 3 {
			<-arrived
		}
		cancel()
		time.AfterFunc(300*time.Millisecond, func() { close(abort) })
	}()
	start := time.Now()
	s, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.StopReason != summary.StopInterrupted || time.Since(start) > 10*time.Second {
		t.Errorf("stop %s after %s", s.StopReason, time.Since(start))
	}
	if len(s.Failures) != 1 || s.Failures[0].Error != "aborted" || s.Actual.Requests != 3 {
		t.Errorf("requests %d failures %+v", s.Actual.Requests, s.Failures)
	}
}

// Not parallel: see main_test.go. Its two runs go side by side, each against a server of its
// own.
func TestPacingAndRamp(t *testing.T) {
	t.Run("paced", func(t *testing.T) {
		t.Parallel()
		srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		p := parsePlan(t, longPlan, srv.URL, nil)
		// Paced at 500ms for 1.1s: each user sends at 0, 0.5 and 1.0 s.
		s := run(t, config(t, p, "paced", srv.URL, nil))
		if s.Actual.Requests != 6 {
			t.Errorf("paced: %d requests, want 2 users × 3", s.Actual.Requests)
		}
	})
	t.Run("ramp", func(t *testing.T) {
		t.Parallel()
		var maxUsers atomic.Int64
		var seen sync.Map
		srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.Store(r.Header.Get("X-Loadplan-User"), true)
			io.WriteString(w, "ok")
		}))
		p := parsePlan(t, longPlan, srv.URL, nil)
		cfg := config(t, p, "ramp", srv.URL, nil)
		cfg.OnProgress = func(pr summary.Progress) { maxUsers.Store(max(maxUsers.Load(), int64(pr.Users))) }
		s := run(t, cfg)
		if s.StopReason != summary.StopCompleted {
			t.Errorf("ramp: %s", s.StopReason)
		}
		for _, k := range []string{"1", "2", "3"} {
			if _, ok := seen.Load(k); !ok {
				t.Errorf("ramp: user %s never ran", k)
			}
		}
	})
}

// Not parallel: see main_test.go. Its two runs go side by side.
func TestOpenModel(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("slow") != "" {
			time.Sleep(100 * time.Millisecond)
		}
		io.WriteString(w, "ok")
	}))
	t.Run("open", func(t *testing.T) {
		t.Parallel()
		p := parsePlan(t, longPlan, srv.URL, nil)
		s := run(t, config(t, p, "open", srv.URL, nil))
		// Every arrival is accounted for: started (on time or late) or dropped at the end. How
		// many are late depends on the machine's load (a starved generator is late too).
		if a := s.Actual; a.Requests+a.DroppedArrivals != 40 || a.LateStarts > a.Requests {
			t.Errorf("open: %d requests, %d late, %d dropped; want 40 arrivals", a.Requests, a.LateStarts, a.DroppedArrivals)
		}
	})
	t.Run("openslow", func(t *testing.T) {
		t.Parallel()
		slow := parsePlan(t, strings.Replace(longPlan, "path: /a", "path: /a, query: {slow: '1'}", 1), srv.URL, nil)
		s := run(t, config(t, slow, "openslow", srv.URL, nil))
		// One user at 100ms a request starts about 10 of the 40 arrivals, nearly all late; the
		// rest never start.
		if a := s.Actual; a.LateStarts < 5 || a.DroppedArrivals < 20 || a.Requests+a.DroppedArrivals > 41 {
			t.Errorf("openslow: %d requests, %d late starts, %d dropped", a.Requests, a.LateStarts, a.DroppedArrivals)
		}
	})
}

func TestUnreachableTarget(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	p := parsePlan(t, longPlan, url, nil)
	start := time.Now()
	s := run(t, config(t, p, "s", url, nil))
	if s.StopReason != summary.StopError || !strings.Contains(s.StopDetail, "unreachable: connection refused") || time.Since(start) > 10*time.Second {
		t.Errorf("stop %s (%s) after %s", s.StopReason, s.StopDetail, time.Since(start))
	}
}

func TestThresholdAbort(t *testing.T) {
	t.Parallel()
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, "ok")
	}))
	p := parsePlan(t, longPlan, srv.URL, nil)
	start := time.Now()
	s := run(t, config(t, p, "abort", srv.URL, nil))
	if s.StopReason != summary.StopThresholdAbort || s.Pass || time.Since(start) > 8*time.Second {
		t.Errorf("stop %s pass %v after %s", s.StopReason, s.Pass, time.Since(start))
	}
	if len(s.Thresholds) != 1 || s.Thresholds[0].Pass || s.Thresholds[0].Limit != "1ms" || !strings.HasSuffix(s.Thresholds[0].Actual, "ms") {
		t.Errorf("%+v", s.Thresholds)
	}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Target: "https://api.example.com", AllowedHosts: []string{"staging.internal"}}
	for _, ok := range []string{"http://localhost:8002", "http://127.0.0.1:9", "http://[::1]:80", "https://api.example.com:8443",
		"https://staging.internal", "mock://", "mock://?profile=flaky"} {
		if err := CheckHost(p, ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"https://prod.example.com", "ftp://localhost", "localhost:80"} {
		if err := CheckHost(p, bad); err == nil {
			t.Errorf("%s allowed", bad)
		}
	}
}

const rateLimitPlan = `version: 1
name: rl
target: TARGET
rate_limit: {rpm: 300}
tasks:
  a: {request: {path: /a}, price: free}
scenarios:
  s: {users: 4, duration: 1s}
`

// TestRateLimit: the plan's rpm is obeyed client-side (a bucket of one second's worth).
// Not parallel: see main_test.go.
func TestRateLimit(t *testing.T) {
	srv := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	p := parsePlan(t, rateLimitPlan, srv.URL, nil)
	s := run(t, config(t, p, "s", srv.URL, nil))
	// 300/min is 5/s with a burst of 5: at most 5 + 5 in one second.
	if n := s.Actual.Requests; n < 5 || n > 11 {
		t.Errorf("%d requests in 1s at 300 rpm", n)
	}
}

// TestTLS: HTTPS with the plan's CA file, over HTTP/2.
func TestTLS(t *testing.T) {
	t.Parallel()
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		io.WriteString(w, "ok")
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	p := parsePlan(t, weightsPlan, srv.URL, nil)
	cfg := config(t, p, "s", srv.URL, nil)
	cfg.TLS.CAFile = ca
	s := run(t, cfg)
	if s.Actual.Requests == 0 || s.Actual.Failures != 0 {
		t.Fatalf("requests %d failures %+v", s.Actual.Requests, s.Failures)
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Errorf("not HTTP/2")
	}
	// Without the CA the certificate is refused: the target is unreachable.
	cfg = config(t, p, "s", srv.URL, nil)
	if s := run(t, cfg); s.StopReason != summary.StopError || !strings.Contains(s.StopDetail, "TLS") {
		t.Errorf("without the CA: %s (%s)", s.StopReason, s.StopDetail)
	}
}

func TestWaitAfter(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pacing := plan.Wait{Kind: plan.WaitPacing, Min: 20 * time.Second, Max: 20 * time.Second}
	tests := []struct {
		name      string
		w         plan.Wait
		next, now time.Duration // since t0
		wantNext  time.Duration
		wantWait  time.Duration
	}{
		// Paced at 20 s, started at 0: an iteration that took 2 s waits 18 s for the slot at 20 s.
		{"pacing on time", pacing, 0, 2 * time.Second, 20 * time.Second, 18 * time.Second},
		// The iteration of the slot at 20 s ended at 41 s: over its period, the next starts at
		// once and its period at 41 s.
		{"pacing late", pacing, 20 * time.Second, 41 * time.Second, 41 * time.Second, 0},
		{"pacing exact", pacing, 20 * time.Second, 40 * time.Second, 40 * time.Second, 0},
		{"constant", plan.Wait{Kind: plan.WaitConstant, Min: time.Second, Max: time.Second}, 0, 5 * time.Second, 0, time.Second},
		{"none", plan.Wait{}, 0, 5 * time.Second, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, d := waitAfter(tc.w, nil, t0.Add(tc.next), t0.Add(tc.now))
			if next != t0.Add(tc.wantNext) || d != tc.wantWait {
				t.Errorf("next %s wait %s, want %s and %s", next.Sub(t0), d, tc.wantNext, tc.wantWait)
			}
		})
	}
	between := plan.Wait{Kind: plan.WaitBetween, Min: time.Second, Max: 3 * time.Second}
	rnd := rand.New(rand.NewPCG(1, 1))
	var sum time.Duration
	for range 1000 {
		_, d := waitAfter(between, rnd, t0, t0)
		if d < time.Second || d > 3*time.Second {
			t.Fatalf("between [1s, 3s]: %s", d)
		}
		sum += d
	}
	if mean := sum / 1000; mean < 1900*time.Millisecond || mean > 2100*time.Millisecond {
		t.Errorf("between [1s, 3s]: mean %s", mean)
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBucket(5, 5) // 300 rpm: 5 a second, a second's worth of burst
	b.now = func() time.Time { return now }
	b.last = now
	for i := range 5 {
		if d := b.reserve(1); d != 0 {
			t.Fatalf("request %d of the burst waits %s", i+1, d)
		}
	}
	// The 6th waits for one token at 5/s: 200 ms; the 7th 400 ms.
	if d := b.reserve(1); d != 200*time.Millisecond {
		t.Errorf("6th waits %s", d)
	}
	if d := b.reserve(1); d != 400*time.Millisecond {
		t.Errorf("7th waits %s", d)
	}
	// One second later 5 tokens came back: the debt of 2 leaves 3.
	now = now.Add(time.Second)
	for i := range 3 {
		if d := b.reserve(1); d != 0 {
			t.Errorf("after a second, request %d waits %s", i+1, d)
		}
	}
	// A response that used 10 tokens more than expected delays the next ones.
	b.adjust(10)
	if d := b.reserve(1); d != 2200*time.Millisecond {
		t.Errorf("after a debt of 10: waits %s", d)
	}
}
