package plan

import (
	"time"

	"github.com/shopspring/decimal"
)

// Version is the plan format version this package reads.
const Version = 1

// pos is a place in the plan file.
type pos struct {
	Line, Column int
}

// Pos is where a value was written: line and column, 1-based.
type Pos = pos

// Plan is a validated plan file. Every field has been checked; positions are kept where a
// later stage (the planner, the executor) may need to point back at the file.
type Plan struct {
	File         string // the path it was loaded from
	Dir          string // the directory that relative paths in the plan are relative to
	Version      int
	Name         string
	Seed         *uint64 // nil: not given
	Target       string  // base URL, or mock:// with an optional ?profile=NAME or ?config=FILE
	AllowedHosts []string
	Headers      []Header
	Model        string           // plan-wide model from pricing.model, or its inline prices' ID ("" if none)
	ModelPos     Pos              // where pricing.model's value was written
	Prices       []InlinePrice    // prices written in the plan (pricing: {input: 3, ...}, model: {...})
	Budget       *decimal.Decimal // USD; nil: none at plan level
	RateLimit    RateLimit
	Defaults     Defaults
	Wait         Wait
	Data         []*DataFile
	OnStart      []*Step
	Tasks        []*Task
	Scenarios    []*Scenario
	Thresholds   []Threshold // plan scope
	SLO          SLO         // plan scope (slo:); zero: none
	// Warnings are what is valid but most likely not meant (a usage source that cannot
	// report a bucket the plan expects), located as errors are. The plan loads with them.
	Warnings Errors
	// Secrets are the values taken from the environment (${VAR}), masked in every message.
	Secrets  []Secret
	Monitors []*Monitor // Prometheus endpoints scraped during a run (monitor.go)
}

// Header is one request header (or query parameter). Values may hold secrets: never print
// them.
type Header struct {
	Name, Value string
	// Secret: a credential header (CredentialHeader), or a value that holds one taken from
	// the environment. A secret header is not sent on a redirect to another origin, and its
	// fixed value is masked in what is written (Redactor).
	Secret bool
}

// RateLimit is a provider's limits, given in the plan: the planner warns when a scenario
// would exceed them and the executor obeys them. Zero means not given.
type RateLimit struct {
	RPM int64 // requests per minute
	TPM int64 // tokens per minute (input of every kind plus output)
	// ITPM and OTPM are input and output tokens per minute, which Anthropic limits
	// separately. ITPM counts uncached input and cache writes, and cache reads only when
	// CacheReadsCount: on Anthropic's current models cache reads do not count toward the
	// input limit (https://docs.anthropic.com/en/api/rate-limits); on older ones they do.
	ITPM, OTPM      int64
	CacheReadsCount bool
}

// Any reports whether the plan gives any limit.
func (r RateLimit) Any() bool { return r.RPM > 0 || r.TPM > 0 || r.ITPM > 0 || r.OTPM > 0 }

// Defaults apply to every request that does not say otherwise.
type Defaults struct {
	Cost    *CostRule
	Timeout time.Duration // per request; 0: the executor's default
}

// WaitKind says how a user waits between two task iterations.
type WaitKind int

const (
	WaitNone     WaitKind = iota // start the next iteration at once
	WaitConstant                 // wait Min
	WaitBetween                  // wait uniformly in [Min, Max]
	WaitPacing                   // start an iteration every Min, whatever it took
)

// Wait is a user's wait between task iterations.
type Wait struct {
	Kind     WaitKind
	Min, Max time.Duration
	Set      bool // given in the file (a scenario's wait overrides the plan's only when set)
}

// Mean is the expected wait (for pacing: the period).
func (w Wait) Mean() time.Duration {
	if w.Kind == WaitBetween {
		return (w.Min + w.Max) / 2
	}
	return w.Min
}

// Variance is the variance of the wait, in seconds² (uniform for between, else 0).
func (w Wait) Variance() float64 {
	if w.Kind != WaitBetween {
		return 0
	}
	d := (w.Max - w.Min).Seconds()
	return d * d / 12
}

// DataFile is a file of rows that requests draw from at random ({{data.NAME.FIELD}}).
type DataFile struct {
	Name   string
	Path   string // as resolved against the plan's directory
	Fields []string
	Rows   []map[string]string
	Pos    Pos

	// Written is the path as the plan gives it (after ${VAR} expansion): relative to the
	// plan's directory, or absolute.
	Written string
}

// Task is something a user does: one request, or a sequence of steps run in order with
// captured values flowing between them.
type Task struct {
	Name       string
	Weight     int
	Steps      []*Step
	Sequence   bool // declared with steps:, even with one step
	Thresholds []Threshold
	SLO        SLO // the task's own slo:, overriding the scenario's key by key (SLOFor)
	Pos        Pos
}

// Step is one request with everything about it: how it is sent, checked, retried, priced and
// what it is expected to use.
type Step struct {
	Name    string // statistics row: the task name, TASK.STEP, or on_start.NAME
	Request Request
	Capture []Capture
	Cost    CostRule
	Expect  Expect
	Check   Check
	Retry   Retry
	Pos     Pos
	// Assumed are the values deciding its cost that the plan does not write (defaults).
	Assumed []Assumed
}

