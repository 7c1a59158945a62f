package executor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

const cappedPlan = `version: 1
name: capped
target: TARGET
pricing: {model: claude-sonnet-4-5}
tasks:
  chat:
    request: {method: POST, path: /chat, json: {max_tokens: 10}}
    usage: anthropic
    expect: {input_tokens: 10, output_tokens: 5}
scenarios:
  s: {users: 1, duration: 200ms, wait: {constant: 50ms}}
`

// TestCappedNeedsBounds: the caller says whether the run is capped; a capped run given no
// bound for a priced step is a configuration error before anything is sent, whatever the
// ledger's snapshot says.
func TestCappedNeedsBounds(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	url := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, `{"usage": {"input_tokens": 1, "output_tokens": 1}}`)
	})).URL
	p := parsePlan(t, cappedPlan, url, nil)
	cfg := config(t, p, "s", url, nil) // an unlimited ledger
	cfg.Capped = true
	delete(cfg.Bounds, p.Tasks[0].Steps[0])
	_, err := Run(context.Background(), cfg)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Config.Bounds") {
		t.Errorf("error %v, want a ConfigError naming Config.Bounds", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestBrokenText: an overrun names the bound that broke, its value and where it came from.
func TestBrokenText(t *testing.T) {
	t.Parallel()
	b := pricing.Bound{Cost: decimal.RequireFromString("0.001"), Limits: []pricing.Limit{
		{Name: "max_input_tokens", Of: pricing.LimitInput, Tokens: 200, From: "default: 2 × input_tokens"},
		{Name: "max_output_tokens", Of: pricing.LimitOutput, Tokens: 10, From: "plan.yaml:8:74, the request's max_tokens"},
		{Name: "cacheable_tokens", Of: pricing.LimitCacheWrite, Tokens: 0, From: "default: 0, no cacheable prefix"},
	}}
	cases := []struct {
		name string
		u    *pricing.Usage
		want string
	}{
		{"input", &pricing.Usage{Input: 150, CacheRead: 100, Output: 3},
			"it reported 250 input tokens, more than max_input_tokens 200 (default: 2 × input_tokens): its declared bounds do not hold"},
		{"output and cache writes", &pricing.Usage{Input: 10, CacheWrite5m: 20, Output: 11},
			"it reported 11 output tokens, more than max_output_tokens 10 (plan.yaml:8:74, the request's max_tokens); it reported 20 cache write tokens, more than cacheable_tokens 0 (default: 0, no cacheable prefix): its declared bounds do not hold"},
		{"within every limit", &pricing.Usage{Input: 10, Output: 1}, "is within max_input_tokens 200 (default: 2 × input_tokens)"},
		{"no report", nil, "its declared bounds do not hold"},
	}
	for _, tc := range cases {
		if got := brokenText(b, tc.u); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
