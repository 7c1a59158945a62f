package mock

import (
	"bytes"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// /metrics in the Prometheus text exposition format (version 0.0.4), written directly: the
// claude_api_* counters read from the ledger at scrape time (so they always equal it), a
// latency histogram kept in atomics, and the usual go_* and process_* metrics.

// durationBuckets are the upper bounds, in seconds, of claude_api_request_duration_seconds.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60}

// histogram is a cumulative-on-read latency histogram of one endpoint; lock-free to observe.
type histogram struct {
	counts [20]atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	sumNs  atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(durationBuckets) && s > durationBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

func (h *histogram) total() uint64 {
	n := uint64(0)
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

func (h *histogram) reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.sumNs.Store(0)
}

var processStart = time.Now()

// writeMetrics renders every metric.
func (s *Server) writeMetrics(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	snap := s.ledger.Snapshot()

	header(&b, "claude_api_requests_total", "counter", "Requests answered, by endpoint and status.")
	for _, ep := range sortedKeys(snap.Requests) {
		for _, st := range sortedKeys(snap.Requests[ep]) {
			sample(&b, "claude_api_requests_total", float64(snap.Requests[ep][st]), "endpoint", ep, "status", st)
		}
	}
	header(&b, "claude_api_tokens_total", "counter", "Tokens billed, by canonical bucket.")
	sample(&b, "claude_api_tokens_total", float64(snap.Tokens.Input), "type", "input")
	sample(&b, "claude_api_tokens_total", float64(snap.Tokens.Output), "type", "output")
	sample(&b, "claude_api_tokens_total", float64(snap.Tokens.CacheRead), "type", "cache_read")
	sample(&b, "claude_api_tokens_total", float64(snap.Tokens.CacheWrite), "type", "cache_write")
	header(&b, "claude_api_cost_usd_total", "counter", "Cost billed, in USD.")
	b.WriteString("claude_api_cost_usd_total ")
	b.WriteString(snap.Cost.String()) // the exact decimal: a valid float literal
	b.WriteByte('\n')
	header(&b, "claude_api_cache_hits_total", "counter", "Billed requests that read the prompt cache.")
	sample(&b, "claude_api_cache_hits_total", float64(snap.CacheHits))
	header(&b, "claude_api_requests_in_flight", "gauge", "Token requests being served.")
	sample(&b, "claude_api_requests_in_flight", float64(s.inFlight.Load()))

	header(&b, "claude_api_request_duration_seconds", "histogram", "Time to the last byte of each response, by endpoint.")
	for _, p := range Endpoints() {
		h := &s.eps[p].hist
		if h.total() == 0 {
			continue // like a Prometheus vector: a label set appears once observed
		}
		var cum uint64
		for i, le := range durationBuckets {
			cum += h.counts[i].Load()
			sample(&b, "claude_api_request_duration_seconds_bucket", float64(cum), "endpoint", p, "le", formatFloat(le))
		}
		cum += h.counts[len(durationBuckets)].Load()
		sample(&b, "claude_api_request_duration_seconds_bucket", float64(cum), "endpoint", p, "le", "+Inf")
		sample(&b, "claude_api_request_duration_seconds_sum", time.Duration(h.sumNs.Load()).Seconds(), "endpoint", p)
		sample(&b, "claude_api_request_duration_seconds_count", float64(cum), "endpoint", p)
	}

	writeGoMetrics(&b)
	writeProcessMetrics(&b)

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

func header(b *bytes.Buffer, name, typ, help string) {
	b.WriteString("# HELP ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(help)
	b.WriteString("\n# TYPE ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(typ)
	b.WriteByte('\n')
}

// sample writes one sample line; labels are name, value pairs.
func sample(b *bytes.Buffer, name string, v float64, labels ...string) {
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(labelEscaper.Replace(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10) // counts print as counts
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func writeGoMetrics(b *bytes.Buffer) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	header(b, "go_goroutines", "gauge", "Number of goroutines that currently exist.")
	sample(b, "go_goroutines", float64(runtime.NumGoroutine()))
	n, _ := runtime.ThreadCreateProfile(nil)
	header(b, "go_threads", "gauge", "Number of OS threads created.")
	sample(b, "go_threads", float64(n))
	header(b, "go_info", "gauge", "Information about the Go environment.")
	sample(b, "go_info", 1, "version", runtime.Version())
	header(b, "go_gc_cycles_total", "counter", "Completed GC cycles.")
	sample(b, "go_gc_cycles_total", float64(ms.NumGC))
	header(b, "go_gc_pause_seconds_total", "counter", "Total time spent in stop-the-world GC pauses.")
	sample(b, "go_gc_pause_seconds_total", float64(ms.PauseTotalNs)/1e9)
	for _, m := range []struct {
		name, typ, help string
		v               uint64
	}{
		{"go_memstats_alloc_bytes", "gauge", "Bytes of allocated heap objects.", ms.HeapAlloc},
		{"go_memstats_alloc_bytes_total", "counter", "Cumulative bytes allocated for heap objects.", ms.TotalAlloc},
		{"go_memstats_mallocs_total", "counter", "Cumulative count of heap objects allocated.", ms.Mallocs},
		{"go_memstats_frees_total", "counter", "Cumulative count of heap objects freed.", ms.Frees},
		{"go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.", ms.HeapInuse},
		{"go_memstats_heap_objects", "gauge", "Number of allocated heap objects.", ms.HeapObjects},
		{"go_memstats_stack_inuse_bytes", "gauge", "Bytes in stack spans.", ms.StackInuse},
		{"go_memstats_sys_bytes", "gauge", "Bytes of memory obtained from the OS.", ms.Sys},
		{"go_memstats_next_gc_bytes", "gauge", "Heap size target of the next GC cycle.", ms.NextGC},
	} {
		header(b, m.name, m.typ, m.help)
		sample(b, m.name, float64(m.v))
	}
}

// writeProcessMetrics writes the process_* metrics that can be read here (Linux /proc).
func writeProcessMetrics(b *bytes.Buffer) {
	header(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
	sample(b, "process_start_time_seconds", float64(processStart.UnixNano())/1e9)
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// Fields after the command, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 22 {
		return
	}
	// f[0] is field 3 (state): utime and stime are fields 14 and 15, vsize 23, rss 24.
	const ticks = 100 // USER_HZ, 100 on every Linux platform Go supports
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	vsize, _ := strconv.ParseFloat(f[20], 64)
	rss, _ := strconv.ParseFloat(f[21], 64)
	header(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
	sample(b, "process_cpu_seconds_total", (utime+stime)/ticks)
	header(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
	sample(b, "process_virtual_memory_bytes", vsize)
	header(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
	sample(b, "process_resident_memory_bytes", rss*float64(os.Getpagesize()))
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		header(b, "process_open_fds", "gauge", "Number of open file descriptors.")
		sample(b, "process_open_fds", float64(len(fds)))
	}
	if limits, err := os.ReadFile("/proc/self/limits"); err == nil {
		for _, line := range strings.Split(string(limits), "\n") {
			if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					if n, err := strconv.ParseFloat(f[0], 64); err == nil {
						header(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.")
						sample(b, "process_max_fds", n)
					}
				}
			}
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
