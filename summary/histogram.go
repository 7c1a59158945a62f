package summary

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms count microseconds, from 1 µs to 1 h with 3 significant figures: constant
// memory (about 190 KB each) whatever the number of requests. They travel in a summary
// encoded (hdrhistogram-go's V2 compressed format, base64). Percentiles of several request
// names or several workers come from the merge of their histograms: a percentile of a union
// is not any average of the parts' percentiles.
const (
	HistogramLowestUS  = 1
	HistogramHighestUS = int64(time.Hour / time.Microsecond)
	HistogramSigFigs   = 3
)

// NewHistogram is an empty latency histogram of the summaries' geometry.
func NewHistogram() *hdr.Histogram {
	return hdr.New(HistogramLowestUS, HistogramHighestUS, HistogramSigFigs)
}

// RecordDuration records d in h, in microseconds, clamped to the histogram's range.
func RecordDuration(h *hdr.Histogram, d time.Duration) {
	us := d.Microseconds()
	us = min(max(us, HistogramLowestUS), HistogramHighestUS)
	_ = h.RecordValue(us)
}

// usPerMS converts the histograms' microseconds to the summary's milliseconds.
const usPerMS = 1000.0

// percentiles are those of DESIGN.md, in the order of the Percentiles fields.
var percentiles = []float64{50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99}

// PercentilesOf reads a histogram of microseconds as the percentiles of a summary, in
// milliseconds; all zero when h is nil or empty.
func PercentilesOf(h *hdr.Histogram) Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return Percentiles{}
	}
	v := h.ValueAtPercentilesSlice(percentiles)
	ms := func(us int64) float64 { return float64(us) / usPerMS }
	return Percentiles{Min: ms(h.Min()), Avg: h.Mean() / usPerMS, Max: ms(h.Max()),
		P50: ms(v[0]), P66: ms(v[1]), P75: ms(v[2]), P80: ms(v[3]), P90: ms(v[4]),
		P95: ms(v[5]), P98: ms(v[6]), P99: ms(v[7]), P99_9: ms(v[8]), P99_99: ms(v[9])}
}

// EncodeHistogram encodes h for a summary; "" when h is nil or empty.
func EncodeHistogram(h *hdr.Histogram) (string, error) {
	if h == nil || h.TotalCount() == 0 {
		return "", nil
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHistogram decodes one encoded latency histogram.
func DecodeHistogram(encoded string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// MergeHistograms decodes and merges encoded histograms, skipping empty ones. The result
// spans every input's range at the finest precision among them, so nothing is dropped. It is
// nil when no input holds a histogram.
func MergeHistograms(encoded []string) (*hdr.Histogram, error) {
	var hs []*hdr.Histogram
	for _, e := range encoded {
		if e == "" {
			continue
		}
		h, err := DecodeHistogram(e)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return nil, nil
	}
	lowest, highest, digits := hs[0].LowestTrackableValue(), hs[0].HighestTrackableValue(), hs[0].SignificantFigures()
	for _, h := range hs[1:] {
		lowest = min(lowest, h.LowestTrackableValue())
		highest = max(highest, h.HighestTrackableValue())
		digits = max(digits, h.SignificantFigures())
	}
	out := hdr.New(max(lowest, 1), max(highest, 2*max(lowest, 1)), int(digits))
	for _, h := range hs {
		if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("merge histograms: %d values out of range", dropped)
		}
	}
	return out, nil
}

// AggregateLatency is the latency of tasks together: percentiles from the merge of their
// histograms, the mean weighted by requests, min and max of the parts. ok is false when some
// task with requests has no histogram (the caller then keeps the figures it has).
func AggregateLatency(tasks []TaskStats) (p Percentiles, ok bool, err error) {
	parts := make([]histPart, 0, len(tasks))
	for _, t := range tasks {
		parts = append(parts, histPart{t.Requests, t.Histogram, t.Latency})
	}
	return aggregate(parts)
}

// AggregateTTFT is AggregateLatency for the time to first token of the streamed tasks; nil
// when no task has one.
func AggregateTTFT(tasks []TaskStats) (*Percentiles, error) {
	var parts []histPart
	for _, t := range tasks {
		if t.TTFT != nil && t.TTFTHistogram != "" {
			h, err := DecodeHistogram(t.TTFTHistogram)
			if err != nil {
				return nil, err
			}
			parts = append(parts, histPart{h.TotalCount(), t.TTFTHistogram, *t.TTFT})
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	p, ok, err := aggregate(parts)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

// histPart is one part of an aggregate: n values, their encoded histogram and percentiles.
type histPart struct {
	n   int64
	enc string
	p   Percentiles
}

func aggregate(parts []histPart) (Percentiles, bool, error) {
	var enc []string
	var n int64
	var sum float64
	var agg Percentiles
	for _, pt := range parts {
		if pt.n == 0 {
			continue
		}
		if pt.enc == "" {
			return Percentiles{}, false, nil
		}
		if n == 0 || pt.p.Min < agg.Min {
			agg.Min = pt.p.Min
		}
		agg.Max = max(agg.Max, pt.p.Max)
		enc = append(enc, pt.enc)
		n += pt.n
		sum += pt.p.Avg * float64(pt.n)
	}
	if n == 0 {
		return Percentiles{}, true, nil
	}
	h, err := MergeHistograms(enc)
	if err != nil {
		return Percentiles{}, false, err
	}
	m := PercentilesOf(h)
	m.Min, m.Max, m.Avg = agg.Min, agg.Max, sum/float64(n)
	return clampPercentiles(m), true, nil
}

// clampPercentiles keeps the percentiles read from a histogram (whose buckets round values up
// to their bucket's top) within the exact min and max.
func clampPercentiles(p Percentiles) Percentiles {
	for _, v := range []*float64{&p.P50, &p.P66, &p.P75, &p.P80, &p.P90, &p.P95, &p.P98, &p.P99, &p.P99_9, &p.P99_99} {
		*v = min(max(*v, p.Min), p.Max)
	}
	return p
}

// mergedEncoding is the encoded merge of the parts' histograms.
func mergedEncoding(parts []histPart) (string, error) {
	enc := make([]string, 0, len(parts))
	for _, p := range parts {
		enc = append(enc, p.enc)
	}
	h, err := MergeHistograms(enc)
	if err != nil {
		return "", err
	}
	return EncodeHistogram(h)
}
