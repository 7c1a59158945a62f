package summary

import "time"

// RateLimits is the run's rate-limit headroom (rate_limits): per limit, what the provider's
// rate-limit headers said (the limit, the lowest remaining seen and when) and the most the
// run itself used in a minute. It is present when a response carried rate-limit headers or
// the plan gives a rate_limit.
type RateLimits struct {
	Requests     *RateLimit `json:"requests,omitempty"`
	InputTokens  *RateLimit `json:"input_tokens,omitempty"`
	OutputTokens *RateLimit `json:"output_tokens,omitempty"`
	Tokens       *RateLimit `json:"tokens,omitempty"`
	// ResponsesWithHeaders counts the responses that carried a rate-limit header.
	ResponsesWithHeaders int64 `json:"responses_with_headers"`
	// MaxRetryAfterS is the longest retry-after a response asked for, in seconds.
	MaxRetryAfterS float64 `json:"max_retry_after_s,omitempty"`
	// CacheReadsCount says whether cache reads were counted in input_tokens' peak (the plan's
	// rate_limit.cache_reads_count; Anthropic's current models do not count them).
	CacheReadsCount bool `json:"cache_reads_count"`
}

// RateLimit is one limit: requests, input, output or all tokens per minute.
type RateLimit struct {
	// Limit is the last limit the provider reported, else the plan's; nil when neither.
	Limit *int64 `json:"limit"`
	// PlanLimit is the plan's rate_limit for this kind, when given.
	PlanLimit *int64 `json:"plan_limit,omitempty"`
	// LowestRemaining is the lowest remaining a response reported, at LowestAt
	// (LowestElapsedS seconds after the start); nil when no response reported one.
	LowestRemaining *int64     `json:"lowest_remaining"`
	LowestAt        *time.Time `json:"lowest_at,omitempty"`
	LowestElapsedS  *float64   `json:"lowest_elapsed_s,omitempty"`
	// PeakPerMinute is the most the run used in any 60 s window (per-second buckets of what
	// was sent: requests at the moment they were sent, their reported tokens counted in the
	// second they were sent); PeakEndS is the end of that window, in seconds from the start.
	PeakPerMinute int64   `json:"peak_per_minute"`
	PeakEndS      float64 `json:"peak_end_s"`
	// Headroom is Limit − PeakPerMinute, and HeadroomShare that as a share of Limit (negative:
	// the run went past the limit); nil without a limit.
	Headroom      *int64   `json:"headroom"`
	HeadroomShare *float64 `json:"headroom_share"`
}

// Kinds returns the limits in the order they are shown, with their names.
func (r *RateLimits) Kinds() []NamedRateLimit {
	return []NamedRateLimit{{"requests", r.Requests}, {"input_tokens", r.InputTokens},
		{"output_tokens", r.OutputTokens}, {"tokens", r.Tokens}}
}

// NamedRateLimit is a limit with its name; Limit is nil for a kind with nothing known.
type NamedRateLimit struct {
	Name  string
	Limit *RateLimit
}

// SetHeadroom computes Headroom and HeadroomShare from Limit and PeakPerMinute.
func (l *RateLimit) SetHeadroom() {
	l.Headroom, l.HeadroomShare = nil, nil
	if l.Limit == nil || *l.Limit <= 0 {
		return
	}
	h := *l.Limit - l.PeakPerMinute
	share := float64(h) / float64(*l.Limit)
	l.Headroom, l.HeadroomShare = &h, &share
}

// mergeRateLimits combines the workers' rate limits: the lowest remaining of all (the
// workers share the provider's limits), the highest limit reported, and the sum of the
// workers' peaks per minute. That sum is an upper bound of the whole run's peak: the
// workers' busiest minutes need not coincide (their per-second counts are not in the
// summary), so the merged headroom errs on the small side. The lowest remaining's elapsed
// seconds count from start, the merged run's.
func mergeRateLimits(parts []*Run, start time.Time) *RateLimits {
	var m *RateLimits
	for _, p := range parts {
		if p.RateLimits == nil {
			continue
		}
		if m == nil {
			m = &RateLimits{}
		}
		m.ResponsesWithHeaders += p.RateLimits.ResponsesWithHeaders
		m.MaxRetryAfterS = max(m.MaxRetryAfterS, p.RateLimits.MaxRetryAfterS)
		m.CacheReadsCount = m.CacheReadsCount || p.RateLimits.CacheReadsCount
		for _, dst := range []struct {
			to   **RateLimit
			from *RateLimit
		}{{&m.Requests, p.RateLimits.Requests}, {&m.InputTokens, p.RateLimits.InputTokens},
			{&m.OutputTokens, p.RateLimits.OutputTokens}, {&m.Tokens, p.RateLimits.Tokens}} {
			if dst.from == nil {
				continue
			}
			if *dst.to == nil {
				*dst.to = &RateLimit{}
			}
			mergeRateLimit(*dst.to, dst.from)
		}
	}
	if m != nil {
		for _, k := range m.Kinds() {
			if k.Limit != nil {
				k.Limit.SetHeadroom()
				if k.Limit.LowestAt != nil {
					k.Limit.LowestElapsedS = new(k.Limit.LowestAt.Sub(start).Seconds())
				}
			}
		}
	}
	return m
}

func mergeRateLimit(m, p *RateLimit) {
	if p.Limit != nil && (m.Limit == nil || *p.Limit > *m.Limit) {
		m.Limit = new(*p.Limit)
	}
	if p.PlanLimit != nil && m.PlanLimit == nil {
		m.PlanLimit = new(*p.PlanLimit)
	}
	if p.LowestRemaining != nil && (m.LowestRemaining == nil || *p.LowestRemaining < *m.LowestRemaining) {
		m.LowestRemaining, m.LowestAt, m.LowestElapsedS = p.LowestRemaining, p.LowestAt, p.LowestElapsedS
	}
	m.PeakPerMinute += p.PeakPerMinute
	m.PeakEndS = max(m.PeakEndS, p.PeakEndS)
}
