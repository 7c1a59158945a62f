package mock

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"testing"
	"time"
)

// Benchmarks through real loopback HTTP with a keep-alive client. By default the server runs
// in the benchmark's process. To measure the server alone on one core, run it in its own
// process pinned to core 0 and the client on core 1:
//
//	LOADPLAN_MOCK_SERVE=127.0.0.1:18002 GOMAXPROCS=1 taskset -c 0 go test -run TestServeForBenchmark -timeout 0 ./mock &
//	LOADPLAN_MOCK_URL=http://127.0.0.1:18002 taskset -c 1 go test -run '^$' -bench . -benchtime 5s ./mock
//
// With an external server the benchmarks also report req/s-per-server-core: requests divided
// by the CPU time the server spent on them (its process_cpu_seconds_total), which does not
// depend on how fast the client is.

// TestServeForBenchmark serves the benchmarks' configuration at $LOADPLAN_MOCK_SERVE until
// interrupted; without it, it is skipped.
func TestServeForBenchmark(t *testing.T) {
	addr := os.Getenv("LOADPLAN_MOCK_SERVE")
	if addr == "" {
		t.Skip("set LOADPLAN_MOCK_SERVE=host:port to serve for an external benchmark")
	}
	ctx, stop := signal.NotifyContext(t.Context(), os.Interrupt)
	defer stop()
	if err := Serve(ctx, Config{Addr: addr}); err != nil {
		t.Fatal(err)
	}
}

func benchTarget(b *testing.B) (url string, external bool) {
	if url := os.Getenv("LOADPLAN_MOCK_URL"); url != "" {
		return url, true
	}
	_, url = newTestServer(b, Config{})
	return url, false
}

func serverCPU(b *testing.B, client *http.Client, url string) float64 {
	resp, err := client.Get(url + PathMetrics)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := metricValue(string(body), "process_cpu_seconds_total")
	if err != nil {
		b.Fatal(err)
	}
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

func bench(b *testing.B, method, path string, body []byte) {
	url, external := benchTarget(b)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	client := &http.Client{Transport: t}
	cpu0 := 0.0
	if external {
		cpu0 = serverCPU(b, client, url)
	}
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(method, url+path, bytes.NewReader(body))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("%s: %s", path, resp.Status)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	if external {
		if cpu := serverCPU(b, client, url) - cpu0; cpu > 0 {
			b.ReportMetric(float64(b.N)/cpu, "req/s-per-server-core")
		}
	}
}

func BenchmarkHealth(b *testing.B) { bench(b, http.MethodGet, PathHealth, nil) }

func BenchmarkMessages(b *testing.B) {
	bench(b, http.MethodPost, PathMessages, []byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,`+
		`"messages":[{"role":"user","content":"Which of our projects fits a team of five with a three-month timeline?"}]}`))
}
