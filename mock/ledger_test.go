package mock

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// request is one request of a test's mix.
type request struct {
	path  string
	body  map[string]any
	model string // what prices it when the answer does not say
}

// mix returns the i-th request of a mix over every token endpoint, plain and streamed.
func mix(i int) request {
	msgs := []map[string]any{{"role": "system", "content": "You match projects."},
		{"role": "user", "content": strings.Repeat("Which project fits a team of five? ", 1+i%7)}}
	switch i % 10 {
	case 0:
		return request{PathChatMessage, map[string]any{"message": "hi", "session": "s", "max_tokens": 512}, DefaultModel}
	case 1:
		return request{PathChatStream, map[string]any{"message": "hi", "max_tokens": 1024}, DefaultModel}
	case 2:
		return request{PathDTEValidate, map[string]any{"message": "invoice"}, DefaultModel}
	case 3:
		return request{PathProjects, map[string]any{"message": "team", "max_tokens": 800}, DefaultModel}
	case 4:
		return request{PathMessages, map[string]any{"model": "claude-haiku-4-5", "max_tokens": 400, "messages": msgs}, "claude-haiku-4-5"}
	case 5:
		return request{PathMessages, map[string]any{"max_tokens": 400, "stream": true, "messages": msgs,
			"system": "Answer briefly."}, DefaultModel}
	case 6:
		return request{PathCompletions, map[string]any{"model": "gpt-4o-mini", "messages": msgs}, "gpt-4o-mini"}
	case 7:
		return request{PathCompletions, map[string]any{"model": "gpt-4o", "stream": true, "max_tokens": 300,
			"stream_options": map[string]any{"include_usage": true}, "messages": msgs}, "gpt-4o"}
	case 8:
		return request{PathMessages, map[string]any{"model": "claude-opus-4-5-20251101", "max_tokens": 200,
			"stream": true, "messages": msgs}, "claude-opus-4-5-20251101"}
	}
	return request{PathHealth, nil, ""}
}

func faultyConfig() Config {
	cfg, _ := Profile("default")
	cfg.TimeScale = 0
	cfg.Seed = 2026
	cfg.Faults = Faults{Status500: 0.03, Status502: 0.02, Status503: 0.02, RateLimited: 0.03,
		Overloaded: 0.03, SlowBody: 0.05, StreamCut: 0.10, StreamError: 0.10, Reset: 0.03, InvalidJSON: 0.05}
	for p, e := range cfg.Endpoints {
		e.CacheWrite1hShare = 0.3
		cfg.Endpoints[p] = e
	}
	return cfg
}

