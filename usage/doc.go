// Package usage turns what a response says about its cost into canonical usage
// (pricing.Usage: input, cache read, cache write 5m/1h, output; DESIGN.md, "Canonical usage").
//
// A plan step's usage: spec (plan.UsageSource) becomes one Source, built once per step by
// NewSource; it reads every response of the step, whatever its kind:
//   - Anthropic and OpenAI bodies: Anthropic, OpenAI (raw JSON) and AnthropicValue,
//     OpenAIValue (a body decoded already, with json.Decoder.UseNumber). Source.DecodeUsage
//     scans a body that nothing else reads for its top-level usage member alone (body.go).
//   - Anthropic and OpenAI server-sent-event streams: NewAnthropicStream, NewOpenAIStream
//     (Source.NewStream). Add is called with each event as it arrives; Report is the usage
//     so far; Ended tells whether the stream's own end was seen, Report().Complete whether
//     its final usage was, with every required bucket.
//   - A service's own JSON shape: FromJSON with a JSONSpec of paths per bucket.
//   - Response headers: FromHeaders with a HeaderSpec of header names per bucket.
//   - Prometheus counters: a Scraper reads selected counters at the start of a run
//     (Baseline) and reports the difference later (Delta, Read).
//
// Every source says per bucket what it did not report (Report.Missing): a required bucket
// (Anthropic's input_tokens and output_tokens, OpenAI's prompt_tokens and completion_tokens,
// every JSON path or header the plan maps) that is absent, null or empty. Its cost is
// unknown, never zero: the meter charges it at the request's bound, and Source.Unmatched
// names what matched nothing for the warning. Optional counts (cache reads and writes) are 0
// when absent. A stream's cumulative count that goes down is kept at its highest.
//
// A stream as the executor uses it:
//
//	st := src.NewStream() // nil: the source does not parse streams
//	dec := sse.NewDecoder(resp.Body)
//	for dec.Next() {
//		if err := st.Add(dec.Event()); err != nil {
//			return err // malformed usage
//		}
//		if st.FirstContent() && ttft == 0 {
//			ttft = time.Since(start)
//		}
//	}
//	rep := st.Report() // st.Ended(): false when the stream was cut; st.Err(): an error event
//
// Token counts are exact integers: bodies are decoded with UseNumber, Prometheus values are
// read as decimals from their text. A count that is negative or not an integer is an error,
// never a zero. Nothing here prints or logs; errors never echo header values.
package usage
