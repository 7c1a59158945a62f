package mock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mock.yaml")
	src := `# a flaky mock with a slower chat
profile: flaky
seed: 42
model: claude-haiku-4-5
time_scale: 0.5
max_in_flight: 16
faults: {rate_limited: 5%, retry_after: 2s, stream_cut: 0.01}
endpoints:
  /api/chat/message:
    latency: {median: 1s, p95: 2s}
    output_tokens: 250
  /v1/messages:
    faults: {status_500: 10%}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	flaky, _ := Profile("flaky")
	chat := cfg.Endpoints[PathChatMessage]
	switch {
	case cfg.Profile != "flaky" || cfg.Seed != 42 || cfg.Model != "claude-haiku-4-5" || cfg.TimeScale != 0.5 || cfg.MaxInFlight != 16:
		t.Errorf("top level: %+v", cfg)
	case cfg.Faults.RateLimited != 0.05 || cfg.Faults.RetryAfter != 2*time.Second || cfg.Faults.StreamCut != 0.01:
		t.Errorf("faults: %+v", cfg.Faults)
	case cfg.Faults.Reset != flaky.Faults.Reset: // not given: the profile's
		t.Errorf("faults not given lost the profile's: %+v", cfg.Faults)
	case chat.Latency != (Latency{Median: time.Second, P95: 2 * time.Second}) || chat.OutputTokens != 250:
		t.Errorf("chat: %+v", chat)
	case chat.InputTokens != 1200 || chat.CacheWrite1hShare != flaky.Endpoints[PathChatMessage].CacheWrite1hShare:
		t.Errorf("chat lost the profile's fields: %+v", chat)
	case cfg.Endpoints[PathMessages].Faults == nil || *cfg.Endpoints[PathMessages].Faults != (Faults{Status500: 0.1}):
		t.Errorf("/v1/messages faults: %+v", cfg.Endpoints[PathMessages].Faults)
	}
	if _, err := New(cfg); err != nil {
		t.Error(err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestConfigErrorsAreLocated(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // each must appear in the error
	}{
		{"unknown top-level field", "seed: 1\nfautls: {}\n",
			[]string{`mock.yaml:2:1: fautls: unknown field, did you mean "faults"?`}},
		{"unknown fault", "faults:\n  rate_limted: 1%\n",
			[]string{`mock.yaml:2:3: faults.rate_limted: unknown field, did you mean "rate_limited"?`}},
		{"unknown endpoint", "endpoints:\n  /api/chat/mesage: {}\n",
			[]string{`mock.yaml:2:3: endpoints./api/chat/mesage: unknown endpoint, did you mean "/api/chat/message"?`}},
		{"bad duration", "endpoints:\n  /health:\n    latency: {median: 5, p95: 20ms}\n",
			[]string{`mock.yaml:3:23: endpoints./health.latency.median: "5" is not a duration`}},
		{"p95 under the median", "endpoints:\n  /health:\n    latency: {median: 50ms, p95: 20ms}\n",
			[]string{`mock.yaml:3:29: endpoints./health.latency.p95: 20ms is below the median 50ms`}},
		{"rate over 1", "faults:\n  reset: 150%\n", []string{`mock.yaml:2:3: faults.reset: a rate is between 0 and 1`}},
		{"rates add up over 1", "faults:\n  reset: 60%\n  status_500: 0.6\n",
			[]string{`mock.yaml:1:1: faults: the fault rates add up to 1.2, more than 1`}},
		{"mean over the max", "endpoints:\n  /api/chat/message: {input_tokens: 5000}\n",
			[]string{`mock.yaml:2:23: endpoints./api/chat/message.input_tokens: 5000 is more than max_input_tokens 4000`}},
		{"unknown profile", "profile: fast\n", []string{`mock.yaml:1:10: profile: unknown mock profile "fast" (valid: default, flaky, rate-limited, slow, breaker, saturating)`}},
		{"not a number", "seed: many\n", []string{`mock.yaml:1:7: seed: "many" is not a whole number`}},
		{"a list for a mapping", "faults: [1, 2]\n", []string{`mock.yaml:1:9: faults: want a mapping of fields, not a list`}},
		{"syntax", "seed: [1\n", []string{`mock.yaml:`}},
		{"all problems at once", "seed: x\nmodel: [a]\ntime_scale: -1\n",
			[]string{`mock.yaml:1:7: seed:`, `mock.yaml:2:8: model: want a string, not a list`}},
		{"the document is a list", "- a\n", []string{`mock.yaml:1:1: a mock configuration is a mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("mock.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain:\n%s", err, w)
				}
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a *ConfigError", err)
			}
		})
	}
}

func TestValidateWithoutFile(t *testing.T) {
	cfg := Config{TimeScale: -1, Endpoints: map[string]Endpoint{"/nope": {}}}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "time_scale: must be 0 or more") ||
		!strings.Contains(err.Error(), "endpoints./nope: unknown endpoint") {
		t.Errorf("Validate: %v", err)
	}
	if _, err := New(cfg); err == nil {
		t.Error("New accepted an invalid config")
	}
}

// parseBudget is what parsing a configuration of n bytes may cost: the YAML parser's nodes.
var parseBudget = fuzzcheck.Budget{AllocBase: 16 << 20, AllocPerByte: 256}

// FuzzParseConfig: any bytes parse to a valid configuration or an error, within parseBudget.
func FuzzParseConfig(f *testing.F) {
	f.Add("profile: flaky\nseed: 3\nfaults: {reset: 1%}\n")
	f.Add("endpoints:\n  /health: {latency: {median: 5ms, p95: 20ms}}\n")
	f.Add("endpoints: {/v1/messages: {faults: null}}\n")
	f.Add("a: &x {b: 1}\nc: *x\n")
	f.Fuzz(func(t *testing.T, src string) {
		var cfg Config
		var err error
		parseBudget.Check(t, len(src), func() { cfg, err = ParseConfig("fuzz.yaml", []byte(src)) })
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseConfig returned an invalid config: %v", err)
		}
	})
}
