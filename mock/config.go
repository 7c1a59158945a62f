package mock

import (
	"errors"
	"fmt"
	suggestpkg "github.com/loadplan/loadplan/internal/suggest"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loadplan/loadplan/pricing"
)

// DefaultModel is the model that prices the service endpoints, and the provider endpoints
// when a body names none, unless Config.Model says otherwise.
const DefaultModel = "claude-sonnet-4-5"

// The endpoints the mock serves. Config.Endpoints is keyed by these paths.
const (
	PathHealth      = "/health"
	PathSession     = "/api/session"
	PathChatMessage = "/api/chat/message"
	PathChatStream  = "/api/chat/stream"
	PathDTEValidate = "/api/dte/validate"
	PathProjects    = "/api/projects/match"
	PathMessages    = "/v1/messages"         // Anthropic Messages API
	PathCompletions = "/v1/chat/completions" // OpenAI Chat Completions API
	PathMetrics     = "/metrics"
	PathLedger      = "/_mock/ledger"
	PathReset       = "/_mock/reset"
)

// Endpoints lists the paths that Config.Endpoints may configure, in a stable order.
func Endpoints() []string {
	return []string{PathHealth, PathSession, PathChatMessage, PathChatStream, PathDTEValidate,
		PathProjects, PathMessages, PathCompletions}
}

// UserHeader is the request header whose value keys a user's reproducible request sequence.
// Without it the mock uses the body's "session" (or, on the provider endpoints, Anthropic's
// metadata.user_id or OpenAI's "user"), else one shared sequence.
const UserHeader = "X-Loadplan-User"

// Config is a mock profile: how each endpoint behaves, which faults it injects, and where the
// server listens. Start from Profile or LoadConfig and change fields. In the zero Config every
// endpoint behaves as in the default profile but without delays (TimeScale 0).
type Config struct {
	// Profile is the name of the built-in profile this configuration started from.
	Profile string `yaml:"profile"`
	// Addr is the listen address; empty means 127.0.0.1 on a free port.
	Addr string `yaml:"addr"`
	// TLS serves HTTPS (and HTTP/2) with a self-signed certificate generated at start-up,
	// valid for 127.0.0.1, ::1 and localhost. Server.CertPool and Server.CertPEM expose it.
	TLS bool `yaml:"tls"`
	// Seed seeds every random draw; with the same seed a user's sequence of requests gets the
	// same answers.
	Seed uint64 `yaml:"seed"`
	// Model prices the service endpoints (the /api/ ones) and the provider endpoints whose
	// body names no model. Empty means DefaultModel.
	Model string `yaml:"model"`
	// TimeScale multiplies every delay (latency, time to first token, slow bodies,
	// Retry-After): 1 is real time, 0 answers at once. Tests use 0 or 0.001.
	TimeScale float64 `yaml:"time_scale"`
	// MaxInFlight is the concurrency limit of the token endpoints: a request arriving while
	// this many are being served gets 429 at once, billed nothing. 0 means no limit.
	MaxInFlight int `yaml:"max_in_flight"`
	// Capacity is how many requests the token endpoints serve at once, as a service with
	// that many workers: past it, a request waits in line for a free worker before its own
	// latency (and time to first token) begins, so both grow with the load. With constant
	// latencies the knee is at Capacity / latency requests per second: below it no request
	// waits, above it the line grows by the excess every second. A request whose client
	// leaves while it waits is billed nothing (499). 0 means no limit: every request is served
	// at once, whatever the load. MaxInFlight, when set too, counts the waiting requests.
	Capacity int `yaml:"capacity"`
	// RateLimit limits the provider endpoints (/v1/messages, /v1/chat/completions) per
	// minute and makes them send rate-limit headers (see RateLimit); nil: no limit, no
	// header.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// Faults apply to every token endpoint (all but /health and /api/session) whose own
	// Faults are nil.
	Faults Faults `yaml:"faults"`
	// UsageFaults leave members out of the usage the token endpoints report, or write them
	// as null (a request's X-Mock-Usage-Omit and X-Mock-Usage-Null headers replace them).
	UsageFaults UsageFaults `yaml:"usage_faults"`
	// Endpoints configures the endpoints by path (see Endpoints); a path that is not here
	// behaves as in the default profile.
	Endpoints map[string]Endpoint `yaml:"endpoints"`
	// ServiceTier is the service tier the token endpoints report they served a request at,
	// and bill it at, when its body names none (a body's "service_tier" is echoed; see the
	// package documentation): "" or "standard" (Anthropic's "standard", OpenAI's "default"),
	// "priority", "flex", "batch" or "scale".
	ServiceTier string `yaml:"service_tier"`
	// Prices prices what the mock bills; nil means pricing.Default(). The run command passes
	// the catalog it estimates with, so that the ledger and the estimate agree. A model it
	// does not know gets 404 on the provider endpoints.
	Prices *pricing.Catalog `yaml:"-"`
}

