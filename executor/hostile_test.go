package executor

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// hostileBytes is how much an endless body sends at most: 10 GB, far past any cap (the loop
// that sends it is bounded; the client stops reading long before).
const hostileBytes = 10 << 30

// hostileMux serves endless bodies: /zeros (not JSON), /json (a JSON object whose string
// never ends), /sse (an SSE line that never ends), and /big, a valid 2 MiB answer with its
// usage at the end, as Anthropic places it.
func hostileMux(served *atomic.Int64) *http.ServeMux {
	mux := http.NewServeMux()
	endless := func(w http.ResponseWriter, ct, head string, fill byte) {
		w.Header().Set("Content-Type", ct)
		if _, err := w.Write([]byte(head)); err != nil {
			return
		}
		chunk := []byte(strings.Repeat(string(fill), 64<<10))
		for range hostileBytes / len(chunk) {
			n, err := w.Write(chunk)
			served.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	mux.HandleFunc("/zeros", func(w http.ResponseWriter, r *http.Request) { endless(w, "application/json", "", 0) })
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		endless(w, "application/json", `{"id":"m","reply":"`, 'x')
	})
	mux.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		endless(w, "text/event-stream", "event: message_start\ndata: "+messageStart+"\n\ndata: ", 'x')
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		items := strings.Repeat(`{"id":"i","pad":"`+strings.Repeat("p", 1000)+`"},`, 2<<10)
		fmt.Fprintf(w, `{"id":"m","reply":"%s","items":[%s{"id":"last"}],"usage":{"input_tokens":10,"output_tokens":20}}`,
			strings.Repeat("r", 64<<10), items)
	})
	return mux
}

const hostilePlan = `version: 1
name: hostile
target: TARGET
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic}
tasks:
  checked:
    request: {method: POST, path: /json, json: {max_tokens: 100}}
    check: {json: {$.reply: exists}}
    capture: {id: $.id}
    expect: {input_tokens: 10, output_tokens: 20}
  zeros:
    request: {method: POST, path: /zeros, json: {max_tokens: 100}}
    expect: {input_tokens: 10, output_tokens: 20}
  stream:
    request: {method: POST, path: /sse, json: {max_tokens: 100}, stream: true}
    expect: {input_tokens: 10, output_tokens: 20}
  big:
    request: {method: POST, path: /big, json: {max_tokens: 100}}
    check: {json: {$.reply: exists, "$.items[-1].id": last, "$.items[0].id": i}, contains: '"id":"last"'}
    capture: {last: "$.items[-1].id"}
    expect: {input_tokens: 10, output_tokens: 20}
  big_usage:
    request: {method: POST, path: /big, json: {max_tokens: 100}}
    expect: {input_tokens: 10, output_tokens: 20}
scenarios:
  s: {users: 25, duration: 1s}
`

// TestHostileBodies: a body over the cap is a failure that says so, is read no further, and
// is charged its reservation (flagged), never zero; an SSE line over 4 MiB is named as such;
// a valid body larger than what is kept in memory is read whole as it streams: its checks,
// captures and usage work as on a small one.
func TestHostileBodies(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	url := server(t, hostileMux(&served)).URL
	p := parsePlan(t, hostilePlan, url, nil)
	budget := decimal.RequireFromString("100")
	r := testRunner(t, config(t, p, "s", url, &budget))
	u := testUser(t, r, 1)
	want := map[string]string{
		"checked": "response body over 16 MiB",
		"zeros":   "response body over 16 MiB",
		"stream":  "SSE line over 4 MiB",
	}
	for _, tk := range r.tasks {
		s := tk.steps[0]
		ok := r.runStep(u, s)
		s.stat.mu.Lock()
		size, tokens, unreported, est, failures := s.stat.bytes, s.stat.tokens, s.stat.unreported, s.stat.costEst, s.stat.failures
		s.stat.mu.Unlock()
		msg, bad := want[tk.name]
		switch {
		case bad && ok:
			t.Errorf("%s succeeded, want %q", tk.name, msg)
		case !bad && !ok:
			t.Errorf("%s failed: %+v", tk.name, r.stats.failureList())
		case !bad:
			if tokens.Input != 10 || tokens.Output != 20 || size < 2<<20 {
				t.Errorf("%s: tokens %+v, %d bytes read; want the usage at the end of a 2 MiB body", tk.name, tokens, size)
			}
		case tk.name != "stream":
			if size != MaxBodyBytes+1 {
				t.Errorf("%s: %d bytes read, want the cap + 1 (%d)", tk.name, size, MaxBodyBytes+1)
			}
			if unreported != 1 || !est.Equal(s.cost.worst) || !s.cost.worst.IsPositive() {
				t.Errorf("%s: unreported %d, charged %s estimated, want its reservation %s", tk.name, unreported, est, s.cost.worst)
			}
		}
		if bad && failures != 1 {
			t.Errorf("%s: %d failures", tk.name, failures)
		}
	}
	if u.vars["last"] != "last" {
		t.Errorf("capture from the end of a streamed array: %q", u.vars["last"])
	}
	for _, f := range r.stats.failureList() {
		if want[f.Task] != f.Error {
			t.Errorf("failure %s: %q, want %q", f.Task, f.Error, want[f.Task])
		}
	}
}

// TestHostileBodyHeap: 25 users against endless bodies (10 GB each, if anyone read them):
// the heap stays far under 200 MB, and what each request allocates does not grow with the
// body (before, a body read for checks or usage grew a buffer to 32 MiB, not reused, and
// GOGC 400 let the garbage pile up: 1.2 GB for 25 users). Measured with runtime.ReadMemStats,
// at GOGC 400 as loadplan run sets it for 25 users; not parallel, so that the heap is this
// test's.
func TestHostileBodyHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 16 MiB per request")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	var served atomic.Int64
	url := server(t, hostileMux(&served)).URL
	p := parsePlan(t, hostilePlan, url, nil)
	r := testRunner(t, config(t, p, "s", url, nil))
	const users, rounds = 25, 2
	var steps []*step
	for _, tk := range r.tasks {
		if tk.name == "checked" || tk.name == "zeros" {
			steps = append(steps, tk.steps[0])
		}
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := testUser(t, r, i+1)
			for range rounds {
				for _, s := range steps {
					r.runStep(u, s)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	requests := int64(users * rounds * len(steps))
	var failed int64
	for _, s := range steps {
		failed += s.stat.failures
	}
	if failed != requests {
		t.Fatalf("%d of %d requests failed, want all (over the cap)", failed, requests)
	}
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / uint64(requests)
	t.Logf("%d users, %d requests of endless bodies (%d MB served): heap in use %d MB at the start, peak %+d MB; %d KB allocated per request",
		users, requests, served.Load()>>20, before.HeapInuse>>20, growth>>20, perRequest>>10)
	if growth > 200<<20 {
		t.Errorf("the heap grew by %d MB, want under 200 MB", growth>>20)
	}
	if perRequest > 2<<20 {
		t.Errorf("%d KB allocated per request, want under 2 MB (what a request allocates must not grow with its body)", perRequest>>10)
	}
}
