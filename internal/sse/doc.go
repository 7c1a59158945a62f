// Package sse decodes and encodes server-sent events. The decoder is what the executor reads
// LLM streams with (events as they arrive, never the whole body); the encoder is what the mock
// service writes them with.
//
//	d := sse.NewDecoder(resp.Body)
//	for d.Next() {
//		ev := d.Event() // ev.Type "content_block_delta", ev.Data the JSON
//	}
//	if err := d.Err(); err != nil { /* io.ErrUnexpectedEOF: cut inside an event */ }
package sse
