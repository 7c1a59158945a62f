package executor

import (
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// newHist is a latency histogram of the summaries' geometry (microseconds, 1 µs to 1 h, 3
// significant figures: about 190 KB whatever the number of requests).
func newHist() *hdr.Histogram { return summary.NewHistogram() }

// result is one attempt of one request, as recorded.
type result struct {
	latency time.Duration // to the last byte
	ttft    time.Duration // to the first content event; 0: not a stream
	size    int64         // bytes of the response body
	failure string        // "" on success; else the failures table's message
	// failureSample is the value a failed check met, shown as an example next to the
	// failure (never part of its key).
	failureSample string
	rateLimited   bool // 429 or 529
}

// stat is one request name's statistics. Workers record into it under its own mutex (held
// for well under a microsecond); nothing global is locked on the hot path. Latencies go into
// histograms of the current second only, which the ticker drains once a second into the
// cumulative histograms it owns (aggRow): each request is recorded once.
type stat struct {
	name, method, task string
	costSource         string

	mu          sync.Mutex
	requests    int64
	failures    int64
	rateLimited int64
	bytes       int64
	secLat      *hdr.Histogram // this second's latencies, drained by the ticker
	secTTFT     *hdr.Histogram
	secReq      int64
	secFail     int64
	tokens      pricing.Usage // reported tokens only
	cost        decimal.Decimal
	costEst     decimal.Decimal
	reported    int64           // responses whose usage was reported
	cacheHits   int64           // of those, the ones that read the cache
	unreported  int64           // responses charged their reservation for want of a usage report
	unpriced    int64           // responses of steps with no worst case whose cost is partly unknown
	incomplete  int64           // responses whose usage lacked a required bucket, charged at its bound
	genTokens   int64           // output tokens of streams that reported them
	genTime     time.Duration   // their time from the first token to the last byte
	buckets     *bucketCounts   // nil unless Config.LatencyBuckets
	good        int64           // attempts that succeeded and met their SLO
	wasted      decimal.Decimal // what the other attempts cost (priced ones)

	// tokDist records the tokens of each reported response, for loadplan calibrate.
	tokDist summary.TokenRecorder
}

func newStat(name, method, task, source string) *stat {
	return &stat{name: name, method: method, task: task, costSource: source,
		secLat: newHist(), secTTFT: newHist()}
}

func (s *stat) record(r *result) {
	s.mu.Lock()
	s.requests++
	s.secReq++
	if r.failure != "" {
		s.failures++
		s.secFail++
	}
	if r.rateLimited {
		s.rateLimited++
	}
	s.bytes += r.size
	summary.RecordDuration(s.secLat, r.latency)
	if r.ttft > 0 {
		summary.RecordDuration(s.secTTFT, r.ttft)
	}
	if s.buckets != nil {
		s.buckets.add(r)
	}
	s.mu.Unlock()
}

// charge records what one response cost.
func (s *stat) charge(c charged) {
	s.mu.Lock()
	if !c.total.IsZero() || c.total.Exponent() < s.cost.Exponent() {
		// (Adding a zero of no finer exponent leaves the sum as it is, digits included.)
		s.cost = s.cost.Add(c.total)
	}
	if !c.estimated.IsZero() {
		s.costEst = s.costEst.Add(c.estimated)
	}
	if c.reported != nil {
		s.tokens = s.tokens.Add(*c.reported)
		s.tokDist.Record(*c.reported)
		s.reported++
		if c.reported.CacheRead > 0 {
			s.cacheHits++
		}
	}
	if c.unreported {
		s.unreported++
	}
	if c.unpriced {
		s.unpriced++
	}
	if c.incomplete {
		s.incomplete++
	}
	s.mu.Unlock()
}

// generated records a stream's output after its first token, for the output rate and the
// inter-token latency.
func (s *stat) generated(tokens int64, d time.Duration) {
	s.mu.Lock()
	s.genTokens += tokens
	s.genTime += d
	s.mu.Unlock()
}

// rowSnap is one row at one instant: the counters copied from its stat and the cumulative
// histograms the ticker keeps for it.
type rowSnap struct {
	name, method, task, costSource  string
	requests, failures, rateLimited int64
	bytes                           int64
	lat, ttft                       *hdr.Histogram // cumulative; owned by the aggregator
	secReq, secFail                 int64
	tokens                          pricing.Usage
	cost, costEst                   decimal.Decimal
	reported, cacheHits, unreported int64
	unpriced, incomplete            int64
	genTokens                       int64
	genTime                         time.Duration
	buckets                         *bucketCounts // a copy; nil unless Config.LatencyBuckets
	good                            int64
	wasted                          decimal.Decimal
}

// drain copies the counters and moves this second's histograms into lat, ttft and sec.
func (s *stat) drain(lat, ttft, sec *hdr.Histogram) rowSnap {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := rowSnap{name: s.name, method: s.method, task: s.task, costSource: s.costSource,
		requests: s.requests, failures: s.failures, rateLimited: s.rateLimited, bytes: s.bytes,
		lat: lat, ttft: ttft, secReq: s.secReq, secFail: s.secFail,
		tokens: s.tokens, cost: s.cost, costEst: s.costEst,
		reported: s.reported, cacheHits: s.cacheHits, unreported: s.unreported, unpriced: s.unpriced,
		incomplete: s.incomplete, genTokens: s.genTokens, genTime: s.genTime, buckets: s.buckets.clone(),
		good: s.good, wasted: s.wasted}
	lat.Merge(s.secLat)
	ttft.Merge(s.secTTFT)
	sec.Merge(s.secLat)
	s.secLat.Reset()
	s.secTTFT.Reset()
	s.secReq, s.secFail = 0, 0
	return r
}

// failureKey keys the failures table as Locust does: request name, method, message. The
// message names what failed, never the value met (a check failure is keyed on its path and
// expectation): one row per kind of failure, whatever the responses said.
type failureKey struct{ task, method, msg string }

// failureCount is one row of the failures table: its occurrences and the first value met,
// shown as an example.
type failureCount struct {
	n      int64
	sample string
}

// maxFailureKeys caps the distinct failures of one request name, so that messages that vary
// without bound (a server's own error text) cannot grow the table without bound; the
// failures past the cap are counted under otherErrors.
const maxFailureKeys = 1000

// otherErrors is the failures table's row for the failures past maxFailureKeys.
const otherErrors = "other errors"

// stats are a run's statistics: one stat per request name, and the failures table.
type stats struct {
	rows []*stat // in report order: on_start steps, then the tasks' steps in plan order

	fmu      sync.Mutex
	failures map[failureKey]*failureCount
	distinct map[string]int // distinct failure keys per request name
}

func newStats() *stats {
	return &stats{failures: map[failureKey]*failureCount{}, distinct: map[string]int{}}
}

// fail counts one failure of s; sample is the value it met, if any ("" otherwise).
func (st *stats) fail(s *stat, msg, sample string) {
	k := failureKey{s.name, s.method, msg}
	st.fmu.Lock()
	defer st.fmu.Unlock()
	c := st.failures[k]
	if c == nil {
		if st.distinct[s.name] >= maxFailureKeys {
			k.msg, sample = otherErrors, ""
			c = st.failures[k]
		}
		if c == nil {
			c = &failureCount{sample: sample}
			st.failures[k] = c
			if k.msg != otherErrors {
				st.distinct[s.name]++
			}
		}
	}
	c.n++
}

// failureList is the failures table, in summary.SortedFailures's order.
func (st *stats) failureList() []summary.Failure {
	st.fmu.Lock()
	out := make([]summary.Failure, 0, len(st.failures))
	for k, c := range st.failures {
		msg := k.msg
		if c.sample != "" {
			msg += ", e.g. got " + c.sample
		}
		out = append(out, summary.Failure{Task: k.task, Method: k.method, Error: msg, Occurrences: c.n})
	}
	st.fmu.Unlock()
	return summary.SortedFailures(out)
}

// aggregator owns the cumulative histograms; one goroutine (the ticker, then the summary)
// uses it at a time, under mu.
type aggregator struct {
	mu        sync.Mutex
	st        *stats
	lat, ttft []*hdr.Histogram // per row
	sec       *hdr.Histogram   // the last second's latencies, all rows
}

func newAggregator(st *stats) *aggregator {
	a := &aggregator{st: st, sec: newHist()}
	for range st.rows {
		a.lat = append(a.lat, newHist())
		a.ttft = append(a.ttft, newHist())
	}
	return a
}

// drain takes a snapshot of every row and the second since the last drain (in a.sec).
func (a *aggregator) drain() []rowSnap {
	a.sec.Reset()
	out := make([]rowSnap, len(a.st.rows))
	for i, s := range a.st.rows {
		out[i] = s.drain(a.lat[i], a.ttft[i], a.sec)
	}
	return out
}

// total merges rows into one (the Aggregated row), or the rows that pass keep. Its
// histograms are merged only when hists is true (else lat and ttft are nil): merging a
// cumulative histogram walks all of it, which the per-second counters do not need.
func total(rows []rowSnap, keep func(*rowSnap) bool, hists bool) rowSnap {
	t := rowSnap{name: "Aggregated"}
	if hists {
		t.lat, t.ttft = newHist(), newHist()
	}
	for i := range rows {
		r := &rows[i]
		if keep != nil && !keep(r) {
			continue
		}
		t.requests += r.requests
		t.failures += r.failures
		t.rateLimited += r.rateLimited
		t.bytes += r.bytes
		if hists {
			t.lat.Merge(r.lat)
			t.ttft.Merge(r.ttft)
		}
		t.secReq += r.secReq
		t.secFail += r.secFail
		t.tokens = t.tokens.Add(r.tokens)
		t.cost = t.cost.Add(r.cost)
		t.costEst = t.costEst.Add(r.costEst)
		t.reported += r.reported
		t.cacheHits += r.cacheHits
		t.unreported += r.unreported
		t.unpriced += r.unpriced
		t.incomplete += r.incomplete
		t.genTokens += r.genTokens
		t.genTime += r.genTime
		t.good += r.good
		t.wasted = t.wasted.Add(r.wasted)
		if r.buckets != nil {
			if t.buckets == nil {
				t.buckets = newBucketCounts(r.buckets.bounds)
			}
			t.buckets.merge(r.buckets)
		}
	}
	return t
}

// bucketCounts count one request name's latencies and times to first token at fixed upper
// bounds (Config.LatencyBuckets), for a Prometheus histogram: per bucket, the last one past
// the largest bound. Counting at record time costs a binary search over a few bounds; an
// HDR histogram cannot be read at other bounds without walking all its counts.
type bucketCounts struct {
	bounds          []time.Duration // ascending
	lat, ttft       []int64         // len(bounds) + 1
	latSum, ttftSum time.Duration
	ttftN           int64
}

func newBucketCounts(bounds []time.Duration) *bucketCounts {
	return &bucketCounts{bounds: bounds, lat: make([]int64, len(bounds)+1), ttft: make([]int64, len(bounds)+1)}
}

func (b *bucketCounts) add(r *result) {
	i, _ := slices.BinarySearch(b.bounds, r.latency) // the first bound >= the latency
	b.lat[i]++
	b.latSum += r.latency
	if r.ttft > 0 {
		i, _ = slices.BinarySearch(b.bounds, r.ttft)
		b.ttft[i]++
		b.ttftSum += r.ttft
		b.ttftN++
	}
}

func (b *bucketCounts) clone() *bucketCounts {
	if b == nil {
		return nil
	}
	c := *b
	c.lat, c.ttft = slices.Clone(b.lat), slices.Clone(b.ttft)
	return &c
}

func (b *bucketCounts) merge(o *bucketCounts) {
	for i := range b.lat {
		b.lat[i] += o.lat[i]
		b.ttft[i] += o.ttft[i]
	}
	b.latSum += o.latSum
	b.ttftSum += o.ttftSum
	b.ttftN += o.ttftN
}

// histograms are the cumulative latency and TTFT histograms of the counts (TTFT nil when no
// request had one).
func (b *bucketCounts) histograms() (lat, ttft *summary.Histogram) {
	if b == nil {
		return nil, nil
	}
	cumulative := func(per []int64, sum time.Duration) *summary.Histogram {
		h := &summary.Histogram{Bounds: b.bounds, Counts: make([]int64, len(b.bounds)), Sum: sum}
		for i, n := range per {
			h.Count += n
			if i < len(b.bounds) {
				h.Counts[i] = h.Count
			}
		}
		return h
	}
	lat = cumulative(b.lat, b.latSum)
	if b.ttftN > 0 {
		ttft = cumulative(b.ttft, b.ttftSum)
	}
	return lat, ttft
}

func (r *rowSnap) cacheHitRate() float64 {
	if r.reported == 0 {
		return 0
	}
	return float64(r.cacheHits) / float64(r.reported)
}

func (r *rowSnap) avgSize() float64 {
	if r.requests == 0 {
		return 0
	}
	return float64(r.bytes) / float64(r.requests)
}

func (r *rowSnap) costPerRequest() *decimal.Decimal {
	if r.requests == 0 {
		return nil
	}
	c := r.cost.Div(decimal.NewFromInt(r.requests))
	return &c
}

// addTokens adds reported tokens that are not one response's (a Prometheus delta).
func (s *stat) addTokens(u pricing.Usage) {
	s.mu.Lock()
	s.tokens = s.tokens.Add(u)
	s.mu.Unlock()
}

// outputRate is the output tokens per second of the streams after their first token, and the
// mean time between two tokens; zero without streams that reported their output.
func (r *rowSnap) outputRate() (perSecond, interTokenMS float64) {
	if r.genTokens <= 1 || r.genTime <= 0 {
		return 0, 0
	}
	return float64(r.genTokens) / r.genTime.Seconds(), float64(r.genTime) / float64(time.Millisecond) / float64(r.genTokens)
}