// Request is an HTTP request; strings may hold {{...}} templates.
type Request struct {
	Method  string
	Path    string // relative to the target; may be an absolute URL to an allowed host
	Query   []Header
	Headers []Header
	JSON    any    // a YAML value sent as JSON; nil when none
	Body    string // a raw body, when JSON is nil
	Stream  bool   // the response is an SSE stream
	Timeout time.Duration
	// NoFollow: follow_redirects: false, a 3xx is the response. Redirects are followed by
	// default (10 at most, to allowed hosts only, without the secret headers to another
	// origin, never with a Referer).
	NoFollow bool
	Pos      Pos
	// MaxTokens is the literal max_tokens (or max_completion_tokens) of the JSON body, the
	// request's output bound; 0 when the body does not give one. MaxTokensPos is where.
	MaxTokens    int64
	MaxTokensPos Pos
}

// Capture takes a value from a JSON response into {{vars.NAME}}.
type Capture struct {
	Name string
	Path string // a JSONPath ($.session_id)
}

// CostKind is how a request is priced. Every request has exactly one.
type CostKind int

const (
	CostUnset CostKind = iota // not priced: a plan error, an unknown cost is never zero
	CostUsage                 // read the usage the response reports, priced at Model
	CostFlat                  // a flat price per request
	CostFree                  // costs nothing
)

// CostRule says how a request is priced.
type CostRule struct {
	Kind  CostKind
	Usage UsageSource     // for CostUsage
	Model string          // for CostUsage: the task's model or the plan's, or an InlinePrice's ID
	Price decimal.Decimal // for CostFlat: USD per request
	Pos   Pos
	// ModelPos and ModelField are where the model was named (pricing.model, or a task's
	// model:), for CostUsage: an unknown model is reported there, not at usage:.
	ModelPos   Pos
	ModelField string
	// Bad: for CostUnset, a cost key was written with a wrong value, already reported.
	Bad bool
}

// UsageKind names where usage is read from.
type UsageKind string

const (
	UsageAnthropic  UsageKind = "anthropic"
	UsageOpenAI     UsageKind = "openai"
	UsageJSON       UsageKind = "json"
	UsageHeaders    UsageKind = "headers"
	UsagePrometheus UsageKind = "prometheus"
)

// UsageSource is the plan's usage: value. Fields map a canonical bucket (input, output,
// cache_read, cache_write, cache_write_1h, and for prometheus cost_usd) to a JSONPath, a header
// name or a Prometheus selector.
type UsageSource struct {
	Kind   UsageKind
	Fields map[string]string
	Path   string // prometheus: the metrics path on the target (default /metrics)
}

// Expect is what a request is expected to use: the estimator's inputs and the meter's bounds.
// Token counts are per request; zero means not given unless the Has flag says otherwise. The
// expected counts are means, so they may be fractional (input_tokens: 1399.5); the bounds
// are whole numbers of tokens.
type Expect struct {
	InputTokens     decimal.Decimal // all input tokens of the prompt, cached or not (a mean)
	CacheableTokens decimal.Decimal // the cacheable prefix of the prompt (a mean)
	CacheHitRate    decimal.Decimal // share of requests whose prefix is read from the cache
	CacheWrite1h    decimal.Decimal // share of cache writes made at the 1-hour rate
	OutputTokens    decimal.Decimal // a mean
	MaxInputTokens  int64           // default 2 × InputTokens, rounded up
	MaxOutputTokens int64           // default: the request's max_tokens
	Latency         Dist
	TTFT            Dist
	HasTokens       bool // input_tokens or output_tokens given
	Pos             Pos
	// MaxInputFrom and MaxOutputFrom say where the two bounds came from: the plan's line, or
	// the default that supplied them (an overrun names it).
	MaxInputFrom, MaxOutputFrom Origin
	// CacheableFrom is where cacheable_tokens is written (zero: not written, 0 tokens).
	CacheableFrom Origin
}

// InputBound is the most input tokens (cached or not) the request may send:
// max_input_tokens, by default 2 × input_tokens (DESIGN.md, "Estimation").
func (e Expect) InputBound() int64 {
	if e.MaxInputTokens > 0 {
		return e.MaxInputTokens
	}
	return e.InputTokens.Mul(decimal.NewFromInt(2)).Ceil().IntPart() // a mean may be fractional: rounded up
}

// Dist is a latency distribution given by its median and 95th percentile (log-normal).
type Dist struct {
	Median, P95 time.Duration
}

// Check says what counts as success. Empty: any 2xx.
type Check struct {
	Status   []int
	JSON     []JSONCheck
	Contains string // the body must contain this text
}

// JSONCheck tests one JSONPath of the response body.
type JSONCheck struct {
	Path   string
	Op     string // "exists", "absent", "equals"
	Equals string // for "equals": the value's text
}

// Retry retries a request on some statuses, honouring Retry-After. Every attempt is metered.
type Retry struct {
	On      []int
	Max     int
	Backoff time.Duration // first backoff when no Retry-After (doubles per attempt)
}

