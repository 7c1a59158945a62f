// Package mock is loadplan's embedded AI service: a real HTTP peer that behaves like an
// LLM-backed microservice and like the Anthropic and OpenAI APIs, and knows exactly what it
// billed. `loadplan mock` runs it in the foreground; `target: mock://` runs it in-process.
//
//	cfg, _ := mock.Profile("flaky")        // or mock.LoadConfig("mock.yaml")
//	cfg.Seed, cfg.Model = 42, "claude-sonnet-4-5"
//	url, stop, err := mock.Start(ctx, cfg) // 127.0.0.1, a free port
//	defer stop()
//	// ... send load to url ...
//	s, err := mock.FetchLedger(ctx, http.DefaultClient, url) // what it billed
//
// For tests, mock.New(cfg) is an http.Handler (httptest.NewServer(s)) whose Ledger() can be
// read directly; Config.TimeScale 0 removes every delay.
//
// # Endpoints
//
//   - GET /health: {"status":"ok"}, bills nothing.
//   - POST /api/session: {"session_id": "<uuid>"}, any body, bills nothing.
//   - POST /api/chat/message, /api/dte/validate, /api/projects/match: any JSON body with a
//     "message" string ("session" and "max_tokens" optional; without "message": 400). They
//     answer {"reply": ...}, {"valid": true, ...} and {"matches": [...], ...}, each with an
//     Anthropic-shaped "usage" at the top level.
//   - POST /api/chat/stream: the same body; Anthropic's event stream (message_start,
//     content_block_start, ping, content_block_delta ×N, content_block_stop, message_delta,
//     message_stop).
//   - POST /v1/messages (Anthropic) and /v1/chat/completions (OpenAI), plain or with
//     "stream": true; the OpenAI stream carries its usage chunk only with
//     stream_options.include_usage. They honour the body's model (priced by it; a model the
//     catalog does not know gets 404 in the provider's error shape) and max_tokens
//     (max_completion_tokens for OpenAI).
//   - GET /metrics: Prometheus text, from the Prometheus Go client on a registry of the
//     server's own: claude_api_requests_total{endpoint,status},
//     claude_api_tokens_total{type="input"|"output"|"cache_read"|"cache_write"},
//     claude_api_cost_usd_total (a float sum of each bill's cost: the exact decimal figure is
//     the ledger's), claude_api_cache_hits_total,
//     claude_api_request_duration_seconds{endpoint}, claude_api_requests_in_flight,
//     circuit_breaker_open_total (the breaker_open fault's trips; exported at 0 from the
//     start), and the go_* and process_* metrics (process_cpu_seconds_total,
//     process_resident_memory_bytes, ...) of the client's Go and process collectors: those of
//     the process the mock runs in, loadplan's own for a mock:// target.
//   - GET /_mock/ledger: what it billed, schema loadplan.mockledger/v1 (see Snapshot).
//     POST /_mock/reset zeroes it, the histograms and the user counters.
//
// # Service tiers and long prompts
//
// The token endpoints serve a request at the service tier its body asks for ("service_tier":
// "priority", "flex", "batch"; "auto" or none: Config.ServiceTier; OpenAI's "default" and
// Anthropic's "standard_only": the standard tier), report it (Anthropic's
// usage.service_tier, in message_start's usage when not standard; OpenAI's service_tier, on
// every chunk of a stream when not "default") and bill it at that tier's prices; a tier the
// catalog has no price for is billed at the standard ones. The InputTokensHeader request
// header sets the prompt's own tokens, so that a test can make the mock report a prompt over
// 200k tokens (a prompt-size tier) from a small body; the ledger bills every token of it at
// the tier.
//
// # Tokens, time and reproducibility
//
// Endpoint documents the token model: a cacheable prefix that a request reads from the cache
// with probability cache_hit_rate and writes otherwise, input and output drawn from
// log-normals whose means after clipping are the configured ones (those of
// examples/ai-service.yaml in the default profile). One output token is one word of the
// reply. Latencies are log-normal from a median and a p95; a stream waits its time to first
// token, then spaces its deltas (8 to 16 tokens each) so that it lasts its latency.
//
// Each request draws from its own generator, seeded by Config.Seed, the user key (the
// X-Loadplan-User header, else the body's "session", else Anthropic's metadata.user_id or
// OpenAI's "user", else "" — and for /api/session the body's "message") and how many
// requests that key made before. So one user's
// sequence of requests gets the same answers (tokens, faults, latencies) under the same seed,
// whatever the other users do.
//
// # What the ledger bills
//
// The ledger, and the /metrics counters updated with it, record what the mock billed, priced
// by the pricing catalog per model:
//   - a complete answer: the usage it reported, also when its JSON was made invalid (the
//     tokens were generated) or its body was slow;
//   - a stream cut mid-way or ending in an error event: the input, plus the output of the
//     deltas sent before it stopped, reported or not;
//   - a stream or answer the client left: a stream its input and the deltas sent; a JSON
//     answer nothing when the client left before it was written (status 499);
//   - 5xx (a tripped circuit breaker's 503 too), 429, 529, a connection reset, a 400 or 404
//     before any output: nothing.
//
// # Load-dependent latency
//
// Config.Capacity (capacity: in a configuration file; the saturating profile has
// SaturatingCapacity) is how many requests the token endpoints serve at once. Past it a
// request waits in line for a free worker before its latency and time to first token begin,
// so both rise with the load: with constant latencies and arrivals the knee is exactly at
// Capacity / latency requests per second (none waits below it; above it the line grows by the
// excess each second), which is what loadplan sweep finds. A client that leaves while its
// request waits is recorded as 499 and billed nothing.
//
// Faults are drawn once per request, mutually exclusive, at their configured rates; the
// config-wide faults and the concurrency limit (Config.MaxInFlight: 429 at once past it)
// apply to the token endpoints, not to /health and /api/session. An invalid JSON body is the
// complete body without its last byte; a connection reset is a TCP RST before any byte (on
// HTTP/2, a stream reset); a cut stream is dropped between two events.
//
// Config.UsageFaults (or a request's X-Mock-Usage-Omit and X-Mock-Usage-Null headers) make
// answers report their usage in part: the members named are left out of every usage object,
// or written as null, while the ledger bills what was generated. A client's meter is tested
// with them: it must not charge less than the ledger for what the answer did not say.
package mock
