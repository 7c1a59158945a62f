package report

import (
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/loadplan/loadplan/executor"
)

// Latency histograms travel in a summary encoded (hdrhistogram-go's V2 compressed format,
// base64) and count microseconds. Percentiles of several request names or several workers
// come from the merge of their histograms: a percentile of a union is not any average of
// the parts' percentiles.

// decodeHistogram decodes one encoded latency histogram.
func decodeHistogram(encoded string) (*hdrhistogram.Histogram, error) {
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// mergeHistograms decodes and merges encoded histograms, skipping empty ones. The result
// spans every input's range at the finest precision among them, so nothing is dropped. It is
// nil when no input holds a histogram.
func mergeHistograms(encoded []string) (*hdrhistogram.Histogram, error) {
	var hs []*hdrhistogram.Histogram
	for _, e := range encoded {
		if e == "" {
			continue
		}
		h, err := decodeHistogram(e)
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
	out := hdrhistogram.New(max(lowest, 1), max(highest, 2*max(lowest, 1)), int(digits))
	for _, h := range hs {
		if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("merge histograms: %d values out of range", dropped)
		}
	}
	return out, nil
}

// encodeHistogram encodes h for a summary.
func encodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// usPerMS converts the histograms' microseconds to the summary's milliseconds.
const usPerMS = 1000.0

// histogramPercentiles reads a summary's percentiles (ms) from a histogram of microseconds.
func histogramPercentiles(h *hdrhistogram.Histogram) executor.Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return executor.Percentiles{}
	}
	q := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) / usPerMS }
	return executor.Percentiles{
		Min:    float64(h.Min()) / usPerMS,
		Avg:    h.Mean() / usPerMS,
		Max:    float64(h.Max()) / usPerMS,
		P50:    q(50),
		P66:    q(66),
		P75:    q(75),
		P80:    q(80),
		P90:    q(90),
		P95:    q(95),
		P98:    q(98),
		P99:    q(99),
		P99_9:  q(99.9),
		P99_99: q(99.99),
	}
}

// aggregateLatency is the latency of all tasks together: percentiles from the merge of their
// histograms, the mean weighted by requests, min and max of the parts. ok is false when some
// task with requests has no histogram (the caller then keeps the summary's own figures).
func aggregateLatency(tasks []executor.TaskStats) (executor.Percentiles, bool, error) {
	parts := make([]histPart, 0, len(tasks))
	for _, t := range tasks {
		parts = append(parts, histPart{t.Requests, t.Histogram, t.Latency})
	}
	return aggregate(parts)
}

// aggregateTTFT is aggregateLatency for the time to first token of the streamed tasks; nil
// when no task has one.
func aggregateTTFT(tasks []executor.TaskStats) (*executor.Percentiles, error) {
	var parts []histPart
	for _, t := range tasks {
		if t.TTFT != nil && t.TTFTHistogram != "" {
			h, err := decodeHistogram(t.TTFTHistogram)
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
	p   executor.Percentiles
}

func aggregate(parts []histPart) (executor.Percentiles, bool, error) {
	var enc []string
	var n int64
	var sum float64
	var agg executor.Percentiles
	for _, pt := range parts {
		if pt.n == 0 {
			continue
		}
		if pt.enc == "" {
			return executor.Percentiles{}, false, nil
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
		return executor.Percentiles{}, true, nil
	}
	h, err := mergeHistograms(enc)
	if err != nil {
		return executor.Percentiles{}, false, err
	}
	m := histogramPercentiles(h)
	m.Min, m.Max, m.Avg = agg.Min, agg.Max, sum/float64(n)
	return clampPercentiles(m), true, nil
}

// clampPercentiles keeps the percentiles read from a histogram (whose buckets round values up
// to their bucket's top) within the exact min and max.
func clampPercentiles(p executor.Percentiles) executor.Percentiles {
	for _, v := range []*float64{&p.P50, &p.P66, &p.P75, &p.P80, &p.P90, &p.P95, &p.P98, &p.P99, &p.P99_9, &p.P99_99} {
		*v = min(max(*v, p.Min), p.Max)
	}
	return p
}