// Scenario is one load shape: closed (users with a spawn rate, or stages) or open (an
// arrival rate).
type Scenario struct {
	Name        string
	Users       int
	SpawnRate   float64 // users started per second; 0: all at once
	Duration    time.Duration
	Stages      []Stage
	ArrivalRate Rate // open model: task iterations started per second; zero: closed model
	MaxInFlight int
	Wait        Wait             // effective: the scenario's, else the plan's
	Budget      *decimal.Decimal // effective: the scenario's, else the plan's; nil: none
	Thresholds  []Threshold      // effective: the plan's, overridden key by key by the scenario's
	SLO         SLO              // effective: the plan's, overridden key by key by the scenario's
	Pos         Pos
	// Assumed are the values deciding its cost that the plan does not write (defaults).
	Assumed []Assumed
}

// Stage is one linear ramp of a closed scenario: from the previous stage's users to Users
// over Duration.
type Stage struct {
	Duration time.Duration
	Users    int
}

// Open reports whether the scenario is an open (arrival-rate) model.
func (s *Scenario) Open() bool { return s.ArrivalRate.PerSecond > 0 }

// TotalDuration is the scenario's length: its duration, or the sum of its stages.
func (s *Scenario) TotalDuration() time.Duration {
	if len(s.Stages) == 0 {
		return s.Duration
	}
	var d time.Duration
	for _, st := range s.Stages {
		d += st.Duration
	}
	return d
}

// MaxUsers is the most users the scenario runs at once.
func (s *Scenario) MaxUsers() int {
	if len(s.Stages) == 0 {
		return s.Users
	}
	m := 0
	for _, st := range s.Stages {
		m = max(m, st.Users)
	}
	return m
}

// Rate is a rate as written ("30/s", "3/min"), kept with its text.
type Rate struct {
	PerSecond float64
	Text      string
}

// ThresholdKind names a threshold.
type ThresholdKind string

// Threshold kinds (DESIGN.md).
const (
	ThP50            ThresholdKind = "p50"
	ThP90            ThresholdKind = "p90"
	ThP95            ThresholdKind = "p95"
	ThP99            ThresholdKind = "p99"
	ThTTFTP50        ThresholdKind = "ttft_p50"
	ThTTFTP95        ThresholdKind = "ttft_p95"
	ThFailureRate    ThresholdKind = "failure_rate"
	ThRPS            ThresholdKind = "rps"
	ThCacheHitRate   ThresholdKind = "cache_hit_rate"
	ThCostPerRequest ThresholdKind = "cost_per_request"
	ThTotalCost      ThresholdKind = "total_cost"
	// The goodput kinds (issue 16): a floor on the share of requests good, a floor on good
	// requests per second, a ceiling on the cost of 1,000 good requests, a ceiling on the
	// share of the cost that was wasted.
	ThSLOAttainment   ThresholdKind = "slo_attainment"
	ThGoodput         ThresholdKind = "goodput"
	ThCostPer1kGood   ThresholdKind = "cost_per_1k_good"
	ThWastedCostShare ThresholdKind = "wasted_cost_share"
)

// ThresholdKinds lists every valid threshold key.
var ThresholdKinds = []ThresholdKind{ThP50, ThP90, ThP95, ThP99, ThTTFTP50, ThTTFTP95,
	ThFailureRate, ThRPS, ThCacheHitRate, ThCostPerRequest, ThTotalCost,
	ThSLOAttainment, ThGoodput, ThCostPer1kGood, ThWastedCostShare}

// Threshold is a pass/fail limit. Latency kinds use Duration; failure and cache-hit rates use
// Ratio (0..1); rps uses Ratio as requests per second; cost kinds use Money.
type Threshold struct {
	Kind        ThresholdKind
	Scope       string // "plan", "scenario" or "task:NAME"
	Duration    time.Duration
	Ratio       float64
	Money       decimal.Decimal
	Text        string // the limit as written, in the plan's units ("5s", "1%", "30/s", "0.01")
	AbortOnFail bool
	Pos         Pos
	Monitor     *MonitorLimit // the monitor kinds' limit (monitor.go); nil for the others
}

// Lower reports whether the limit is a floor (rps, cache hit rate, slo_attainment, goodput) rather than a ceiling.
func (t Threshold) Lower() bool {
	return t.Kind == ThRPS || t.Kind == ThCacheHitRate || t.Kind == ThSLOAttainment || t.Kind == ThGoodput
}

// Scenario returns the named scenario, or nil.
func (p *Plan) Scenario(name string) *Scenario {
	for _, s := range p.Scenarios {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ScenarioNames lists the scenarios in file order.
func (p *Plan) ScenarioNames() []string {
	names := make([]string, len(p.Scenarios))
	for i, s := range p.Scenarios {
		names[i] = s.Name
	}
	return names
}

// TotalWeight is the sum of the tasks' weights.
func (p *Plan) TotalWeight() int {
	n := 0
	for _, t := range p.Tasks {
		n += t.Weight
	}
	return n
}
