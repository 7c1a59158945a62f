package pricing

// Usage is the canonical token usage of one request: four buckets, the same everywhere in
// loadplan (DESIGN.md, "Canonical usage"). Cache writes are split by lifetime because the
// 1-hour cache is billed at a higher rate than the 5-minute one. ServiceTier is the service
// tier the response says the request was served at, which prices it too.
type Usage struct {
	Input        int64 // input tokens neither read from nor written to a prompt cache
	CacheRead    int64 // input tokens read from a prompt cache
	CacheWrite5m int64 // input tokens written to the 5-minute cache
	CacheWrite1h int64 // input tokens written to the 1-hour cache
	Output       int64 // output tokens
	// ServiceTier is the tier as the response names it ("priority", "flex"; Anthropic's
	// usage.service_tier, OpenAI's service_tier), "" when it names none or the standard one.
	// ServiceTierName gives its canonical name.
	ServiceTier string
}

// CacheWrite is the total of both cache-write lifetimes.
func (u Usage) CacheWrite() int64 { return u.CacheWrite5m + u.CacheWrite1h }

// TotalInput is every input token, cached or not.
func (u Usage) TotalInput() int64 { return u.Input + u.CacheRead + u.CacheWrite() }

// IsZero reports whether no token was counted (whatever the service tier).
func (u Usage) IsZero() bool { u.ServiceTier = ""; return u == Usage{} }

// Add returns the bucket-wise sum of u and v; the sum has u's service tier when v's is the
// same, else none.
func (u Usage) Add(v Usage) Usage {
	tier := u.ServiceTier
	if v.ServiceTier != tier {
		tier = ""
	}
	return Usage{
		ServiceTier:  tier,
		Input:        u.Input + v.Input,
		CacheRead:    u.CacheRead + v.CacheRead,
		CacheWrite5m: u.CacheWrite5m + v.CacheWrite5m,
		CacheWrite1h: u.CacheWrite1h + v.CacheWrite1h,
		Output:       u.Output + v.Output,
	}
}

// Tokens is the JSON and CSV shape of usage: the four canonical buckets.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
}

// Tokens returns the four-bucket view of u.
func (u Usage) Tokens() Tokens {
	return Tokens{Input: u.Input, Output: u.Output, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite()}
}