// Latency is a log-normal duration given by its median and 95th percentile. A zero P95 means
// the median, always.
type Latency struct {
	Median time.Duration `yaml:"median"`
	P95    time.Duration `yaml:"p95"`
}

// Scale returns the latency with both quantiles multiplied by f.
func (l Latency) Scale(f float64) Latency {
	return Latency{Median: time.Duration(float64(l.Median) * f), P95: time.Duration(float64(l.P95) * f)}
}

// Mean is the mean of the distribution: median·exp(σ²/2), σ = ln(p95/median)/1.6449.
func (l Latency) Mean() time.Duration {
	s := l.sigma()
	return time.Duration(float64(l.Median) * math.Exp(s*s/2))
}

// z95 is the 95th percentile of the standard normal distribution.
const z95 = 1.6448536269514722

func (l Latency) sigma() float64 {
	if l.P95 <= l.Median || l.Median <= 0 {
		return 0
	}
	return math.Log(float64(l.P95)/float64(l.Median)) / z95
}

// Endpoint is how one endpoint answers: latency, and the tokens it bills.
//
// The token model is DESIGN.md's: a prompt of InputTokens tokens on average, whose first
// CacheableTokens are a cacheable prefix. On the service endpoints the prompt is the prefix
// plus a log-normal rest (mean InputTokens-CacheableTokens, coefficient of variation InputCV)
// clipped so the total stays within MaxInputTokens. On the provider endpoints the prompt is
// the prefix (a system prompt the mock pretends to add) plus the request's own text at one
// token per 4 characters; InputTokens is unused and a prompt over MaxInputTokens gets 400.
// Each request hits the cache with probability CacheHitRate: the prefix is read
// (cache_read_input_tokens); else it is written (cache_creation_input_tokens), to the 1-hour
// cache with probability CacheWrite1hShare. The rest is plain input. Output is log-normal with
// mean OutputTokens and coefficient of variation OutputCV, clipped to MaxOutputTokens and to
// the body's max_tokens; the distribution is shifted so that the mean after clipping is
// OutputTokens (or the clip, when that is lower).
type Endpoint struct {
	// Latency is the whole response's duration, to its last byte (a stream's too).
	Latency Latency `yaml:"latency"`
	// TTFT is a stream's time to its first content delta.
	TTFT              Latency `yaml:"ttft"`
	InputTokens       int64   `yaml:"input_tokens"`
	CacheableTokens   int64   `yaml:"cacheable_tokens"`
	CacheHitRate      float64 `yaml:"cache_hit_rate"`
	CacheWrite1hShare float64 `yaml:"cache_write_1h_share"`
	MaxInputTokens    int64   `yaml:"max_input_tokens"`
	InputCV           float64 `yaml:"input_cv"`
	OutputTokens      int64   `yaml:"output_tokens"`
	OutputCV          float64 `yaml:"output_cv"`
	MaxOutputTokens   int64   `yaml:"max_output_tokens"`
	// Faults replace the Config's faults for this endpoint when not nil.
	Faults *Faults `yaml:"faults"`
}

