// Package pricing holds model prices and the arithmetic of money.
//
// Money is a decimal.Decimal (github.com/shopspring/decimal) from the text it is parsed from to
// the text it is printed as: prices are read from YAML scalars and JSON number text, never
// through a float; costs are exact (tokens times price per million, added up, then shifted six
// places); FormatUSD rounds, for display only. A price that does not parse is an error, never
// $0, and a model the catalog does not know is an error (ErrUnknownModel), never free.
//
//	cat := pricing.Default() // or Default().Merge(file) for --prices FILE, or the file alone
//	cost, err := cat.Cost(pricing.Usage{Input: 295, CacheRead: 1800, Output: 143}, "claude-sonnet-4-5-20250929")
//	// cost is 0.00357 (USD), exactly; pricing.FormatUSD(cost) is "$0.0036"
//
// # Prices that depend on the request
//
// Some models bill a request whose prompt (uncached input, cache reads and cache writes
// together) exceeds a threshold at higher rates for all its tokens, output included: a
// prompt-size tier (Price.Above). And a provider may serve a request at another service
// tier than the standard one (priority, flex, batch), priced differently: the response says
// which (Anthropic's usage.service_tier, OpenAI's service_tier), and Usage.ServiceTier
// carries it. Price.Cost bills usage at the rates of its service tier and prompt size
// (Price.RatesFor); a service tier the model has no price for is an *UnpricedTierError,
// never the standard rate (the meter charges such a response its reservation, flagged
// estimated). Price.WorstCost prices a request's worst usage at the dearest rates it may
// be billed at (Price.MaxRates): every tier it may be served at, and every prompt-size tier
// its largest prompt may reach. It is what a request reserves.
//
// # Looking a model up
//
// Catalog.Lookup finds the entry whose id equals the name, else the one with that alias, else
// the entry whose id or alias is the longest prefix of the name followed only by a snapshot
// suffix: a date (-20250929, -2024-08-06, @20250929), -latest, or a version (-v1, -v1:0). So
// claude-sonnet-4-5-20250929 is claude-sonnet-4-5 and gpt-4o-2024-08-06 is gpt-4o, but
// gpt-5-pro is not gpt-5: a name that merely starts like a cheaper model is unknown.
//
// # The catalog format
//
// The embedded catalog (catalog.yaml, see Default) and the files given with --prices use this
// YAML format; prices are USD per million tokens:
//
//	as_of: 2026-11-27                  # the date the prices hold for (YYYY-MM-DD)
//	source: pydantic/genai-prices ...  # where they come from
//	models:
//	  - {id: claude-sonnet-4-0, provider: anthropic, aliases: [claude-sonnet-4],
//	     input: 3, cache_write_5m: 3.75, cache_write_1h: 6, cache_read: 0.30, output: 15}
//	  - {id: claude-haiku-4-5, provider: anthropic, input: 1, output: 5}    # cache prices by rule
//	  - {id: gpt-4o, provider: openai, checked: 2025-07-04, input: 2.50, cache_read: 1.25, output: 10}
//
// Fields of a model: id (required: the name Lookup matches; no spaces), provider (required;
// anthropic, openai or any other name, lowercased), aliases (other names matched exactly),
// checked (when the price was last checked, YYYY-MM-DD), the prices input and output
// (required), cache_write_5m, cache_write_1h and cache_read, and the tiers above and
// service_tiers. A price is a non-negative number, written 3, 0.30, "3.00", $3 or 3e-06. An
// id or alias may name one model only.
//
// Tiers: above is a list of prompt-size tiers, each a threshold (tokens: a positive whole
// number, 200000, 200_000, 200k or 1m) and the prices of a request whose prompt has more
// tokens than that; service_tiers maps priority, flex, batch or scale to that tier's prices,
// which may have their own above list:
//
//	models:
//	  - id: claude-sonnet-4-5
//	    provider: anthropic
//	    input: 3
//	    output: 15
//	    above: [{tokens: 200k, input: 6, output: 22.50}]     # cache prices: 7.50, 12, 0.60
//	    service_tiers:
//	      priority: {input: 6, output: 30}
//
// A tier needs input and output; a cache price it leaves out is the base's (the model's
// prices, for a service tier or the model's above list; the service tier's, for its above
// list) times the tier's input price over the base's: a tier whose input costs twice as much
// has cache prices twice as dear, as Anthropic's rule has them. A service tier without an
// above entry for a threshold of the model's gets one: its prices scaled bucket by bucket as
// the model's are above that threshold (priority above 200k = priority × above-200k ÷
// standard), so that no request above a threshold is billed at prices below it. A derived
// price that does not divide evenly is rounded up, at 16 decimal places.
//
// The cache prices left out default by provider:
//
//   - anthropic: cache_write_5m = 1.25 × input, cache_write_1h = 2 × input, cache_read =
//     0.1 × input (Anthropic's published rule; write a figure that differs, as for
//     claude-3-haiku, out in full);
//   - openai: cache_read is required (it is OpenAI's "cached input" price); cache_write_5m =
//     input, cache_write_1h = cache_write_5m (OpenAI caches without a write surcharge);
//   - any other provider: cache_read = input (no discount known), cache_write_5m = input,
//     cache_write_1h = cache_write_5m.
//
// as_of and source may be left out: Load then takes the file's modification date and its path.
// Catalog.Merge adds one catalog's prices to another's (--prices FILE: the file's rows win);
// Catalog.Age and StaleAfter say when a catalog is old enough to warn about. NewPrice builds
// the price of a model written inline in a plan.
// Decoding is strict: an unknown or repeated key, a value of the wrong kind, a price that is not
// a non-negative number, a missing required field or a repeated name is an error with
// file:line:col, unknown keys with a "did you mean" hint. All problems are reported at once.
//
// # LiteLLM's price file
//
// Load and Parse also read LiteLLM's model_prices_and_context_window.json, told apart by
// content: a JSON object without a top-level "models" list. Each key is a model id; its prices are
// USD per token and become per million tokens by a decimal shift of six places, from the JSON
// number text ("3e-06" is exactly 3 per million). The fields read are input_cost_per_token,
// output_cost_per_token, cache_read_input_token_cost, cache_creation_input_token_cost (the
// 5-minute write), cache_creation_input_token_cost_above_1hr (the 1-hour write) and
// litellm_provider (the Provider). When the cache fields are missing, cache_write_5m = input,
// cache_read = input (no discount known) and cache_write_1h = cache_write_5m. The sample_spec
// entry and entries without both input and output prices per token (embeddings, image or audio
// models) are skipped; a price field that is present but not a non-negative number is an error
// naming the model and the field. AsOf is the file's modification date (UTC) and Source its
// path.
//
// Tiered fields are read too: a bucket's field followed by _above_<N>k_tokens (a prompt-size
// tier: input_cost_per_token_above_200k_tokens, cache_read_input_token_cost_above_200k_tokens,
// cache_creation_input_token_cost_above_1hr_above_200k_tokens, ..._above_128k_tokens), by
// _priority, _flex, _batches or _scale (a service tier: input_cost_per_token_priority), or by
// both (output_cost_per_token_above_272k_tokens_priority). A tier's price left out follows
// the rule of our format above, and an input price left out is the base's; a service tier
// without its own input or output price below every threshold is not priced.
package pricing
