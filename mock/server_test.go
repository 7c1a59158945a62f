package mock

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// answers sends each user's sequence of requests and returns the outcomes by user. With
// interleave, users run concurrently; without, one after the other.
func answers(t *testing.T, url string, users, each int, interleave bool) map[string][]outcome {
	t.Helper()
	out := map[string][]outcome{}
	var mu sync.Mutex
	run := func(u int) {
		client := &http.Client{}
		key := "user-" + strconv.Itoa(u)
		var seq []outcome
		for i := range each {
			rq := mix(u*3 + i) // users ask different things
			o := do(t, client, url, rq.path, rq.body, http.Header{UserHeader: {key}})
			o.body = nil // ids and times aside, compare what was drawn
			seq = append(seq, o)
		}
		mu.Lock()
		out[key] = seq
		mu.Unlock()
	}
	if !interleave {
		for u := range users {
			run(u)
		}
		return out
	}
	var wg sync.WaitGroup
	for u := users - 1; u >= 0; u-- {
		wg.Go(func() { run(u) })
	}
	wg.Wait()
	return out
}

func sameAnswers(a, b outcome) bool {
	return a.kind == b.kind && a.status == b.status && a.reported == b.reported &&
		a.generated == b.generated && a.text == b.text
}

// TestReproducible: under the same seed, each user's sequence gets the same answers (tokens,
// text, faults), however the users interleave; after a reset, again; under another seed, not.
func TestReproducible(t *testing.T) {
	cfg, _ := Profile("flaky")
	cfg.TimeScale, cfg.Seed = 0, 99
	s1, url1 := newTestServer(t, cfg)
	_, url2 := newTestServer(t, cfg)
	cfg.Seed = 100
	_, url3 := newTestServer(t, cfg)

	const users, each = 6, 25
	a := answers(t, url1, users, each, false)
	b := answers(t, url2, users, each, true)
	c := answers(t, url3, users, each, true)
	differ := 0
	for key, seq := range a {
		for i := range seq {
			if !sameAnswers(seq[i], b[key][i]) {
				t.Errorf("%s request %d: %+v\nthen %+v", key, i, seq[i], b[key][i])
			}
			if !sameAnswers(seq[i], c[key][i]) {
				differ++
			}
		}
	}
	if differ < users*each/2 {
		t.Errorf("another seed changed only %d answers of %d", differ, users*each)
	}
	s1.Reset()
	again := answers(t, url1, 2, each, true)
	for key, seq := range again {
		for i := range seq {
			if !sameAnswers(seq[i], a[key][i]) {
				t.Errorf("after reset, %s request %d: %+v, first %+v", key, i, seq[i], a[key][i])
			}
		}
	}
}

func TestTLSServesHTTP2(t *testing.T) {
	s, err := New(Config{TLS: true, Seed: 1, Faults: Faults{StreamCut: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(url, "https://127.0.0.1:") || s.CertPool() == nil || len(s.CertPEM()) == 0 {
		t.Fatalf("url %s, cert %d bytes", url, len(s.CertPEM()))
	}
	client := s.Client()
	resp, err := client.Get(url + PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("/health over %s, want HTTP/2", resp.Proto)
	}
	// Streams, whole and cut (an HTTP/2 stream reset), over HTTP/2.
	kinds := map[string]int{}
	for i := range 20 {
		o := do(t, client, url, PathChatStream, map[string]any{"message": "hi"}, http.Header{UserHeader: {strconv.Itoa(i)}})
		kinds[o.kind]++
	}
	if kinds["ok"] == 0 || kinds["cut"] == 0 {
		t.Errorf("outcomes over HTTP/2: %v", kinds)
	}
	// A client that does not trust the certificate fails.
	if _, err := http.Get(url + PathHealth); err == nil {
		t.Error("a client without the certificate connected")
	}
}

func TestStartStop(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	url, stop, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %s", url)
	}
	resp, err := http.Get(url + PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"status":"ok"}` {
		t.Errorf("/health: %s", b)
	}
	cancel()
	stop() // waits for the shutdown that ctx started; may be called again
	stop()
	if _, err := http.Get(url + PathHealth); err == nil {
		t.Error("still serving after stop")
	}

	// The address is taken: Start says so.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, _, err := Start(t.Context(), Config{Addr: ln.Addr().String()}); err == nil {
		t.Error("Start on a taken address succeeded")
	}
}

// TestStopIsGraceful: a request in flight when stop is called finishes.
func TestStopIsGraceful(t *testing.T) {
	cfg := Config{TimeScale: 1, Endpoints: map[string]Endpoint{
		PathChatMessage: {Latency: Latency{Median: 150 * time.Millisecond}, InputTokens: 10, OutputTokens: 5}}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(url+PathChatMessage, "application/json", strings.NewReader(`{"message":"x"}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = errors.New(resp.Status)
			}
		}
		done <- err
	}()
	for s.inFlight.Load() == 0 { // the request is in its latency
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("the request in flight failed: %v", err)
	}
	if got := s.Ledger().Snapshot().Requests[PathChatMessage]["200"]; got != 1 {
		t.Errorf("ledger: %d answered", got)
	}
}

func TestServeWithADoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Serve(ctx, Config{}); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestServeReturnsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, Config{}) }()
	time.Sleep(20 * time.Millisecond) // serving, or about to: both end with nil
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestConcurrencyLimit: past MaxInFlight requests in flight, 429 at once, billed nothing.
func TestConcurrencyLimit(t *testing.T) {
	cfg := Config{TimeScale: 1, MaxInFlight: 2, Endpoints: map[string]Endpoint{
		PathChatStream: {Latency: Latency{Median: time.Minute}, TTFT: Latency{Median: time.Minute},
			InputTokens: 100, OutputTokens: 10},
	}}
	s, url := newTestServer(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, "POST", url+PathChatStream, strings.NewReader(`{"message":"x"}`))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.inFlight.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two requests never got in flight")
		}
		time.Sleep(time.Millisecond)
	}
	for _, path := range []string{PathChatMessage, PathCompletions} {
		body := `{"message":"x","messages":[{"role":"user","content":"x"}]}`
		resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s with 2 in flight: %s, Retry-After %q", path, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	// /health is not limited.
	if resp, err := http.Get(url + PathHealth); err != nil || resp.StatusCode != 200 {
		t.Errorf("/health under the limit: %v", err)
	} else {
		resp.Body.Close()
	}
	cancel()
	wg.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for s.inFlight.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	snap := s.Ledger().Snapshot()
	if snap.Requests[PathChatMessage]["429"] != 1 || snap.Requests[PathCompletions]["429"] != 1 {
		t.Errorf("requests %v", snap.Requests)
	}
	// The two streams the clients left were billed their input only: no delta was sent.
	if snap.Tokens.Output != 0 || snap.Requests[PathChatStream][StatusClientGone] != 2 {
		t.Errorf("left streams: %+v, %v", snap.Tokens, snap.Requests)
	}
}

func TestProfiles(t *testing.T) {
	for _, name := range Profiles() {
		cfg, err := Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Profile != name || cfg.TimeScale != 1 || cfg.Model != DefaultModel {
			t.Errorf("%s: %+v", name, cfg)
		}
		if _, err := New(cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	flaky, _ := Profile("flaky")
	if flaky.Faults.StreamCut == 0 || flaky.Faults.Reset == 0 {
		t.Errorf("flaky has no faults: %+v", flaky.Faults)
	}
	slow, _ := Profile("slow")
	def, _ := Profile("default")
	if slow.Endpoints[PathChatMessage].Latency.Median != 5*def.Endpoints[PathChatMessage].Latency.Median {
		t.Errorf("slow is not 5× slower")
	}
	_, err := Profile("fast")
	if err == nil || !strings.Contains(err.Error(), "default, flaky, rate-limited, slow") {
		t.Errorf("unknown profile: %v", err)
	}
	if _, err := New(Config{Model: "gpt-17"}); err == nil {
		t.Error("a model the catalog does not know was accepted")
	}
}
