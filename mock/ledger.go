package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loadplan/loadplan/pricing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// LedgerSchema is the schema of the ledger's JSON (GET /_mock/ledger).
const LedgerSchema = "loadplan.mockledger/v1"

// Status keys of the ledger's requests that are not HTTP status codes.
const (
	StatusReset      = "reset" // the connection was reset before any output
	StatusClientGone = "499"   // the client went away before the response was complete
)

// Ledger is the mock's ground truth: the requests it answered and what it billed. It is also
// the single place that updates the claude_api_* series of /metrics (the request and token
// counters, the cost, the cache hits and the duration histograms), in the same call and under
// the same lock, so the token and request counters always equal the ledger's and a reset zeroes
// both together. The cost counter is a float sum of each bill's cost; the exact figure is the
// ledger's decimal.
type Ledger struct {
	mu        sync.Mutex
	requests  map[requestKey]*requestCount
	usage     pricing.Usage
	cost      decimal.Decimal
	cacheHits int64
	trips     int64 // circuit breaker openings
	byModel   map[string]*modelBill
	metrics   *metrics
	series    series
}

type requestKey struct{ endpoint, status string }

// requestCount is one ledger count and its claude_api_requests_total series.
type requestCount struct {
	n       int64
	counter prometheus.Counter
}

type modelBill struct {
	usage pricing.Usage
	cost  decimal.Decimal
}

func newLedger(m *metrics) *Ledger {
	l := &Ledger{requests: map[requestKey]*requestCount{}, byModel: map[string]*modelBill{},
		metrics: m, series: m.reset()}
	m.watchCost(func() decimal.Decimal {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.cost
	})
	return l
}

// record counts one request, what it billed and how long it took. The cost is computed by
// the caller, outside the lock.
func (l *Ledger) record(endpoint, status, model string, u pricing.Usage, cost decimal.Decimal, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := requestKey{endpoint, status}
	rc := l.requests[k]
	if rc == nil {
		rc = &requestCount{counter: l.metrics.requests.WithLabelValues(endpoint, status)}
		l.requests[k] = rc
	}
	rc.n++
	rc.counter.Inc()
	l.series.observe(l.metrics, endpoint, d)
	if u.IsZero() {
		return
	}
	l.usage = l.usage.Add(u)
	l.cost = l.cost.Add(cost)
	if u.CacheRead > 0 {
		l.cacheHits++
	}
	l.series.bill(u.Tokens())
	b := l.byModel[model]
	if b == nil {
		b = &modelBill{}
		l.byModel[model] = b
	}
	b.usage = b.usage.Add(u)
	b.cost = b.cost.Add(cost)
}

// trip counts one opening of the circuit breaker, and its circuit_breaker_open_total.
func (l *Ledger) trip() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trips++
	l.series.breakerTrips.Inc()
}

// Reset zeroes the ledger and its /metrics series.
func (l *Ledger) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = map[requestKey]*requestCount{}
	l.byModel = map[string]*modelBill{}
	l.usage, l.cost, l.cacheHits, l.trips = pricing.Usage{}, decimal.Decimal{}, 0, 0
	l.series = l.metrics.reset()
}

// Snapshot is the ledger at one instant; its JSON is the schema loadplan.mockledger/v1.
type Snapshot struct {
	Schema string `json:"schema"`
	// Requests counts requests by endpoint and status ("200", "429", ..., StatusReset).
	Requests map[string]map[string]int64 `json:"requests"`
	// Tokens is what was billed, in the four canonical buckets.
	Tokens pricing.Tokens `json:"tokens"`
	// Cost is the billed cost in USD, a decimal string in JSON.
	Cost    decimal.Decimal      `json:"cost"`
	ByModel map[string]ModelBill `json:"by_model"`
	// CacheHits counts billed requests that read the cache (cache_read > 0).
	CacheHits int64 `json:"cache_hits"`
	// BreakerTrips counts the circuit breaker's openings (the breaker_open fault).
	BreakerTrips int64 `json:"breaker_trips"`
	// Usage is Tokens with the cache writes split by lifetime.
	Usage pricing.Usage `json:"-"`
}

// ModelBill is what was billed for one model.
type ModelBill struct {
	Tokens pricing.Tokens  `json:"tokens"`
	Cost   decimal.Decimal `json:"cost"`
	Usage  pricing.Usage   `json:"-"`
}

// Snapshot returns the ledger's totals.
func (l *Ledger) Snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{
		Schema:    LedgerSchema,
		Requests:  map[string]map[string]int64{},
		Tokens:    l.usage.Tokens(),
		Cost:      l.cost,
		ByModel:   map[string]ModelBill{},
		CacheHits: l.cacheHits,
		Usage:     l.usage,

		BreakerTrips: l.trips,
	}
	for k, rc := range l.requests {
		m := s.Requests[k.endpoint]
		if m == nil {
			m = map[string]int64{}
			s.Requests[k.endpoint] = m
		}
		m[k.status] = rc.n
	}
	for model, b := range l.byModel {
		s.ByModel[model] = ModelBill{Tokens: b.usage.Tokens(), Cost: b.cost, Usage: b.usage}
	}
	return s
}

// FetchLedger reads the ledger of the mock at baseURL (GET /_mock/ledger). The Usage fields
// stay zero: the JSON has the four buckets only.
func FetchLedger(ctx context.Context, client *http.Client, baseURL string) (Snapshot, error) {
	var s Snapshot
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+PathLedger, nil)
	if err != nil {
		return s, fmt.Errorf("fetch mock ledger: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, fmt.Errorf("fetch mock ledger: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return s, fmt.Errorf("fetch mock ledger: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("fetch mock ledger: %s", resp.Status)
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("fetch mock ledger: %w", err)
	}
	if s.Schema != LedgerSchema {
		return s, fmt.Errorf("fetch mock ledger: schema %q, want %q", s.Schema, LedgerSchema)
	}
	return s, nil
}

// statusKey is the ledger's key for an HTTP status code.
func statusKey(code int) string {
	switch code {
	case http.StatusOK:
		return "200"
	case http.StatusTooManyRequests:
		return "429"
	}
	return strconv.Itoa(code)
}
