package mock

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRateLimitLimits: with rate_limit, each provider response carries its API's
// rate-limit headers with what remains, and a request past a limit gets 429 with
// retry-after, billed nothing.
func TestRateLimitLimits(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path  string
		body  string
		names []string // limit, remaining, reset of requests
		other string   // a token limit header it sends
	}{
		{PathMessages, `{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[{"role":"user","content":"hello there"}]}`,
			[]string{"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
			"anthropic-ratelimit-output-tokens-remaining"},
		{PathCompletions, `{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hello there"}]}`,
			[]string{"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
			"x-ratelimit-remaining-tokens"},
	} {
		t.Run(c.path, func(t *testing.T) {
			t.Parallel()
			cfg, _ := Profile("default")
			cfg.TimeScale = 0
			cfg.RateLimit = &RateLimit{RPM: 3, OTPM: 1_000_000, TPM: 1_000_000, Per: time.Hour}
			_, base := newTestServer(t, cfg)
			for i := range 4 {
				resp, err := http.Post(base+c.path, "application/json", strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got := resp.Header.Get(c.names[0]); got != "3" {
					t.Errorf("request %d: %s = %q", i+1, c.names[0], got)
				}
				rem, _ := strconv.Atoi(resp.Header.Get(c.names[1]))
				if i < 3 {
					if resp.StatusCode != 200 || rem != 2-i {
						t.Errorf("request %d: status %d, remaining %d, want 200 and %d", i+1, resp.StatusCode, rem, 2-i)
					}
				} else if resp.StatusCode != 429 || rem != 0 || resp.Header.Get("Retry-After") == "" {
					t.Errorf("request 4: status %d, remaining %d, retry-after %q", resp.StatusCode, rem, resp.Header.Get("Retry-After"))
				}
				if resp.Header.Get(c.names[2]) == "" || resp.Header.Get(c.other) == "" {
					t.Errorf("request %d lacks %s or %s: %v", i+1, c.names[2], c.other, resp.Header)
				}
			}
		})
	}
	// Without rate_limit: no header.
	cfg, _ := Profile("default")
	cfg.TimeScale = 0
	_, base := newTestServer(t, cfg)
	resp, err := http.Post(base+PathMessages, "application/json", strings.NewReader(`{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Get("anthropic-ratelimit-requests-remaining"); v != "" || resp.StatusCode != 200 {
		t.Errorf("default profile: status %d, remaining %q", resp.StatusCode, v)
	}
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("m.yaml", []byte("rate_limit: {rpm: 50, itpm: 30000, otpm: 8000, cache_reads_count: true, per: 10s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rl := cfg.RateLimit; rl == nil || rl.RPM != 50 || rl.ITPM != 30000 || rl.OTPM != 8000 || !rl.CacheReadsCount || rl.Per != 10*time.Second {
		t.Errorf("rate_limit %+v", cfg.RateLimit)
	}
	_, err = ParseConfig("m.yaml", []byte("rate_limit:\n  rpm: -1\n"))
	if err == nil || !strings.Contains(err.Error(), "m.yaml:2:3: rate_limit.rpm: must be 0 (no limit) or more, not -1") {
		t.Errorf("err %v", err)
	}
}