// Faults are injected failures, each with its probability per request (0.01 is 1 %). They
// exclude each other: one draw per request picks at most one, so the rates must add up to at
// most 1. What each bills is in the package documentation.
type Faults struct {
	Status500   float64 `yaml:"status_500"`   // 500 api_error, before any output
	Status502   float64 `yaml:"status_502"`   // 502, before any output
	Status503   float64 `yaml:"status_503"`   // 503, before any output
	RateLimited float64 `yaml:"rate_limited"` // 429 with Retry-After and rate-limit headers
	Overloaded  float64 `yaml:"overloaded"`   // 529 overloaded_error (503 on the OpenAI endpoint)
	SlowBody    float64 `yaml:"slow_body"`    // SlowBodyDelay more in the middle of the body
	StreamCut   float64 `yaml:"stream_cut"`   // a stream's connection dropped after some deltas
	StreamError float64 `yaml:"stream_error"` // a stream ending in an error event after some deltas
	Reset       float64 `yaml:"reset"`        // connection reset before any output
	InvalidJSON float64 `yaml:"invalid_json"` // a JSON body missing its last byte
	// BreakerOpen trips the service's circuit breaker in front of its upstream: 503 before
	// any output, and circuit_breaker_open_total counts one more opening.
	BreakerOpen float64 `yaml:"breaker_open"`
	// SlowBodyDelay is the extra delay of a slow body; 0 means DefaultSlowBodyDelay.
	SlowBodyDelay time.Duration `yaml:"slow_body_delay"`
	// RetryAfter is what a 429 asks the client to wait; 0 means DefaultRetryAfter.
	RetryAfter time.Duration `yaml:"retry_after"`
}

// Defaults of Faults' durations.
const (
	DefaultSlowBodyDelay = 2 * time.Second
	DefaultRetryAfter    = 1 * time.Second
)

// rates are the fault rates in the order of the fault constants.
func (f *Faults) rates() [11]float64 {
	return [11]float64{f.Status500, f.Status502, f.Status503, f.RateLimited, f.Overloaded,
		f.SlowBody, f.StreamCut, f.StreamError, f.Reset, f.InvalidJSON, f.BreakerOpen}
}

// Profiles lists the names of the built-in profiles.
func Profiles() []string {
	return []string{"default", "flaky", "rate-limited", "slow", "breaker", "saturating"}
}

// SaturatingCapacity is the saturating profile's Capacity: with the default profile's
// latencies (/api/chat/message: a mean of about 2 s), its knee is near 4 requests/s.
const SaturatingCapacity = 8

// Profile returns a built-in profile ("" is "default"):
//   - default: fault-free; the distributions that examples/ai-service.yaml's expect values
//     describe, so that a run of the example on the mock checks the estimator.
//   - flaky: default plus a few percent of every fault.
//   - rate-limited: default with at most 4 requests in flight and 5 % of 429s.
//   - slow: default with every latency ×5 and 10 % of slow bodies.
//   - breaker: default with 2 % of requests tripping the circuit breaker (503, and
//     circuit_breaker_open_total counts them; 0 in the other profiles).
//   - saturating: default with a Capacity of SaturatingCapacity requests served at once:
//     latencies and times to first token rise with the load past the capacity (a knee for
//     loadplan sweep to find).
func Profile(name string) (Config, error) {
	if name == "" {
		name = "default"
	}
	cfg := Config{Profile: name, Model: DefaultModel, TimeScale: 1, Endpoints: defaultEndpoints()}
	switch name {
	case "default":
	case "flaky":
		cfg.Faults = Faults{Status500: 0.01, Status502: 0.005, Status503: 0.005, RateLimited: 0.02,
			Overloaded: 0.01, SlowBody: 0.02, StreamCut: 0.02, StreamError: 0.01, Reset: 0.01,
			InvalidJSON: 0.01}
		for p, e := range cfg.Endpoints {
			e.CacheWrite1hShare = 0.2
			cfg.Endpoints[p] = e
		}
	case "rate-limited":
		cfg.MaxInFlight = 4
		cfg.Faults = Faults{RateLimited: 0.05, RetryAfter: 2 * time.Second}
	case "breaker":
		cfg.Faults = Faults{BreakerOpen: 0.02}
	case "saturating":
		cfg.Capacity = SaturatingCapacity
	case "slow":
		cfg.Faults = Faults{SlowBody: 0.10, SlowBodyDelay: 5 * time.Second}
		for p, e := range cfg.Endpoints {
			e.Latency = e.Latency.Scale(5)
			e.TTFT = e.TTFT.Scale(5)
			cfg.Endpoints[p] = e
		}
	default:
		return Config{}, fmt.Errorf("unknown mock profile %q (valid: %s)", name, strings.Join(Profiles(), ", "))
	}
	return cfg, nil
}

