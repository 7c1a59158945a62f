package http1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAddr: a Client with Addr keeps its connection to that address only; requests to
// another host go to Fallback, and the kept connection is not closed by them.
func TestAddr(t *testing.T) {
	home := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	other := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	c := newClient(t)
	fb := newRecorder(t)
	c.Fallback = fb
	c.Addr = Addr(mustParse(t, home.URL))
	for range 3 {
		if _, b := get(t, c, home.URL+"/"); b != "home" {
			t.Fatalf("home: %q", b)
		}
		if _, b := get(t, c, other.URL+"/"); b != "other" {
			t.Fatalf("other: %q", b)
		}
	}
	home.wantConns(t, 1)
	if n := fb.calls.Load(); n != 3 {
		t.Errorf("fallback got %d requests, want the other host's 3", n)
	}
	// Without Addr the connection follows the host.
	c2 := newClient(t)
	get(t, c2, home.URL+"/")
	get(t, c2, other.URL+"/")
	get(t, c2, home.URL+"/")
	home.wantConns(t, 3) // 1 before, 2 now
}

// TestExpectAndIDNA: a request with an Expect header (net/http waits for 100 Continue) and
// one to an internationalised name (net/http dials its punycode) go to Fallback.
func TestExpectAndIDNA(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newClient(t)
	fb := newRecorder(t)
	c.Fallback = fb
	req := newReq(t, http.MethodPost, s.URL+"/", strings.NewReader("body"))
	req.Header.Set("Expect", "100-continue")
	if _, b := roundTrip(t, c, req); b != "ok" {
		t.Errorf("expect: %q", b)
	}
	if fb.calls.Load() != 1 {
		t.Errorf("the Expect request did not go to the fallback")
	}
	req = newReq(t, http.MethodGet, s.URL+"/", nil)
	req.Host = "bücher.example"
	if _, b := roundTrip(t, c, req); b != "ok" {
		t.Errorf("idna: %q", b)
	}
	if fb.calls.Load() != 2 {
		t.Errorf("the internationalised Host did not go to the fallback")
	}
	if got := s.requests()[1].host; got != "xn--bcher-kva.example" {
		t.Errorf("Host %q, want the punycode net/http sends", got)
	}
	s.wantConns(t, 1) // the fallback's; the Client dialled nothing
}

// TestHeaderOrder: the header is written in the order of its names, whatever the map's.
func TestHeaderOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	heads := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
			head.WriteString(line)
		}
		heads <- head.String()
		respond(conn, "ok")
	}()
	c := newClient(t)
	req := newReq(t, http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
	for _, h := range []string{"Zeta", "Alpha", "Mu", "Beta", "Omega", "Kappa"} {
		req.Header.Set(h, "1")
	}
	roundTrip(t, c, req)
	var names []string
	for _, line := range strings.Split(<-heads, "\r\n")[1:] {
		if name, _, ok := strings.Cut(line, ":"); ok {
			names = append(names, name)
		}
	}
	// Host and User-Agent first, then the header sorted; the Accept-Encoding the client adds
	// last.
	want := "Host User-Agent Alpha Beta Kappa Mu Omega Zeta Accept-Encoding"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("header order %q, want %q", got, want)
	}
}

// TestLargeBody: a body over inlineBody is copied from the request's reader (not buffered)
// and, on a connection the server closed before answering, sent again from GetBody when the
// request may be retried.
func TestLargeBody(t *testing.T) {
	large := strings.Repeat("0123456789abcdef", (3*inlineBody)/16)
	s := newRawServer(t, func(conn net.Conn, r rawReq) action {
		if r.n > 0 {
			return closeConn // read, not answered
		}
		respond(conn, "got "+itoa(len(r.body)))
		return keepOpen
	})
	c := newClient(t)
	req := newReq(t, http.MethodPut, s.url("/a"), strings.NewReader(large))
	if _, b := roundTrip(t, c, req); b != "got "+itoa(len(large)) {
		t.Fatalf("first: %q", b)
	}
	req = newReq(t, http.MethodPut, s.url("/b"), strings.NewReader(large))
	req.Header.Set("Idempotency-Key", "k")
	if _, b := roundTrip(t, c, req); b != "got "+itoa(len(large)) {
		t.Fatalf("retried: %q", b)
	}
	reqs := s.requests()
	if len(reqs) != 3 || reqs[1].body != large || reqs[2].body != large || reqs[2].conn != 1 {
		t.Errorf("server saw %d requests; the retry on connection %d", len(reqs), reqs[len(reqs)-1].conn)
	}
	// Without GetBody a large body cannot be sent again: the failure is returned.
	req = newReq(t, http.MethodPut, s.url("/c"), io.NopCloser(strings.NewReader(large)))
	req.ContentLength = int64(len(large))
	req.Header.Set("Idempotency-Key", "k")
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if resp, err := c.RoundTrip(req.WithContext(ctx)); err == nil {
		resp.Body.Close()
		t.Errorf("a body that cannot be read again was retried")
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung: %v", err)
	}
}

// TestPeekAlive: the short peek of the platforms without a non-blocking one (alive_other.go)
// tells an open idle connection from one the server closed or wrote to.
func TestPeekAlive(t *testing.T) {
	cases := map[string]func(net.Conn){
		"open":   func(net.Conn) {},
		"closed": func(c net.Conn) { c.Close() },
		"data":   func(c net.Conn) { io.WriteString(c, "x") },
	}
	for name, server := range cases {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				server(c)
				time.Sleep(50 * time.Millisecond) // for the client's look; then closed
				c.Close()
			}()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			if name != "open" {
				// Until the server's close or byte has arrived.
				conn.SetReadDeadline(time.Now().Add(safety))
				br.Peek(1)
			}
			want := name == "open"
			if got := peekAlive(conn, br); got != want {
				t.Errorf("peekAlive %v, want %v", got, want)
			}
			conn.SetReadDeadline(time.Time{}) // as the Client does before alive
			if got := alive(conn, br); got != want && name != "data" {
				// (alive peeks at the socket: the byte, once in br, is past it.)
				t.Errorf("alive %v, want %v", got, want)
			}
			<-done
		})
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func itoa(n int) string { return strconv.Itoa(n) }