// TestLedgerIsWhatResponsesReported sends a mix of requests with every fault, decodes every
// answer as a client would (encoding/json, internal/sse) and checks that the ledger billed
// exactly what the answers reported, plus, for streams cut or ended by an error event, the
// output they sent before they stopped; that the cost is the catalog's price of that; and
// that /metrics agrees with the ledger.
func TestLedgerIsWhatResponsesReported(t *testing.T) {
	cfg := faultyConfig()
	s, url := newTestServer(t, cfg)
	twinCfg := faultyConfig()
	twinCfg.Faults = Faults{}
	_, twinURL := newTestServer(t, twinCfg) // the same draws, without faults

	const n = 800
	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			client := &http.Client{}
			for i := w; i < n; i += 4 {
				rq := mix(i)
				h := http.Header{UserHeader: {"u" + strconv.Itoa(i)}}
				outcomes[i] = do(t, client, url, rq.path, rq.body, h)
			}
		})
	}
	wg.Wait()

	cat := pricing.Default()
	var want pricing.Usage
	wantCost := decimal.Zero
	byModel := map[string]pricing.Usage{}
	kinds := map[string]int{}
	hits := int64(0)
	requests := map[string]int64{}
	for i, o := range outcomes {
		rq := mix(i)
		requests[rq.path]++
		kinds[rq.path+" "+o.kind]++
		var billed pricing.Usage
		switch o.kind {
		case "ok", "invalid_json":
			billed = o.reported
		case "cut", "error_event":
			billed = o.generated
			if rq.path == PathCompletions { // its input is reported only at the end
				rq.body["stream_options"] = map[string]any{"include_usage": true}
				twin := do(t, http.DefaultClient, twinURL, rq.path, rq.body, http.Header{UserHeader: {"u" + strconv.Itoa(i)}})
				if twin.kind != "ok" || twin.reported.Output < o.generated.Output {
					t.Fatalf("request %d: twin %s %+v, cut %+v", i, twin.kind, twin.reported, o.generated)
				}
				billed.Input, billed.CacheRead = twin.reported.Input, twin.reported.CacheRead
			}
		case "http_error", "reset":
		default:
			t.Fatalf("request %d: outcome %q", i, o.kind)
		}
		if billed.IsZero() {
			continue
		}
		model := rq.model
		if o.model != "" && rq.path != PathCompletions && rq.path != PathMessages {
			model = o.model
		}
		want = want.Add(billed)
		c, err := cat.Cost(billed, model)
		if err != nil {
			t.Fatal(err)
		}
		wantCost = wantCost.Add(c)
		byModel[model] = byModel[model].Add(billed)
		if billed.CacheRead > 0 {
			hits++
		}
	}
	for _, k := range []string{PathChatStream + " cut", PathMessages + " error_event", PathCompletions + " cut",
		PathCompletions + " error_event", PathChatMessage + " invalid_json", PathMessages + " reset",
		PathProjects + " http_error"} {
		if kinds[k] == 0 {
			t.Errorf("the mix saw no %q: %v", k, kinds)
		}
	}

	got := s.Ledger().Snapshot()
	if got.Usage != want {
		t.Errorf("ledger billed %+v\nresponses show  %+v", got.Usage, want)
	}
	if !got.Cost.Equal(wantCost) {
		t.Errorf("ledger cost %s, priced from the responses %s", got.Cost, wantCost)
	}
	if got.CacheHits != hits {
		t.Errorf("ledger cache hits %d, responses %d", got.CacheHits, hits)
	}
	for model, u := range byModel {
		if got.ByModel[model].Usage != u {
			t.Errorf("%s: ledger %+v, responses %+v", model, got.ByModel[model].Usage, u)
		}
	}
	if len(got.ByModel) != len(byModel) {
		t.Errorf("ledger models %v, responses %v", got.ByModel, byModel)
	}
	for path, count := range requests {
		sum := int64(0)
		for _, c := range got.Requests[path] {
			sum += c
		}
		if sum != count {
			t.Errorf("%s: ledger counts %d requests (%v), %d were sent", path, sum, got.Requests[path], count)
		}
	}

	// The ledger over HTTP is the same, and /metrics agrees with it exactly.
	fetched := ledgerOf(t, url)
	if fetched.Tokens != got.Tokens || !fetched.Cost.Equal(got.Cost) || fetched.Schema != LedgerSchema {
		t.Errorf("GET %s: %+v, ledger %+v", PathLedger, fetched, got)
	}
	metrics := scrape(t, url)
	for typ, v := range map[string]int64{"input": got.Tokens.Input, "output": got.Tokens.Output,
		"cache_read": got.Tokens.CacheRead, "cache_write": got.Tokens.CacheWrite} {
		name := `claude_api_tokens_total{type="` + typ + `"}`
		if m, err := metricFloat(metrics, name); err != nil || m != float64(v) {
			t.Errorf("%s = %v (%v), ledger %d", name, m, err, v)
		}
	}
	// The cost counter is the ledger's decimal total, converted once when scraped.
	if m, err := metricFloat(metrics, "claude_api_cost_usd_total"); err != nil ||
		m != got.Cost.InexactFloat64() || got.Cost.IsZero() {
		t.Errorf("claude_api_cost_usd_total %v (%v), ledger %s", m, err, got.Cost)
	}
	if m, err := metricFloat(metrics, "claude_api_cache_hits_total"); err != nil || m != float64(got.CacheHits) {
		t.Errorf("claude_api_cache_hits_total %v (%v), ledger %d", m, err, got.CacheHits)
	}
	for path, statuses := range got.Requests {
		total := int64(0)
		for st, c := range statuses {
			total += c
			name := fmt.Sprintf(`claude_api_requests_total{endpoint=%q,status=%q}`, path, st)
			if m, err := metricFloat(metrics, name); err != nil || m != float64(c) {
				t.Errorf("%s = %v (%v), ledger %d", name, m, err, c)
			}
		}
		// Every request the ledger counts is also in its endpoint's latency histogram.
		name := fmt.Sprintf(`claude_api_request_duration_seconds_count{endpoint=%q}`, path)
		if m, err := metricFloat(metrics, name); err != nil || m != float64(total) {
			t.Errorf("%s = %v (%v), ledger %d", name, m, err, total)
		}
	}
	if m, err := metricValue(metrics, fmt.Sprintf(`claude_api_request_duration_seconds_count{endpoint=%q}`, PathMessages)); err != nil || m == "0" {
		t.Errorf("no latency histogram for %s: %q %v", PathMessages, m, err)
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines"} {
		if _, err := metricValue(metrics, name); err != nil {
			t.Errorf("/metrics has no %s", name)
		}
	}

	// POST /_mock/reset zeroes it.
	resp, err := http.Post(url+PathReset, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := ledgerOf(t, url); !s.Cost.IsZero() || len(s.Requests) != 0 || s.Tokens != (pricing.Tokens{}) {
		t.Errorf("after reset: %+v", s)
	}
	metrics = scrape(t, url)
	for _, name := range []string{`claude_api_tokens_total{type="input"}`, "claude_api_cost_usd_total", "claude_api_cache_hits_total"} {
		if m, _ := metricValue(metrics, name); m != "0" {
			t.Errorf("after reset, %s %s", name, m)
		}
	}
	for _, name := range []string{"claude_api_requests_total{", "claude_api_request_duration_seconds_count{"} {
		if strings.Contains(metrics, "\n"+name) {
			t.Errorf("after reset, /metrics still has %s...}", name)
		}
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Errorf("/metrics Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return string(b)
}

// TestCutStreamBillsWhatItGenerated: a stream cut mid-way bills its input and the output of
// the deltas it sent, though its final usage never came.
func TestCutStreamBillsWhatItGenerated(t *testing.T) {
	for _, f := range []Faults{{StreamCut: 1}, {StreamError: 1}} {
		s, url := newTestServer(t, Config{Seed: 5, Faults: f})
		var want pricing.Usage
		for i := range 30 {
			o := do(t, http.DefaultClient, url, PathChatStream, map[string]any{"message": "hi"},
				http.Header{UserHeader: {strconv.Itoa(i)}})
			if o.kind != "cut" && o.kind != "error_event" {
				t.Fatalf("request %d: %s", i, o.kind)
			}
			if o.generated.Output == 0 || o.generated.TotalInput() == 0 {
				t.Fatalf("request %d: generated %+v", i, o.generated)
			}
			want = want.Add(o.generated)
		}
		if got := s.Ledger().Snapshot().Usage; got != want {
			t.Errorf("faults %+v: ledger %+v, sent %+v", f, got, want)
		}
	}
}

// TestFaultAndHitRates: over 2000 streamed requests with a fixed seed, every fault a client
// can see, and the cache hit rate, come out at their rates within 4 standard deviations.
func TestFaultAndHitRates(t *testing.T) {
	rates := map[string]float64{"500": 0.04, "502": 0.02, "503": 0.02, "429": 0.05, "529": 0.04,
		"cut": 0.08, "error_event": 0.06, "reset": 0.04}
	cfg := Config{Seed: 77, Faults: Faults{Status500: rates["500"], Status502: rates["502"],
		Status503: rates["503"], RateLimited: rates["429"], Overloaded: rates["529"],
		StreamCut: rates["cut"], StreamError: rates["error_event"], Reset: rates["reset"]}}
	_, url := newTestServer(t, cfg)
	const n = 2000
	counts := map[string]float64{}
	var started, hits float64
	client := &http.Client{}
	body := map[string]any{"max_tokens": 40, "stream": true, "messages": []map[string]any{{"role": "user", "content": "hi"}}}
	for range n {
		o := do(t, client, url, PathMessages, body, nil)
		k := o.kind
		if k == "http_error" {
			k = strconv.Itoa(o.status)
		}
		counts[k]++
		if o.generated.TotalInput() > 0 {
			started++
			if o.generated.CacheRead > 0 {
				hits++
			}
		}
	}
	for k, p := range rates {
		if sd := math.Sqrt(n * p * (1 - p)); math.Abs(counts[k]-n*p) > 4*sd {
			t.Errorf("%s: %v in %d, want %v ± %.0f", k, counts[k], n, n*p, 4*sd)
		}
	}
	p := 0.7 // the default hit rate of /v1/messages
	if sd := math.Sqrt(started * p * (1 - p)); math.Abs(hits-started*p) > 4*sd {
		t.Errorf("%v hits in %v streams, want %v ± %.0f", hits, started, started*p, 4*sd)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	_, url := newTestServer(t, Config{Faults: Faults{RateLimited: 1, RetryAfter: 3e9}, TimeScale: 1})
	msgs := []map[string]any{{"role": "user", "content": "hi"}}
	tests := []struct {
		path    string
		body    any
		headers []string
	}{
		{PathMessages, map[string]any{"max_tokens": 10, "messages": msgs},
			[]string{"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"}},
		{PathChatMessage, map[string]any{"message": "x"}, []string{"anthropic-ratelimit-requests-remaining"}},
		{PathCompletions, map[string]any{"messages": msgs},
			[]string{"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"}},
	}
	for _, tt := range tests {
		resp, err := http.Post(url+tt.path, "application/json", strings.NewReader(mustJSON(tt.body)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
			t.Errorf("%s: %s, Retry-After %q", tt.path, resp.Status, resp.Header.Get("Retry-After"))
		}
		for _, h := range tt.headers {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: no %s header", tt.path, h)
			}
		}
		if !strings.Contains(string(b), "rate_limit") {
			t.Errorf("%s: body %s", tt.path, b)
		}
	}
}
