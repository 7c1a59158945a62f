// Command hostile is the target of bench/hostile.sh: a server on loopback whose answers never
// end (each bounded by -max-bytes, 10 GB by default, should a client read that far).
//
//	/zeros    a body of zero bytes (not JSON)
//	/json     a JSON object whose string never ends: {"id":"m","reply":"xxxx...
//	/sse      an SSE stream whose second line never ends
//	/events   an SSE stream of data lines that never end their event
//	/health   200, for the script to know it is up
//	/_served  the bytes sent so far
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8003", "address to listen on (loopback)")
	maxBytes := flag.Int64("max-bytes", 10<<30, "the most bytes one answer sends")
	flag.Parse()
	var served atomic.Int64
	endless := func(w http.ResponseWriter, ct, head, fill string) {
		w.Header().Set("Content-Type", ct)
		chunk := []byte(strings.Repeat(fill, 64<<10/len(fill)))
		n, err := w.Write([]byte(head))
		for sent := int64(n); err == nil && sent < *maxBytes; sent += int64(n) {
			n, err = w.Write(chunk)
			served.Add(int64(n))
		}
	}
	const start = `{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}`
	http.HandleFunc("/zeros", func(w http.ResponseWriter, r *http.Request) { endless(w, "application/json", "", "\x00") })
	http.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		endless(w, "application/json", `{"id":"m","reply":"`, "x")
	})
	http.HandleFunc("/sse", func(w http.ResponseWriter, r *http.Request) {
		endless(w, "text/event-stream", "event: message_start\ndata: "+start+"\n\ndata: ", "x")
	})
	http.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		endless(w, "text/event-stream", "event: message_start\ndata: "+start+"\n\n", "data: "+strings.Repeat("x", 1017)+"\n")
	})
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("/_served", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, served.Load()) })
	log.Fatal(http.ListenAndServe(*addr, nil))
}