// defaultEndpoints are the default profile's endpoints. The service endpoints' figures are the
// expect values of examples/ai-service.yaml (a test holds the two in step).
func defaultEndpoints() map[string]Endpoint {
	ms := time.Millisecond
	return map[string]Endpoint{
		PathHealth:  {Latency: Latency{Median: 5 * ms, P95: 20 * ms}},
		PathSession: {Latency: Latency{Median: 20 * ms, P95: 60 * ms}},
		PathChatMessage: {Latency: Latency{Median: 1800 * ms, P95: 4000 * ms},
			InputTokens: 1200, CacheableTokens: 1000, CacheHitRate: 0.70, MaxInputTokens: 4000,
			InputCV: 0.5, OutputTokens: 300, OutputCV: 0.25, MaxOutputTokens: 4096},
		PathChatStream: {Latency: Latency{Median: 2500 * ms, P95: 4500 * ms},
			TTFT:        Latency{Median: 600 * ms, P95: 1500 * ms},
			InputTokens: 1500, CacheableTokens: 1000, CacheHitRate: 0.70, MaxInputTokens: 4000,
			InputCV: 0.5, OutputTokens: 400, OutputCV: 0.25, MaxOutputTokens: 4096},
		PathDTEValidate: {Latency: Latency{Median: 1200 * ms, P95: 2500 * ms},
			InputTokens: 2500, CacheableTokens: 2000, CacheHitRate: 0.80, MaxInputTokens: 6000,
			InputCV: 0.5, OutputTokens: 200, OutputCV: 0.25, MaxOutputTokens: 4096},
		PathProjects: {Latency: Latency{Median: 1500 * ms, P95: 3000 * ms},
			InputTokens: 3000, CacheableTokens: 2500, CacheHitRate: 0.60, MaxInputTokens: 8000,
			InputCV: 0.5, OutputTokens: 500, OutputCV: 0.25, MaxOutputTokens: 4096},
		PathMessages: {Latency: Latency{Median: 2000 * ms, P95: 5000 * ms},
			TTFT:            Latency{Median: 500 * ms, P95: 1200 * ms},
			CacheableTokens: 1000, CacheHitRate: 0.70, MaxInputTokens: 200000,
			OutputTokens: 300, OutputCV: 0.5, MaxOutputTokens: 8192},
		PathCompletions: {Latency: Latency{Median: 2000 * ms, P95: 5000 * ms},
			TTFT:            Latency{Median: 400 * ms, P95: 1000 * ms},
			CacheableTokens: 1024, CacheHitRate: 0.70, MaxInputTokens: 128000,
			OutputTokens: 300, OutputCV: 0.5, MaxOutputTokens: 16384},
	}
}

// fieldError is a problem with one field of a Config, named by its path
// ("endpoints./api/chat/message.latency.p95").
type fieldError struct {
	path, msg string
}

func (e fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// Validate reports every problem of the configuration, joined.
func (c Config) Validate() error {
	errs := c.validate()
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

func (c Config) validate() []fieldError {
	var errs []fieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, fieldError{path, fmt.Sprintf(format, args...)})
	}
	if c.TimeScale < 0 || math.IsNaN(c.TimeScale) || math.IsInf(c.TimeScale, 0) {
		add("time_scale", "must be 0 or more, not %v", c.TimeScale)
	}
	if c.MaxInFlight < 0 {
		add("max_in_flight", "must be 0 (no limit) or more, not %d", c.MaxInFlight)
	}
	if c.Capacity < 0 {
		add("capacity", "must be 0 (no limit) or more requests served at once, not %d", c.Capacity)
	}
	if !validTier(c.ServiceTier) {
		add("service_tier", "%q is not a service tier; valid: %s", c.ServiceTier, strings.Join(serviceTierNames, ", "))
	}
	if c.RateLimit != nil {
		errs = append(errs, c.RateLimit.validate("rate_limit")...)
	}
	errs = append(errs, c.Faults.validate("faults")...)
	errs = append(errs, c.UsageFaults.validate("usage_faults")...)
	known := Endpoints()
	for _, p := range slices.Sorted(maps.Keys(c.Endpoints)) {
		path := "endpoints." + p
		if !slices.Contains(known, p) {
			add(path, "unknown endpoint%s", suggestField(p, known))
			continue
		}
		errs = append(errs, c.Endpoints[p].validate(path, p)...)
	}
	return errs
}

