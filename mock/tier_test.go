package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/usage"
	"github.com/shopspring/decimal"
)

// tieredCatalog prices claude-sonnet-4-5 with a long-context tier above 200k tokens and a
// priority tier, and gpt-4o with a flex tier.
func tieredCatalog(t *testing.T) *pricing.Catalog {
	t.Helper()
	c, err := pricing.Parse("tiers.yaml", []byte(`
models:
  - id: claude-sonnet-4-5
    provider: anthropic
    input: 3
    output: 15
    above: [{tokens: 200k, input: 6, cache_write_5m: 7.50, cache_write_1h: 12, cache_read: 0.60, output: 22.50}]
    service_tiers:
      priority: {input: 6, output: 30}
  - id: gpt-4o
    provider: openai
    input: 2.50
    cache_read: 1.25
    output: 10
    service_tiers:
      flex: {input: 1.25, output: 5}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The mock reports the service tier a request asks for (or its config's) and bills at it;
// a request header makes a long prompt cheap to send, and the ledger bills its tier.
func TestServiceTierAndLongContext(t *testing.T) {
	t.Parallel()
	cat := tieredCatalog(t)
	sonnet, _ := cat.Lookup("claude-sonnet-4-5")
	gpt, _ := cat.Lookup("gpt-4o")
	msg := map[string]any{"role": "user", "content": "hello there"}
	tests := []struct {
		name     string
		cfgTier  string
		path     string
		body     map[string]any
		header   http.Header
		openai   bool
		price    pricing.Price
		wantTier string // as the usage package reads it: canonical, "" standard
		minInput int64  // the prompt is at least this long
	}{
		{name: "anthropic body asks for priority", path: PathMessages,
			body:  map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 50, "service_tier": "priority", "messages": []any{msg}},
			price: sonnet, wantTier: "priority"},
		{name: "anthropic auto: the config's tier", cfgTier: "priority", path: PathMessages,
			body:  map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 50, "service_tier": "auto", "messages": []any{msg}},
			price: sonnet, wantTier: "priority"},
		{name: "anthropic standard_only", cfgTier: "priority", path: PathMessages,
			body:  map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 50, "service_tier": "standard_only", "messages": []any{msg}},
			price: sonnet, wantTier: ""},
		{name: "openai config flex", cfgTier: "flex", path: PathCompletions, openai: true,
			body:  map[string]any{"model": "gpt-4o", "max_tokens": 50, "messages": []any{msg}},
			price: gpt, wantTier: "flex"},
		{name: "openai stream asks for flex", path: PathCompletions, openai: true,
			body: map[string]any{"model": "gpt-4o", "max_tokens": 50, "messages": []any{msg}, "stream": true,
				"service_tier": "flex", "stream_options": map[string]any{"include_usage": true}},
			price: gpt, wantTier: "flex"},
		{name: "service stream asks for priority", path: PathChatStream,
			body:  map[string]any{"message": "hi", "max_tokens": 50, "service_tier": "priority"},
			price: sonnet, wantTier: "priority"},
		{name: "a long prompt by header", path: PathChatMessage,
			body:   map[string]any{"message": "hi", "max_tokens": 50},
			header: http.Header{InputTokensHeader: {"250000"}}, price: sonnet, minInput: 250_000},
		{name: "a long prompt at priority", path: PathMessages,
			body:   map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 50, "service_tier": "priority", "messages": []any{msg}},
			header: http.Header{InputTokensHeader: {"250000"}}, price: sonnet, wantTier: "priority", minInput: 250_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Seed: 3, ServiceTier: tt.cfgTier, Prices: cat, Endpoints: defaultEndpoints()}
			ep := cfg.Endpoints[PathMessages]
			ep.MaxInputTokens = 300_000 // the 1M-context beta, say
			cfg.Endpoints[PathMessages] = ep
			s, url := newTestServer(t, cfg)
			rep := usageOf(t, url, tt.path, tt.body, tt.header, tt.openai)
			u := rep.Usage
			if u.ServiceTier != tt.wantTier {
				t.Errorf("service tier %q, want %q", u.ServiceTier, tt.wantTier)
			}
			if u.TotalInput() < tt.minInput {
				t.Errorf("prompt %d tokens, want at least %d", u.TotalInput(), tt.minInput)
			}
			want, err := tt.price.Cost(u)
			if err != nil {
				t.Fatal(err)
			}
			std := u
			std.ServiceTier = ""
			stdCost, _ := pricing.Price{Rates: tt.price.Rates}.Cost(std)
			if (tt.wantTier != "" || tt.minInput > 200_000) && want.Equal(stdCost) {
				t.Errorf("the tier's cost %s is the standard rates' %s: the test tells nothing", want, stdCost)
			}
			if got := s.Ledger().Snapshot().Cost; !got.Equal(want) {
				t.Errorf("ledger %s, want %s (the response's usage %+v at its tier)", got, want, u)
			}
		})
	}
}

func TestServiceTierErrors(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{ServiceTier: "premium"}); err == nil || !strings.Contains(err.Error(), `service_tier: "premium" is not a service tier`) {
		t.Errorf("New: %v", err)
	}
	_, url := newTestServer(t, Config{})
	o := do(t, http.DefaultClient, url, PathChatMessage, map[string]any{"message": "hi"}, http.Header{InputTokensHeader: {"lots"}})
	if o.status != http.StatusBadRequest || !strings.Contains(string(o.body), InputTokensHeader) {
		t.Errorf("a bad %s: %d %s", InputTokensHeader, o.status, o.body)
	}
	// A tier the catalog has no price for: the ledger bills the standard rates.
	s, url := newTestServer(t, Config{ServiceTier: "batch"})
	rep := usageOf(t, url, PathChatMessage, map[string]any{"message": "hi"}, nil, false)
	if rep.Usage.ServiceTier != "batch" {
		t.Fatalf("%+v", rep)
	}
	std := rep.Usage
	std.ServiceTier = ""
	want, _ := pricing.Default().Cost(std, DefaultModel)
	if got := s.Ledger().Snapshot().Cost; !got.Equal(want) || got.Equal(decimal.Zero) {
		t.Errorf("ledger %s, want %s", got, want)
	}
}

// usageOf sends body to path and reads the usage of the answer, a body or a stream, with the
// usage package, as the meter does.
func usageOf(t *testing.T, url, path string, body map[string]any, header http.Header, openai bool) usage.Report {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, msg)
	}
	kind := usage.KindAnthropic
	if openai {
		kind = usage.KindOpenAI
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var rep usage.Report
		if openai {
			rep, err = usage.OpenAI(data)
		} else {
			rep, err = usage.Anthropic(data)
		}
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	st, err := usage.NewStream(kind)
	if err != nil {
		t.Fatal(err)
	}
	dec := sse.NewDecoder(resp.Body)
	for dec.Next() {
		if err := st.Add(dec.Event()); err != nil {
			t.Fatal(err)
		}
	}
	if err := dec.Err(); err != nil {
		t.Fatal(err)
	}
	if rep := st.Report(); rep.Complete {
		return rep
	}
	t.Fatal("the stream ended before its final usage")
	return usage.Report{}
}
