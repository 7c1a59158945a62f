// Package usage turns what a response says about its cost into canonical usage
// (pricing.Usage: input, cache read, cache write 5m/1h, output; DESIGN.md, "Canonical usage").
//
// Sources, one per Kind:
//   - Anthropic and OpenAI bodies: Anthropic, OpenAI (raw JSON) and AnthropicValue,
//     OpenAIValue (a body decoded already, with json.Decoder.UseNumber).
//   - Anthropic and OpenAI server-sent-event streams: NewAnthropicStream, NewOpenAIStream.
//     Add is called with each event as it arrives; Report is the usage so far, and
//     Report().Complete tells whether the final usage was seen.
//   - A service's own JSON shape: FromJSON with a JSONSpec of paths per bucket.
//   - Response headers: FromHeaders with a HeaderSpec of header names per bucket.
//   - Prometheus counters: a Scraper reads selected counters at the start of a run
//     (Baseline) and reports the difference later (Delta).
//
// A stream as the executor uses it:
//
//	st := usage.NewAnthropicStream()
//	dec := sse.NewDecoder(resp.Body)
//	for dec.Next() {
//		if err := st.Add(dec.Event()); err != nil {
//			return err // malformed usage
//		}
//		if st.FirstContent() && ttft == 0 {
//			ttft = time.Since(start)
//		}
//	}
//	rep := st.Report() // rep.Complete: false when the stream was cut; st.Err(): an error event
//
// Token counts are exact integers: bodies are decoded with UseNumber, Prometheus values are
// read as decimals from their text. A count that is negative or not an integer is an error,
// never a zero. Nothing here prints or logs; errors never echo header values.
package usage
