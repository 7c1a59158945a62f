package plan

import (
	"strings"
	"testing"
)

// TestRateLimitKeys: rate_limit takes rpm, tpm, itpm, otpm and cache_reads_count; an unknown
// key or a bad value is refused, located and named.
func TestRateLimitKeys(t *testing.T) {
	t.Parallel()
	withRL := func(rl string) string { return strings.Replace(minimal, "pricing:", "rate_limit: "+rl+"\npricing:", 1) }
	p, err := parse(t, withRL("{rpm: 50, tpm: 90000, itpm: 30000, otpm: 8000, cache_reads_count: true}"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (RateLimit{RPM: 50, TPM: 90000, ITPM: 30000, OTPM: 8000, CacheReadsCount: true}); p.RateLimit != want || !p.RateLimit.Any() {
		t.Errorf("rate_limit %+v, want %+v", p.RateLimit, want)
	}
	if p, err := parse(t, minimal); err != nil || p.RateLimit.Any() {
		t.Errorf("no rate_limit: %+v %v", p.RateLimit, err)
	}
	for _, c := range []struct{ rl, want string }{
		{"{itpm: 0}", "rate_limit.itpm: "},
		{"{otpm: -5}", "rate_limit.otpm: "},
		{"{otpm: 1000000000001}", "rate_limit.otpm: 1000000000001 is too large"},
		{"{cache_reads_count: maybe}", `rate_limit.cache_reads_count: "maybe" is not true or false`},
		{"{ipm: 5}", "rate_limit.ipm"},
	} {
		if _, err := parse(t, withRL(c.rl)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.rl, err, c.want)
		}
	}
}
