package executor

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/summary"
)

// The request benchmarks measure the client side of one request: rendering, sending,
// reading, usage parsing, metering and recording (runStep), against a canned server that
// allocates nothing per request, so that -benchmem counts the executor's allocations (and
// net/http's client), not a server's. Compare builds with benchstat over -count runs; the
// figures that matter are allocs/op and B/op (ns/op includes the server's half on the same
// machine). The end-to-end figures are bench/compare.sh's.

const benchHealthPlan = `version: 1
name: bench-health
target: TARGET
tasks:
  health:
    request: {method: GET, path: /health}
    price: free
scenarios:
  s: {users: 1, duration: 10s}
`

// benchMessagesPlan is bench/plans/messages.yaml: usage read from every response and priced.
const benchMessagesPlan = `version: 1
name: bench-messages
target: TARGET
pricing: {model: claude-sonnet-4-5}
headers:
  x-api-key: bench-not-a-key
  anthropic-version: "2023-06-01"
tasks:
  messages:
    request:
      method: POST
      path: /v1/messages
      json:
        model: claude-sonnet-4-5
        max_tokens: 1024
        messages: [{role: user, content: "Summarise the benefits of load testing in one paragraph."}]
    usage: anthropic
    expect: {input_tokens: 1014, cacheable_tokens: 1000, cache_hit_rate: 70%,
             output_tokens: 300, max_input_tokens: 2000}
scenarios:
  s: {users: 1, duration: 10s}
`

// cannedServer answers every request on a loopback listener with the same bytes. It reads a
// request's head and its Content-Length body and writes resp; nothing is allocated per
// request.
func cannedServer(tb testing.TB, resp []byte) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReaderSize(c, 16<<10)
				for {
					n := 0
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
						if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
							n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
						}
					}
					if _, err := br.Discard(n); err != nil {
						return
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// cannedResponse is the HTTP/1.1 response the mock gives to req, as bytes.
func cannedResponse(tb testing.TB, req *http.Request) []byte {
	tb.Helper()
	cfg, err := mock.Profile("default")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale = 3, 0
	srv, err := mock.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	body := rec.Body.Bytes()
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(rec.Code) + " " + http.StatusText(rec.Code) + "\r\n")
	h := rec.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Date", "Fri, 27 Nov 2026 09:00:00 GMT")
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

func benchStep(b *testing.B, planText string, resp []byte) {
	url := cannedServer(b, resp)
	p := parsePlan(b, planText, url, nil)
	r := testRunner(b, config(b, p, "s", url, nil))
	defer r.client.CloseIdleConnections()
	u := r.newUser(1, 0)
	defer u.close()
	s := r.tasks[0].steps[0]
	if !r.runStep(u, s) { // the connection, warm
		b.Fatal("the first request failed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !r.runStep(u, s) {
			b.Fatal("a request failed")
		}
	}
	b.StopTimer()
	st := s.stat
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.failures != 0 {
		b.Fatalf("%d failures", st.failures)
	}
}

func BenchmarkRequestHealth(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	benchStep(b, benchHealthPlan, cannedResponse(b, req))
}

func BenchmarkRequestMessages(b *testing.B) {
	body := `{"max_tokens":1024,"messages":[{"content":"Summarise the benefits of load testing in one paragraph.","role":"user"}],"model":"claude-sonnet-4-5"}`
	req := httptest.NewRequest(http.MethodPost, "/v1/messages", io.NopCloser(strings.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "bench-not-a-key")
	req.Header.Set("anthropic-version", "2023-06-01")
	resp := cannedResponse(b, req)
	if !bytes.Contains(resp, []byte(`"usage"`)) {
		b.Fatalf("the mock's answer has no usage: %s", resp)
	}
	benchStep(b, benchMessagesPlan, resp)
}

// benchBuckets are 13 latency bounds, as a Prometheus exporter's (run --metrics-addr).
var benchBuckets = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute}

// BenchmarkTick is one second of the timeline for a plan of seven request names, 2,000
// requests each: quiet (no progress report), live (a progress report with every percentile
// of every row) and metrics (live, with the histograms of Config.LatencyBuckets and the
// failures table: run --metrics-addr).
func BenchmarkTick(b *testing.B) {
	for _, name := range []string{"quiet", "live", "metrics"} {
		b.Run(name, func(b *testing.B) {
			p := parsePlan(b, preparePlan, "http://127.0.0.1:1", nil)
			cfg := config(b, p, "s", "http://127.0.0.1:1", nil)
			if name == "metrics" {
				cfg.LatencyBuckets = benchBuckets
			}
			r := testRunner(b, cfg)
			if name != "quiet" {
				r.cfg.OnProgress = func(summary.Progress) {}
			}
			rnd := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for _, st := range r.stats.rows {
					for range 2000 {
						st.record(&result{latency: time.Duration(rnd.ExpFloat64() * float64(50*time.Millisecond))})
					}
				}
				r.timeline = r.timeline[:0]
				b.StartTimer()
				r.tick(time.Now(), false)
			}
		})
	}
}

// BenchmarkStatRecord is recording one response in its request name's statistics, without
// and with the fixed-bucket histograms of Config.LatencyBuckets (run --metrics-addr).
func BenchmarkStatRecord(b *testing.B) {
	for _, buckets := range []bool{false, true} {
		b.Run(map[bool]string{false: "hdr", true: "hdr+buckets"}[buckets], func(b *testing.B) {
			st := newStat("chat", "POST", "chat", "anthropic")
			if buckets {
				st.buckets = newBucketCounts(benchBuckets)
			}
			res := &result{latency: 180 * time.Millisecond, ttft: 40 * time.Millisecond, size: 2048}
			for b.Loop() {
				st.record(res)
			}
		})
	}
}
