package monitor

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadplan/loadplan/internal/promql"
	"github.com/loadplan/loadplan/plan"
)

// exposition serves the Prometheus text a test sets, as a service's /metrics would.
type exposition struct {
	mu     sync.Mutex
	body   string
	status int
	ctype  string
	hits   atomic.Int64
}

func (e *exposition) set(body string) {
	e.mu.Lock()
	e.body, e.status = body, http.StatusOK
	e.mu.Unlock()
}

func (e *exposition) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.hits.Add(1)
	e.mu.Lock()
	body, status, ctype := e.body, e.status, e.ctype
	e.mu.Unlock()
	if ctype == "" {
		ctype = "text/plain; version=0.0.4; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func serve(t *testing.T) (*exposition, *httptest.Server) {
	t.Helper()
	e := &exposition{status: http.StatusOK}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

func mustSeries(t *testing.T, named map[string]string) []plan.MonitorSeries {
	t.Helper()
	var out []plan.MonitorSeries
	for _, name := range sortedNames(named) {
		e, err := promql.Parse(named[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, plan.MonitorSeries{Name: name, Expr: e})
	}
	return out
}

func sortedNames(m map[string]string) []string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return names
}

func group(t *testing.T, target, url string, every time.Duration, named map[string]string) *Group {
	t.Helper()
	g, err := NewGroup(target, []*plan.Monitor{{URL: url, Every: every, Series: mustSeries(t, named)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func points(s *Series) string {
	var b strings.Builder
	for i, p := range s.Points {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%g:%g", p.T, p.V)
	}
	return b.String()
}

// TestSeriesOverScrapes evaluates each kind of expression over scrapes at known times,
// against a real HTTP /metrics.
func TestSeriesOverScrapes(t *testing.T) {
	t.Parallel()
	e, srv := serve(t)
	g := group(t, srv.URL, "/metrics", 5*time.Second, map[string]string{
		"memory":    "process_resident_memory_bytes",
		"input":     `claude_api_tokens_total{type="input"}`,
		"requests":  "sum(claude_api_requests_total)",
		"errors":    `sum(claude_api_requests_total{status!="200"})`,
		"cpu":       "rate(process_cpu_seconds_total[10s])",
		"trips":     "increase(circuit_breaker_open_total[10s])",
		"ambiguous": "claude_api_requests_total",
		"absent":    "no_such_metric",
		"p_count":   `claude_api_request_duration_seconds_count{endpoint="/x"}`,
		"jobs":      "sum(rate(jobs_total[5s]))",
	})
	m := g.mons[0]
	scrapes := []struct {
		t    float64
		body string
	}{
		{0, `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1e+06
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 0
# TYPE claude_api_tokens_total counter
claude_api_tokens_total{type="input"} 100
claude_api_tokens_total{type="output"} 7
# TYPE claude_api_requests_total counter
claude_api_requests_total{endpoint="/x",status="200"} 3
claude_api_requests_total{endpoint="/x",status="500"} 1
# TYPE circuit_breaker_open_total counter
circuit_breaker_open_total 10
# TYPE claude_api_request_duration_seconds histogram
claude_api_request_duration_seconds_bucket{endpoint="/x",le="1"} 3
claude_api_request_duration_seconds_bucket{endpoint="/x",le="+Inf"} 4
claude_api_request_duration_seconds_sum{endpoint="/x"} 2.5
claude_api_request_duration_seconds_count{endpoint="/x"} 4
# TYPE jobs_total counter
`},
		{5, `process_resident_memory_bytes 1.1e+06
process_cpu_seconds_total 1
claude_api_tokens_total{type="input"} 250
claude_api_requests_total{endpoint="/x",status="200"} 5
claude_api_requests_total{endpoint="/x",status="500"} 1
circuit_breaker_open_total 12
claude_api_request_duration_seconds_count{endpoint="/x"} 6
jobs_total{queue="a"} 5
`},
		{10, `process_resident_memory_bytes 1.2e+06
process_cpu_seconds_total 2.5
claude_api_tokens_total{type="input"} 400
claude_api_requests_total{endpoint="/x",status="200"} 8
claude_api_requests_total{endpoint="/x",status="503"} 2
circuit_breaker_open_total 3
jobs_total{queue="a"} 10
jobs_total{queue="b"} 5
`},
		{15, `process_resident_memory_bytes NaN
process_cpu_seconds_total 4
claude_api_tokens_total{type="input"} 400
circuit_breaker_open_total 5
jobs_total{queue="a"} 10
jobs_total{queue="b"} 10
`},
	}
	for _, s := range scrapes {
		e.set(s.body)
		m.scrape(context.Background(), s.t)
	}
	rep := g.Report()
	want := map[string]string{
		"memory": "0:1e+06 5:1.1e+06 10:1.2e+06", // NaN at 15 is no value
		"input":  "0:100 5:250 10:400 15:400",
		// sum: a label that varies is added up; absent at 15 (no metric): no value.
		"requests": "0:4 5:6 10:10",
		"errors":   "0:1 5:1 10:2",
		// rate over [10s]: from the last scrape at or before t-10s (the first until then).
		// t=5: (1-0)/5; t=10: (2.5-0)/10; t=15: from t=5, (4-1)/10.
		"cpu": "5:0.2 10:0.25 15:0.3",
		// increase over [10s] with a reset at 10 (12 → 3 counts 3): t=5: 2; t=10: 2+3;
		// t=15: from t=5: 3+2.
		"trips": "5:2 10:5 15:5",
		// A histogram's _count, flattened by the parser.
		"p_count": "0:4 5:6",
		// sum(rate): a metric with no series (at 0) is absent, so no value until two scrapes
		// have it; a series that appears (queue b at 10) counts from 0. t=10: from t=5 over
		// 5s: (5+5)/5; t=15: from t=10: (0+5)/5.
		"jobs": "10:2 15:1",
	}
	for name, w := range want {
		s := rep.Find(name)
		if s == nil {
			t.Fatalf("no series %s", name)
		}
		if got := points(s); got != w {
			t.Errorf("%s (%s): %s, want %s", name, s.Expr, got, w)
		}
	}
	// Three scrapes match two series; the last has no such metric.
	if s := rep.Find("ambiguous"); len(s.Points) != 0 || s.Missing != 4 || !strings.Contains(s.Note, "no metric") {
		t.Errorf("ambiguous: %+v", s)
	}
	if s := rep.Find("absent"); len(s.Points) != 0 || s.Missing != 4 || s.Note != "no metric no_such_metric in the scrape" {
		t.Errorf("absent: %+v", s)
	}
	if tg := rep.Targets[0]; tg.Scrapes != 4 || tg.Failed != 0 || tg.URL != srv.URL+"/metrics" || tg.EveryS != 5 {
		t.Errorf("target %+v", tg)
	}
	if s := rep.Find("memory"); s.Unit != UnitBytes || rep.Find("cpu").Unit != UnitCores || rep.Find("input").Unit != UnitNone {
		t.Errorf("units %q %q %q", s.Unit, rep.Find("cpu").Unit, rep.Find("input").Unit)
	}
	// The latest values, for the live view.
	snap := g.Snapshot()
	if snap.Scrapes != 4 || len(snap.Values) != 10 {
		t.Fatalf("snapshot %+v", snap)
	}
	for _, v := range snap.Values {
		if v.Name == "cpu" && (!v.OK || v.V != 0.3 || v.T != 15) || v.Name == "absent" && v.OK {
			t.Errorf("latest %+v", v)
		}
	}
}

func TestAmbiguousSelection(t *testing.T) {
	t.Parallel()
	e, srv := serve(t)
	g := group(t, srv.URL, "/metrics", time.Second, map[string]string{"r": "claude_api_requests_total", "none": `claude_api_requests_total{status="404"}`})
	e.set("claude_api_requests_total{status=\"200\"} 1\nclaude_api_requests_total{status=\"500\"} 1\n")
	g.mons[0].scrape(context.Background(), 0)
	rep := g.Report()
	if s := rep.Find("r"); len(s.Points) != 0 || !strings.Contains(s.Note, "matches 2 series; select one with labels, or add them up with sum(...)") {
		t.Errorf("%+v", s)
	}
	if s := rep.Find("none"); len(s.Points) != 0 || !strings.Contains(s.Note, `no series of claude_api_requests_total matches claude_api_requests_total{status="404"}`) {
		t.Errorf("%+v", s)
	}
}

// TestScrapeFailuresAreCounted: a status, a body that does not parse and an endpoint that is
// gone each count a failed scrape, keep its reason (the URL's password masked), and never
// stop the monitor or touch the series.
func TestScrapeFailuresAreCounted(t *testing.T) {
	t.Parallel()
	e, srv := serve(t)
	target := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1)
	g := group(t, target, "/metrics?token=s3cret", time.Second, map[string]string{"up": "up"})
	m := g.mons[0]
	ctx := context.Background()
	e.set("up 1\n")
	m.scrape(ctx, 0)
	e.mu.Lock()
	e.status = http.StatusInternalServerError
	e.mu.Unlock()
	m.scrape(ctx, 1)
	if r := g.Report(); r.Targets[0].Failed != 1 || !strings.Contains(r.Targets[0].LastError, "status 500") {
		t.Errorf("after a 500: %+v", r.Targets[0])
	}
	e.set("up{ 1\n")
	m.scrape(ctx, 2)
	if r := g.Report(); r.Targets[0].Failed != 2 || !strings.Contains(r.Targets[0].LastError, "scrape ") {
		t.Errorf("after a bad body: %+v", r.Targets[0])
	}
	e.set("up 1\n")
	m.scrape(ctx, 3)
	srv.Close()
	m.scrape(ctx, 4)
	r := g.Report()
	tg := r.Targets[0]
	if tg.Scrapes != 5 || tg.Failed != 3 || !strings.Contains(tg.LastError, "connect") {
		t.Errorf("target %+v", tg)
	}
	for _, s := range []string{tg.URL, tg.LastError} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "s3cret") {
			t.Errorf("a secret is shown: %s", s)
		}
	}
	if got := points(r.Find("up")); got != "0:1 3:1" {
		t.Errorf("up: %s", got)
	}
}

func TestOpenMetricsAndUntyped(t *testing.T) {
	t.Parallel()
	e, srv := serve(t)
	e.ctype = "application/openmetrics-text; version=1.0.0; charset=utf-8"
	g := group(t, srv.URL, "/metrics", time.Second, map[string]string{"trips": "circuit_breaker_open_total", "mem": "process_resident_memory_bytes"})
	e.set("# TYPE circuit_breaker_open counter\ncircuit_breaker_open_total 2\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 42\n# EOF\n")
	g.mons[0].scrape(context.Background(), 0)
	e.mu.Lock()
	e.ctype = "text/plain" // no version: the text format, with untyped samples
	e.mu.Unlock()
	e.set("circuit_breaker_open_total 3\nprocess_resident_memory_bytes 43\n")
	g.mons[0].scrape(context.Background(), 1)
	r := g.Report()
	if got := points(r.Find("trips")) + " / " + points(r.Find("mem")); got != "0:2 1:3 / 0:42 1:43" || r.Targets[0].Failed != 0 {
		t.Errorf("%s, %+v", got, r.Targets[0])
	}
}

// TestRunScrapesUntilCancelled: Run scrapes at once and then every interval, and returns
// when its context ends.
func TestRunScrapesUntilCancelled(t *testing.T) {
	t.Parallel()
	e, srv := serve(t)
	e.set("up 1\n")
	g := group(t, srv.URL, srv.URL+"/metrics", 20*time.Millisecond, map[string]string{"up": "up"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		g.Run(ctx, time.Now())
		close(done)
	}()
	for i := 0; e.hits.Load() < 4; i++ {
		if i > 10_000 {
			t.Fatal("no scrapes")
		}
		<-time.After(time.Millisecond)
	}
	cancel()
	<-done
	r := g.Report()
	s := r.Find("up")
	// (A scrape may time out, after its interval, on a busy machine: counted as failed.)
	if tg := r.Targets[0]; tg.Scrapes < 3 || len(s.Points) != tg.Scrapes-tg.Failed || len(s.Points) == 0 {
		t.Fatalf("scrapes %d, points %s", r.Targets[0].Scrapes, points(s))
	}
	for i := 1; i < len(s.Points); i++ {
		if s.Points[i].T <= s.Points[i-1].T {
			t.Errorf("times do not increase: %s", points(s))
		}
	}
}

func TestNewGroupErrors(t *testing.T) {
	t.Parallel()
	series := mustSeries(t, map[string]string{"up": "up"})
	for _, c := range []struct {
		target, url, want string
		every             time.Duration
	}{
		{"http://127.0.0.1:1", "ftp://x/metrics", "want an http or https URL", time.Second},
		{"mock://", "/metrics", "want an http or https URL", time.Second},
		{"http://127.0.0.1:1", "/metrics", "more than 0s", 0},
	} {
		_, err := NewGroup(c.target, []*plan.Monitor{{URL: c.url, Every: c.every, Series: series}}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.target, c.url, err, c.want)
		}
	}
	// A nil group (no monitors) reports nothing and panics nowhere.
	var g *Group
	if r := g.Report(); len(r.Series) != 0 || g.Series("x") != nil || len(g.Snapshot().Values) != 0 {
		t.Error("nil group")
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		u    Unit
		v    float64
		want string
	}{
		{UnitCores, 0.1234, "12.3%"},
		{UnitCores, 2.5, "250%"},
		{UnitBytes, 512, "512 B"},
		{UnitBytes, 47_400_000, "45.2 MiB"},
		{UnitBytes, 3 << 30, "3.00 GiB"},
		{UnitNone, 0, "0"},
		{UnitNone, 1234567, "1234567"},
		{UnitNone, 0.125, "0.125"},
		{UnitNone, 1.23456e20, "1.235e+20"},
		{UnitNone, math.Pi, "3.142"},
	} {
		if got := Format(c.u, c.v); got != c.want {
			t.Errorf("Format(%q, %v) = %s, want %s", c.u, c.v, got, c.want)
		}
	}
}
