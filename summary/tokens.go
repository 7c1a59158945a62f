package summary

import (
	"fmt"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/pricing"
)

// Token histograms count tokens per response, 0 to TokenHistogramHighest with 3 significant
// figures: the per-request distribution that the summary's token sums lack, for loadplan
// calibrate (issue 16). They merge exactly, as the latency histograms do.
const (
	TokenHistogramHighest = 10_000_000
	tokenSigFigs          = 3
)

// TokenDist is the distribution of one request name's tokens per response whose usage was
// reported (TaskStats.TokenDist; nil in a summary written before loadplan knew about it).
type TokenDist struct {
	// Responses are the responses whose usage was reported: each histogram's count.
	Responses int64 `json:"responses"`
	// Prompt is the whole prompt of a response: input, cache read and cache writes together
	// (the plan's expect.input_tokens).
	Prompt TokenHist `json:"prompt"`
	// Cacheable is its cache read and cache writes (expect.cacheable_tokens).
	Cacheable TokenHist `json:"cacheable"`
	Output    TokenHist `json:"output"`
	// Hits are the responses that read the cache.
	Hits int64 `json:"hits"`
}

// TokenHist is one bucket's tokens per response: their exact sum and largest value, and the
// HDR histogram (encoded as the latency histograms are).
type TokenHist struct {
	Sum       int64  `json:"sum"`
	Max       int64  `json:"max"`
	Histogram string `json:"histogram"`
}

// TokenRecorder records the tokens of each response with a usage report; it is safe for
// concurrent use (a mutex held for a histogram update).
type TokenRecorder struct {
	mu                        sync.Mutex
	n, hits                   int64
	prompt, cacheable, output tokenAcc
}

type tokenAcc struct {
	sum, max int64
	h        *hdr.Histogram
}

func (a *tokenAcc) record(v int64) {
	if a.h == nil {
		a.h = newTokenHistogram()
	}
	v = min(max(v, 0), TokenHistogramHighest)
	a.sum += v
	a.max = max(a.max, v)
	_ = a.h.RecordValue(v)
}

func (a *tokenAcc) hist() (TokenHist, error) {
	enc, err := EncodeHistogram(a.h)
	return TokenHist{Sum: a.sum, Max: a.max, Histogram: enc}, err
}

func newTokenHistogram() *hdr.Histogram { return hdr.New(1, TokenHistogramHighest, tokenSigFigs) }

// Record adds one response's reported usage.
func (r *TokenRecorder) Record(u pricing.Usage) {
	cacheable := u.CacheRead + u.CacheWrite5m + u.CacheWrite1h
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if u.CacheRead > 0 {
		r.hits++
	}
	r.prompt.record(u.Input + cacheable)
	r.cacheable.record(cacheable)
	r.output.record(u.Output)
}

// Dist is what was recorded; nil when no response reported its usage.
func (r *TokenRecorder) Dist() (*TokenDist, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return nil, nil
	}
	d := &TokenDist{Responses: r.n, Hits: r.hits}
	var err error
	for _, x := range []struct {
		dst *TokenHist
		src *tokenAcc
	}{{&d.Prompt, &r.prompt}, {&d.Cacheable, &r.cacheable}, {&d.Output, &r.output}} {
		if *x.dst, err = x.src.hist(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// MergeTokenDists merges the token distributions of one request name from several summaries
// (workers, or runs pooled by calibrate), exactly; nils are skipped and the result is nil when
// every input is.
func MergeTokenDists(ds []*TokenDist) (*TokenDist, error) {
	var out *TokenDist
	var prompt, cacheable, output []string
	for _, d := range ds {
		if d == nil {
			continue
		}
		if out == nil {
			out = &TokenDist{}
		}
		out.Responses += d.Responses
		out.Hits += d.Hits
		for _, x := range []struct{ dst, src *TokenHist }{{&out.Prompt, &d.Prompt}, {&out.Cacheable, &d.Cacheable}, {&out.Output, &d.Output}} {
			x.dst.Sum += x.src.Sum
			x.dst.Max = max(x.dst.Max, x.src.Max)
		}
		prompt, cacheable, output = append(prompt, d.Prompt.Histogram), append(cacheable, d.Cacheable.Histogram), append(output, d.Output.Histogram)
	}
	if out == nil {
		return nil, nil
	}
	for _, x := range []struct {
		dst *TokenHist
		enc []string
	}{{&out.Prompt, prompt}, {&out.Cacheable, cacheable}, {&out.Output, output}} {
		h, err := MergeHistograms(x.enc)
		if err != nil {
			return nil, fmt.Errorf("token histogram: %w", err)
		}
		if x.dst.Histogram, err = EncodeHistogram(h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TokenQuantiles reads an encoded token histogram at the given percentiles (0-100), each
// clamped to the exact max; nil for an empty histogram.
func TokenQuantiles(th TokenHist, percents []float64) ([]int64, error) {
	if th.Histogram == "" {
		return nil, nil
	}
	h, err := DecodeHistogram(th.Histogram)
	if err != nil {
		return nil, err
	}
	if h.TotalCount() == 0 {
		return nil, nil
	}
	out := make([]int64, len(percents))
	for i, p := range percents {
		v := h.ValueAtPercentile(p)
		if p == 0 {
			v = h.Min()
		}
		out[i] = min(v, th.Max)
	}
	return out, nil
}