func (f Faults) validate(path string) []fieldError {
	var errs []fieldError
	names := []string{"status_500", "status_502", "status_503", "rate_limited", "overloaded",
		"slow_body", "stream_cut", "stream_error", "reset", "invalid_json", "breaker_open"}
	sum := 0.0
	for i, r := range f.rates() {
		if !(r >= 0 && r <= 1) {
			errs = append(errs, fieldError{path + "." + names[i], fmt.Sprintf("a rate is between 0 and 1 (0%%..100%%), not %v", r)})
			continue
		}
		sum += r
	}
	if sum > 1+1e-9 {
		errs = append(errs, fieldError{path, fmt.Sprintf("the fault rates add up to %.4g, more than 1", sum)})
	}
	if f.SlowBodyDelay < 0 {
		errs = append(errs, fieldError{path + ".slow_body_delay", "must not be negative"})
	}
	if f.RetryAfter < 0 {
		errs = append(errs, fieldError{path + ".retry_after", "must not be negative"})
	}
	return errs
}

func (e Endpoint) validate(path, endpoint string) []fieldError {
	var errs []fieldError
	add := func(field, format string, args ...any) {
		p := path
		if field != "" {
			p += "." + field
		}
		errs = append(errs, fieldError{p, fmt.Sprintf(format, args...)})
	}
	for _, l := range []struct {
		name string
		l    Latency
	}{{"latency", e.Latency}, {"ttft", e.TTFT}} {
		switch {
		case l.l.Median < 0:
			add(l.name+".median", "must not be negative")
		case l.l.P95 != 0 && l.l.P95 < l.l.Median:
			add(l.name+".p95", "%v is below the median %v", l.l.P95, l.l.Median)
		}
	}
	if e.TTFT.Median > 0 && e.Latency.Median > 0 && e.TTFT.Median > e.Latency.Median {
		add("ttft.median", "%v is above the latency's median %v", e.TTFT.Median, e.Latency.Median)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"input_tokens", e.InputTokens}, {"cacheable_tokens", e.CacheableTokens},
		{"max_input_tokens", e.MaxInputTokens}, {"output_tokens", e.OutputTokens},
		{"max_output_tokens", e.MaxOutputTokens}} {
		if n.v < 0 {
			add(n.name, "must not be negative, not %d", n.v)
		}
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"cache_hit_rate", e.CacheHitRate}, {"cache_write_1h_share", e.CacheWrite1hShare}} {
		if !(r.v >= 0 && r.v <= 1) {
			add(r.name, "must be between 0 and 1 (0%%..100%%), not %v", r.v)
		}
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"input_cv", e.InputCV}, {"output_cv", e.OutputCV}} {
		if !(r.v >= 0 && r.v <= 4) {
			add(r.name, "must be between 0 and 4, not %v", r.v)
		}
	}
	provider := endpoint == PathMessages || endpoint == PathCompletions
	if !provider && e.CacheableTokens > e.InputTokens {
		add("cacheable_tokens", "%d is more than input_tokens %d", e.CacheableTokens, e.InputTokens)
	}
	if e.MaxInputTokens > 0 {
		if !provider && e.InputTokens > e.MaxInputTokens {
			add("input_tokens", "%d is more than max_input_tokens %d", e.InputTokens, e.MaxInputTokens)
		}
		if provider && e.CacheableTokens > e.MaxInputTokens {
			add("cacheable_tokens", "%d is more than max_input_tokens %d", e.CacheableTokens, e.MaxInputTokens)
		}
	}
	if e.MaxOutputTokens > 0 && e.OutputTokens > e.MaxOutputTokens {
		add("output_tokens", "%d is more than max_output_tokens %d", e.OutputTokens, e.MaxOutputTokens)
	}
	if e.Faults != nil {
		errs = append(errs, e.Faults.validate(path+".faults")...)
	}
	return errs
}

// suggest returns `, did you mean "X"?` for the candidate closest to s, or "" when none is close.
func suggest(s string, candidates []string) string {
	best := suggestpkg.Closest(s, candidates)
	if len(best) == 0 {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best[0])
}
