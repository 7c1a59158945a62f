package http1

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// safety bounds a request that should not take long: long enough for a loaded machine, short
// enough that a hang fails the test instead of its whole run.
const safety = 30 * time.Second

// httpServer is an httptest server that counts the connections it accepted and records the
// requests it received.
type httpServer struct {
	*httptest.Server
	conns atomic.Int32
	mu    sync.Mutex
	reqs  []seenReq
}

// seenReq is what a server received.
type seenReq struct {
	method, uri, host, proto string
	header                   http.Header
	body                     string
	contentLength            int64
	transferEncoding         []string
	close                    bool
}

func newHTTPServer(t *testing.T, h http.HandlerFunc) *httpServer {
	t.Helper()
	s := &httpServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, seenReq{method: r.Method, uri: r.RequestURI, host: r.Host, proto: r.Proto,
			header: r.Header.Clone(), body: string(body), contentLength: r.ContentLength,
			transferEncoding: r.TransferEncoding, close: r.Close})
		s.mu.Unlock()
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *httpServer) requests() []seenReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenReq(nil), s.reqs...)
}

func (s *httpServer) wantConns(t *testing.T, want int) {
	t.Helper()
	if got := int(s.conns.Load()); got != want {
		t.Errorf("server accepted %d connections, want %d", got, want)
	}
}

// rawServer is a hand-written HTTP/1.1 server on a loopback listener, for servers that must
// misbehave. It reads each request (with its body) and calls handle, which writes whatever it
// likes on the connection and says what happens next.
type rawServer struct {
	ln     net.Listener
	handle func(conn net.Conn, r rawReq) action
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  []net.Conn
	reqs   []rawReq
	closed int
}

type action int

const (
	keepOpen  action = iota // read the next request
	closeConn               // close the connection
	hang                    // answer nothing more: wait for the client to close
)

// rawReq is a request a rawServer read.
type rawReq struct {
	conn, n int // the connection's index and the request's index on it, from 0
	method  string
	uri     string
	host    string
	header  http.Header
	body    string
}

func newRawServer(t *testing.T, handle func(conn net.Conn, r rawReq) action) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, handle: handle}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		idx := len(s.conns)
		s.conns = append(s.conns, conn)
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(conn, idx)
	}
}

func (s *rawServer) serve(conn net.Conn, idx int) {
	defer s.wg.Done()
	defer func() {
		conn.Close()
		s.mu.Lock()
		s.closed++
		s.mu.Unlock()
	}()
	br := bufio.NewReader(conn)
	for n := 0; ; n++ {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		r := rawReq{conn: idx, n: n, method: req.Method, uri: req.RequestURI, host: req.Host, header: req.Header,
			body: string(body)}
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.mu.Unlock()
		switch s.handle(conn, r) {
		case closeConn:
			return
		case hang:
			io.Copy(io.Discard, br) // until the client (or the cleanup) closes the connection
			return
		}
	}
}

func (s *rawServer) url(path string) string { return "http://" + s.ln.Addr().String() + path }

func (s *rawServer) requests() []rawReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rawReq(nil), s.reqs...)
}

func (s *rawServer) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// waitClosed waits until the server has closed n connections.
func (s *rawServer) waitClosed(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server closed %d connections, want %d", closed, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// respond writes a complete keep-alive response with body.
func respond(conn net.Conn, body string) {
	fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

func newClient(t *testing.T) *Client {
	c := New(nil)
	t.Cleanup(func() { c.Close() })
	return c
}

func newReq(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// roundTrip sends req (bounded by safety unless it has a context of its own) and reads the
// whole response body.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, string) {
	t.Helper()
	if req.Context() == context.Background() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

func get(t *testing.T, rt http.RoundTripper, u string) (*http.Response, string) {
	t.Helper()
	return roundTrip(t, rt, newReq(t, http.MethodGet, u, nil))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// gzipped is s compressed (called by handlers: it cannot fail the test, nor does it fail
// writing to memory).
func gzipped(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return string(out)
}

// TestWireFormat: the request head as net/http writes it, byte for byte.
func TestWireFormat(t *testing.T) {
	heads := make(chan string, 2)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for range 2 {
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(line)
				if line == "\r\n" {
					break
				}
			}
			heads <- head.String()
			respond(conn, "ok")
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	c := newClient(t)
	addr := ln.Addr().String()

	get(t, c, "http://"+addr+"/a/b?x=1&y=%20z")
	want := "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: Go-http-client/1.1\r\n" +
		"Accept-Encoding: gzip\r\n\r\n"
	if got := <-heads; got != want {
		t.Errorf("request head:\n%q\nwant\n%q", got, want)
	}

	req := newReq(t, http.MethodDelete, "http://"+addr+"/x", nil)
	req.Header.Set("User-Agent", "loadplan/1")
	c.DisableCompression = true
	roundTrip(t, c, req)
	want = "DELETE /x HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: loadplan/1\r\nContent-Length: 0\r\n\r\n"
	if got := <-heads; got != want {
		t.Errorf("request head:\n%q\nwant\n%q", got, want)
	}
}

// TestKeepAlive: sequential requests share one connection, and the server sees what was sent.
func TestKeepAlive(t *testing.T) {
	large := strings.Repeat("0123456789abcdef", 10<<10) // 160 KiB: more than is copied behind the head
	cases := []struct {
		name   string
		method string
		body   string
	}{
		{"GET", http.MethodGet, ""},
		{"POST", http.MethodPost, `{"prompt":"hello"}`},
		{"POST empty", http.MethodPost, ""},
		{"PUT large", http.MethodPut, large},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s %s", r.Method, r.URL.Query().Get("i"))
			})
			c := newClient(t)
			const n = 5
			for i := range n {
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				req := newReq(t, tc.method, s.URL+"/path/x?i="+strconv.Itoa(i)+"&q=a%2Fb", body)
				req.Header.Add("X-Multi", "one")
				req.Header.Add("X-Multi", "two")
				req.Header.Set("X-Custom", "v"+strconv.Itoa(i))
				if i%2 == 1 {
					req.Header.Set("User-Agent", "loadplan-test/1.0")
				}
				resp, got := roundTrip(t, c, req)
				if resp.StatusCode != 200 || got != tc.method+" "+strconv.Itoa(i) {
					t.Fatalf("request %d: %d %q", i, resp.StatusCode, got)
				}
			}
			s.wantConns(t, 1)
			reqs := s.requests()
			if len(reqs) != n {
				t.Fatalf("server saw %d requests, want %d", len(reqs), n)
			}
			host := strings.TrimPrefix(s.URL, "http://")
			for i, r := range reqs {
				if r.method != tc.method || r.uri != "/path/x?i="+strconv.Itoa(i)+"&q=a%2Fb" || r.host != host ||
					r.proto != "HTTP/1.1" {
					t.Errorf("request %d: %s %s %s Host %s", i, r.method, r.uri, r.proto, r.host)
				}
				wantUA := "Go-http-client/1.1"
				if i%2 == 1 {
					wantUA = "loadplan-test/1.0"
				}
				if ua := r.header["User-Agent"]; len(ua) != 1 || ua[0] != wantUA {
					t.Errorf("request %d: User-Agent %q, want %q", i, ua, wantUA)
				}
				if m := r.header["X-Multi"]; len(m) != 2 || m[0] != "one" || m[1] != "two" {
					t.Errorf("request %d: X-Multi %q", i, m)
				}
				if v := r.header.Get("X-Custom"); v != "v"+strconv.Itoa(i) {
					t.Errorf("request %d: X-Custom %q", i, v)
				}
				if v := r.header.Get("Accept-Encoding"); v != "gzip" {
					t.Errorf("request %d: Accept-Encoding %q", i, v)
				}
				if r.body != tc.body || r.contentLength != int64(len(tc.body)) || len(r.transferEncoding) != 0 {
					t.Errorf("request %d: body of %d bytes (Content-Length %d, Transfer-Encoding %q), want %d",
						i, len(r.body), r.contentLength, r.transferEncoding, len(tc.body))
				}
				cl, sent := r.header["Content-Length"]
				if wantSent := tc.method != http.MethodGet; sent != wantSent ||
					(sent && cl[0] != strconv.Itoa(len(tc.body))) {
					t.Errorf("request %d: Content-Length %q", i, cl)
				}
				if r.close {
					t.Errorf("request %d: Connection: close", i)
				}
			}
		})
	}
}

// TestHostOverride: req.Host is the Host sent; an invalid one is not sent at all (as
// net/http), so it cannot smuggle a header.
func TestHostOverride(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
	c := newClient(t)
	req := newReq(t, http.MethodGet, s.url("/"), nil)
	req.Host = "api.example.test"
	roundTrip(t, c, req)
	req = newReq(t, http.MethodGet, s.url("/"), nil)
	req.Host = "evil.test\r\nX-Injected: 1"
	roundTrip(t, c, req)
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	if reqs[0].host != "api.example.test" {
		t.Errorf("Host %q, want api.example.test", reqs[0].host)
	}
	if reqs[1].host != "" || reqs[1].header.Get("X-Injected") != "" {
		t.Errorf("invalid Host sent: Host %q, X-Injected %q", reqs[1].host, reqs[1].header.Get("X-Injected"))
	}
}

// TestRedirects: as the Transport of an http.Client.
func TestRedirects(t *testing.T) {
	cases := []struct {
		method     string
		code       int
		wantMethod string
		wantBody   string
	}{
		{http.MethodGet, http.StatusFound, http.MethodGet, ""},
		{http.MethodPost, http.StatusSeeOther, http.MethodGet, ""},
		{http.MethodPost, http.StatusTemporaryRedirect, http.MethodPost, "payload"},
		{http.MethodPut, http.StatusPermanentRedirect, http.MethodPut, "payload"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s %d", tc.method, tc.code), func(t *testing.T) {
			s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/from" {
					http.Redirect(w, r, "/to?x=1", tc.code)
					return
				}
				fmt.Fprintf(w, "at %s", r.URL.Path)
			})
			hc := &http.Client{Transport: newClient(t)}
			var body io.Reader
			if tc.method != http.MethodGet {
				body = strings.NewReader("payload")
			}
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, tc.method, s.URL+"/from", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(b) != "at /to" {
				t.Fatalf("%d %q %v", resp.StatusCode, b, err)
			}
			reqs := s.requests()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			if r := reqs[1]; r.method != tc.wantMethod || r.uri != "/to?x=1" || r.body != tc.wantBody {
				t.Errorf("redirected request: %s %s body %q, want %s body %q", r.method, r.uri, r.body,
					tc.wantMethod, tc.wantBody)
			}
			// http.Client reads the redirect's small body before it follows it: the
			// connection is kept.
			s.wantConns(t, 1)
		})
	}
}

// TestChunked: a chunked response is read whole and its connection kept.
func TestChunked(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "chunk %d;", i)
			w.(http.Flusher).Flush()
		}
	})
	c := newClient(t)
	for range 3 {
		resp, body := get(t, c, s.URL)
		if body != "chunk 0;chunk 1;chunk 2;chunk 3;chunk 4;" {
			t.Fatalf("body %q", body)
		}
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" || resp.ContentLength != -1 {
			t.Errorf("Transfer-Encoding %q, Content-Length %d", resp.TransferEncoding, resp.ContentLength)
		}
	}
	s.wantConns(t, 1)
}

// TestServerCloses: a response the server ends by closing the connection, or that says
// Connection: close, is read whole; the next request opens a new connection.
func TestServerCloses(t *testing.T) {
	cases := []struct {
		name, resp string
	}{
		{"HTTP/1.0 no length", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
		{"HTTP/1.1 close no length", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"},
		{"HTTP/1.1 close with length", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 13\r\n\r\nuntil the end"},
		{"HTTP/1.1 no length", "HTTP/1.1 200 OK\r\n\r\nuntil the end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action {
				io.WriteString(conn, tc.resp)
				return closeConn
			})
			c := newClient(t)
			for i := range 3 {
				resp, body := get(t, c, s.url("/"))
				if body != "until the end" {
					t.Fatalf("request %d: body %q", i, body)
				}
				if !resp.Close {
					t.Errorf("request %d: resp.Close false", i)
				}
			}
			reqs := s.requests()
			if len(reqs) != 3 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			for i, r := range reqs {
				if r.conn != i || r.n != 0 {
					t.Errorf("request %d on connection %d (its request %d), want a new connection", i, r.conn, r.n)
				}
			}
		})
	}
}

// TestConnectionCloseKeepsServerOpen: the client closes after "Connection: close" even when
// the server does not.
func TestConnectionCloseKeepsServerOpen(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action {
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
		return keepOpen
	})
	c := newClient(t)
	get(t, c, s.url("/"))
	get(t, c, s.url("/"))
	if n := s.connCount(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	s.waitClosed(t, 1) // the client closed the first
}

// TestRequestClose: req.Close sends Connection: close, and the connection is not reused.
func TestRequestClose(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newClient(t)
	req := newReq(t, http.MethodGet, s.URL, nil)
	req.Close = true
	req.Header.Set("Connection", "keep-alive") // req.Close wins
	roundTrip(t, c, req)
	get(t, c, s.URL)
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	if !reqs[0].close || len(reqs[0].header["Connection"]) != 1 || reqs[0].header.Get("Connection") != "close" {
		t.Errorf("first request: close %v, Connection %q", reqs[0].close, reqs[0].header["Connection"])
	}
	if reqs[1].close {
		t.Errorf("second request has Connection: close")
	}
	s.wantConns(t, 2)

	// A server that keeps the connection open all the same: the client closes it.
	raw := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
	req = newReq(t, http.MethodGet, raw.url("/"), nil)
	req.Close = true
	roundTrip(t, c, req)
	raw.waitClosed(t, 1)
	get(t, c, raw.url("/"))
	if n := raw.connCount(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestGzip: transparent decompression, as net/http's.
func TestGzip(t *testing.T) {
	content := func(i int) string { return strings.Repeat(fmt.Sprintf("response %d. ", i), 500) }
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		w.Header().Set("X-Accept-Encoding", strings.Join(r.Header["Accept-Encoding"], ","))
		if r.URL.Query().Get("plain") != "" {
			io.WriteString(w, content(i))
			return
		}
		z := gzipped(content(i))
		w.Header().Set("Content-Encoding", "gzip")
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(z)))
			w.Write(z)
			return
		}
		w.Write(z[:len(z)/2])
		w.(http.Flusher).Flush()
		w.Write(z[len(z)/2:])
	})

	t.Run("transparent", func(t *testing.T) {
		c := newClient(t)
		for i := range 4 { // the gzip reader is reused
			u := s.URL + "/?i=" + strconv.Itoa(i)
			if i%2 == 1 {
				u += "&chunked=1"
			}
			resp, body := get(t, c, u)
			if body != content(i) {
				t.Fatalf("request %d: body of %d bytes, want %d decompressed", i, len(body), len(content(i)))
			}
			if got := resp.Header.Get("X-Accept-Encoding"); got != "gzip" {
				t.Errorf("request %d: Accept-Encoding sent %q, want gzip", i, got)
			}
			if !resp.Uncompressed || resp.ContentLength != -1 || resp.Header.Get("Content-Encoding") != "" ||
				resp.Header.Get("Content-Length") != "" {
				t.Errorf("request %d: Uncompressed %v, ContentLength %d, Content-Encoding %q, Content-Length %q",
					i, resp.Uncompressed, resp.ContentLength, resp.Header.Get("Content-Encoding"),
					resp.Header.Get("Content-Length"))
			}
		}
		s.conns.Store(0)
		get(t, c, s.URL+"/?plain=1")
		s.wantConns(t, 0) // a gzip body read to its end keeps the connection
	})

	t.Run("caller's Accept-Encoding", func(t *testing.T) {
		c := newClient(t)
		req := newReq(t, http.MethodGet, s.URL+"/?i=7", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, body := roundTrip(t, c, req)
		if resp.Uncompressed || resp.Header.Get("Content-Encoding") != "gzip" ||
			resp.ContentLength != int64(len(body)) {
			t.Errorf("Uncompressed %v, Content-Encoding %q, ContentLength %d of %d", resp.Uncompressed,
				resp.Header.Get("Content-Encoding"), resp.ContentLength, len(body))
		}
		if got := gunzip(t, []byte(body)); got != content(7) {
			t.Errorf("body decompressed to %d bytes, want %d", len(got), len(content(7)))
		}
	})

	cases := []struct {
		name    string
		prepare func(c *Client, req *http.Request)
	}{
		{"DisableCompression", func(c *Client, req *http.Request) { c.DisableCompression = true }},
		{"Range", func(c *Client, req *http.Request) { req.Header.Set("Range", "bytes=0-") }},
		{"HEAD", func(c *Client, req *http.Request) { req.Method = http.MethodHead }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t)
			req := newReq(t, http.MethodGet, s.URL+"/?plain=1&i=3", nil)
			tc.prepare(c, req)
			resp, body := roundTrip(t, c, req)
			if got := resp.Header.Get("X-Accept-Encoding"); got != "" {
				t.Errorf("Accept-Encoding sent: %q", got)
			}
			if req.Method != http.MethodHead && body != content(3) {
				t.Errorf("body of %d bytes", len(body))
			}
		})
	}

	t.Run("corrupt", func(t *testing.T) {
		raw := newRawServer(t, func(conn net.Conn, r rawReq) action {
			if r.uri == "/bad" {
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!")
			} else {
				respond(conn, "fine")
			}
			return keepOpen
		})
		c := newClient(t)
		resp, err := c.RoundTrip(newReq(t, http.MethodGet, raw.url("/bad"), nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatal("a corrupt gzip body read without an error")
		}
		if _, body := get(t, c, raw.url("/good")); body != "fine" {
			t.Errorf("after a corrupt body: %q", body)
		}
	})
}

// TestInformational: 1xx responses before the final one are skipped, up to 5.
func TestInformational(t *testing.T) {
	cases := []struct {
		name    string
		n100    int
		wantErr bool
	}{
		{"100 and 103", 1, false},
		{"five", 4, false},
		{"six", 5, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action {
				if r.uri == "/1xx" {
					io.WriteString(conn, strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", tc.n100)+
						"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"+
						"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Final: yes\r\n\r\nfinal")
				} else {
					respond(conn, "next")
				}
				return keepOpen
			})
			c := newClient(t)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.url("/1xx"), nil).WithContext(ctx))
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), "1xx") {
					t.Errorf("error %q does not say what", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(b) != "final" || resp.Header.Get("X-Final") != "yes" {
					t.Fatalf("%d %q %v", resp.StatusCode, b, err)
				}
				if resp.Header.Get("Link") != "" {
					t.Errorf("the 103's header in the final response")
				}
			}
			if _, body := get(t, c, s.url("/next")); body != "next" {
				t.Errorf("next request: %q", body)
			}
			if want := map[bool]int{false: 1, true: 2}[tc.wantErr]; s.connCount() != want {
				t.Errorf("%d connections, want %d", s.connCount(), want)
			}
		})
	}
}

// TestStaleIdleConnection: the server closed the kept-alive connection while it was idle; the
// next request, replayable or not, goes on a new connection.
func TestStaleIdleConnection(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action {
		respond(conn, r.method+" "+r.body)
		return closeConn // without saying so
	})
	c := newClient(t)
	if _, body := get(t, c, s.url("/")); body != "GET " {
		t.Fatalf("body %q", body)
	}
	s.waitClosed(t, 1)
	time.Sleep(50 * time.Millisecond) // idle for longer than idleCheckAfter
	if _, body := get(t, c, s.url("/")); body != "GET " {
		t.Fatalf("body %q", body)
	}
	s.waitClosed(t, 2)
	time.Sleep(50 * time.Millisecond)
	// A POST cannot be retried: the idle check must find the connection closed.
	resp, body := roundTrip(t, c, newReq(t, http.MethodPost, s.url("/"), strings.NewReader("data")))
	if resp.StatusCode != 200 || body != "POST data" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	reqs := s.requests()
	if len(reqs) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.conn != i || r.n != 0 {
			t.Errorf("request %d on connection %d (its request %d)", i, r.conn, r.n)
		}
	}
}

// TestServerResetsIdle: the server resets the idle connection (RST, not FIN): the next
// request, a POST that cannot be replayed once sent, finds the connection broken before
// anything of it went out (or the idle check does) and goes on a new one.
func TestServerResetsIdle(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action {
		respond(conn, r.method+" "+r.body)
		conn.(*net.TCPConn).SetLinger(0) // Close sends RST
		return closeConn
	})
	c := newClient(t)
	for i := range 4 {
		s.waitClosed(t, i) // the RST came: no sleep, the idle check may not run
		if i == 3 {
			time.Sleep(50 * time.Millisecond) // the idle check runs
		}
		body := "post " + strconv.Itoa(i)
		resp, got := roundTrip(t, c, newReq(t, http.MethodPost, s.url("/"), strings.NewReader(body)))
		if resp.StatusCode != 200 || got != "POST "+body {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, got)
		}
	}
	reqs := s.requests()
	if len(reqs) != 4 {
		t.Fatalf("server saw %d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if r.conn != i || r.body != "post "+strconv.Itoa(i) {
			t.Errorf("request %d on connection %d, body %q", i, r.conn, r.body)
		}
	}
}

// TestServerClosesBeforeAnswering: the server closes a reused connection after reading the
// request, before any response (the race the idle check cannot see): the request is sent
// again on a new connection only when it may be.
func TestServerClosesBeforeAnswering(t *testing.T) {
	cases := []struct {
		name      string
		method    string
		header    string
		wantRetry bool
	}{
		{"GET", http.MethodGet, "", true},
		{"HEAD", http.MethodHead, "", true},
		{"POST", http.MethodPost, "", false},
		{"POST with Idempotency-Key", http.MethodPost, "Idempotency-Key", true},
		{"PATCH with X-Idempotency-Key", http.MethodPatch, "X-Idempotency-Key", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action {
				if r.n > 0 {
					return closeConn // read, not answered
				}
				if r.method == http.MethodHead {
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n")
					return keepOpen
				}
				respond(conn, "answered "+r.method)
				return keepOpen
			})
			c := newClient(t)
			get(t, c, s.url("/first"))
			var body io.Reader
			if tc.method != http.MethodGet && tc.method != http.MethodHead {
				body = strings.NewReader("once")
			}
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			req := newReq(t, tc.method, s.url("/second"), body).WithContext(ctx)
			if tc.header != "" {
				req.Header.Set(tc.header, "key-1")
			}
			resp, err := c.RoundTrip(req)
			if tc.wantRetry {
				if err != nil {
					t.Fatalf("not retried: %v", err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%d %v", resp.StatusCode, err)
				}
				if tc.method != http.MethodHead && string(b) != "answered "+tc.method {
					t.Errorf("body %q", b)
				}
			} else if err == nil {
				resp.Body.Close()
				t.Fatalf("a %s was retried", tc.method)
			}
			var seen []rawReq
			for _, r := range s.requests() {
				if r.uri == "/second" {
					seen = append(seen, r)
					if body != nil && r.body != "once" {
						t.Errorf("body sent: %q", r.body)
					}
				}
			}
			if want := map[bool]int{false: 1, true: 2}[tc.wantRetry]; len(seen) != want {
				t.Fatalf("server saw the request %d times, want %d", len(seen), want)
			}
			if tc.wantRetry && (seen[1].conn != 1 || seen[1].n != 0) {
				t.Errorf("retried on connection %d (its request %d), want a new one", seen[1].conn, seen[1].n)
			}
			// The Client works after either outcome.
			if _, body := get(t, c, s.url("/after")); body != "answered GET" {
				t.Errorf("after: %q", body)
			}
		})
	}
}

// hangServer answers /ok; on /hang it reads the request and never answers; on /partial it
// sends the head and part of the body, then nothing.
func hangServer(t *testing.T) *rawServer {
	return newRawServer(t, func(conn net.Conn, r rawReq) action {
		switch r.uri {
		case "/hang":
			return hang
		case "/partial":
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
			return hang
		}
		respond(conn, "ok")
		return keepOpen
	})
}

// TestTimeoutsAndCancellation: a request's context bounds it, its body included; the Client
// works after (on a new connection).
func TestTimeoutsAndCancellation(t *testing.T) {
	cases := []struct {
		name     string
		warm     bool          // a request before: the one that hangs is on a reused connection
		path     string        // /hang: no response; /partial: the head and part of the body
		deadline time.Duration // 0: the context is cancelled instead, 50 ms after the request (/hang) or its head (/partial)
	}{
		{"deadline", false, "/hang", 50 * time.Millisecond},
		{"deadline reused", true, "/hang", 50 * time.Millisecond},
		{"cancel", false, "/hang", 0},
		{"cancel reused", true, "/hang", 0},
		{"deadline in body", true, "/partial", time.Second}, // the head must come before it
		{"cancel in body", false, "/partial", 0},
		{"cancel in body reused", true, "/partial", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := hangServer(t)
			c := newClient(t)
			if tc.warm {
				get(t, c, s.url("/ok"))
			}
			// A safety net under the context: a cancellation that does not work fails the
			// test (with DeadlineExceeded), and does not hang it.
			base, baseCancel := context.WithTimeout(context.Background(), safety)
			defer baseCancel()
			ctx, cancel := context.WithCancel(base)
			if tc.deadline > 0 {
				ctx, cancel = context.WithTimeout(base, tc.deadline)
			}
			defer cancel()
			cancelSoon := func() {
				if tc.deadline == 0 {
					timer := time.AfterFunc(50*time.Millisecond, cancel)
					t.Cleanup(func() { timer.Stop() })
				}
			}
			start := time.Now()
			if tc.path == "/hang" {
				cancelSoon()
			}
			resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.url(tc.path), nil).WithContext(ctx))
			if tc.path == "/partial" {
				if err != nil {
					t.Fatalf("the head did not come: %v", err)
				}
				cancelSoon()
				var b []byte
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "0123456789" {
					t.Errorf("read %q before the stall", b)
				}
			} else if err == nil {
				resp.Body.Close()
			}
			// A deadline is the context's, whichever of its two timers (the context's, the
			// connection's) fired first: the executor names it "timeout" by the context.
			if tc.deadline > 0 && !errors.Is(err, context.DeadlineExceeded) || tc.deadline == 0 && !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			if n := len(s.requests()); n != map[bool]int{false: 1, true: 2}[tc.warm] {
				t.Errorf("server saw %d requests: a failed request was sent again", n)
			}
			if _, body := get(t, c, s.url("/ok")); body != "ok" {
				t.Errorf("after: %q", body)
			}
			if want := map[bool]int{false: 2, true: 3}[tc.warm]; len(s.requests()) != want || s.connCount() != 2 {
				t.Errorf("%d requests on %d connections after, want %d on 2", len(s.requests()), s.connCount(), want)
			}
		})
	}
}

// TestContextDoneBeforeSend: a request whose context is already done is not sent.
func TestContextDoneBeforeSend(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
			c := newClient(t)
			for range 20 {
				get(t, c, s.url("/ok")) // the connection is open and reused
				ctx, cancel := tc.ctx()
				resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.url("/done"), nil).WithContext(ctx))
				cancel()
				if err == nil {
					resp.Body.Close()
					t.Fatal("a request with a done context succeeded")
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("error %v, want %v", err, tc.want)
				}
			}
			get(t, c, s.url("/ok"))
			c.Close()
			s.waitClosed(t, s.connCount())
			for _, r := range s.requests() {
				if r.uri == "/done" {
					t.Fatalf("a request with a done context was sent")
				}
			}
		})
	}
}

// TestCancelAfterResponse: a context cancelled once the response is in (its body buffered)
// does not break the kept connection's next request.
func TestCancelAfterResponse(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
	c := newClient(t)
	for i := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.url("/"), nil).WithContext(ctx))
		if err != nil {
			cancel()
			t.Fatalf("request %d: %v", i, err)
		}
		cancel()
		io.ReadAll(resp.Body) // buffered: may end without an error
		resp.Body.Close()
		if _, body := get(t, c, s.url("/")); body != "ok" {
			t.Fatalf("request %d after: %q", i, body)
		}
	}
}

// TestBodyClosedEarly: a body closed before its end: the next request works; the connection
// is kept when the rest of the body was already read into the buffer.
func TestBodyClosedEarly(t *testing.T) {
	cases := []struct {
		name      string
		size      int
		wantConns int32
	}{
		{"small", 100, 1},
		{"1 MiB", 1 << 20, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := strings.Repeat("x", tc.size)
			s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/next" {
					io.WriteString(w, "next")
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
				io.WriteString(w, payload)
			})
			c := newClient(t)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL, nil).WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 10)
			if _, err := io.ReadFull(resp.Body, buf); err != nil {
				t.Fatal(err)
			}
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := resp.Body.Read(buf); err == nil {
				t.Error("read on a closed body succeeded")
			}
			if _, body := get(t, c, s.URL+"/next"); body != "next" {
				t.Fatalf("next: %q", body)
			}
			s.wantConns(t, int(tc.wantConns))
		})
	}
}

// TestReadAfterEOF: a body read to its end goes on saying io.EOF (as net/http's, and as
// readers that read once more, bufio's among them, expect).
func TestReadAfterEOF(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gzip") != "" {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipped("zipped"))
			return
		}
		io.WriteString(w, "plain")
	})
	for _, u := range []string{"/", "/?gzip=1"} {
		c := newClient(t)
		resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL+u, nil))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if n, err := resp.Body.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Errorf("%s: read after EOF: %d, %v", u, n, err)
			}
		}
		resp.Body.Close()
		get(t, c, s.URL)
	}
}

// TestNextRequestBeforeBodyDone: a response neither read nor closed does not block the next
// request (the client drops its connection), and the old body, read or closed after, cannot
// touch the new connection.
func TestNextRequestBeforeBodyDone(t *testing.T) {
	cases := []struct {
		name string
		size int
	}{
		{"small", 100},        // in the read buffer whole: the connection looks idle
		{"500 KB", 500 << 10}, // more than the buffers hold
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := strings.Repeat("x", tc.size)
			s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, r.URL.Path+":"+payload)
			})
			c := newClient(t)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			resp1, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL+"/one", nil).WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			resp2, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL+"/two", nil).WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			// The old body read or closed now must fail or do nothing, never read the new
			// response.
			if b, err := io.ReadAll(resp1.Body); err == nil || strings.Contains(string(b), "/two:") {
				t.Errorf("the abandoned body read %d bytes (%.10q...), error %v", len(b), b, err)
			}
			resp1.Body.Close()
			b, err := io.ReadAll(resp2.Body)
			resp2.Body.Close()
			if err != nil || string(b) != "/two:"+payload {
				t.Fatalf("second body: %d bytes, %v", len(b), err)
			}
			if _, body := get(t, c, s.URL+"/three"); body != "/three:"+payload {
				t.Fatalf("third: %d bytes", len(body))
			}
			s.wantConns(t, 2)
		})
	}
}

// TestUnsolicitedData: bytes after the end of a response (a body sent with a HEAD or a 204,
// more than the Content-Length) put the connection out of step: the next request does not
// take them for its response.
func TestUnsolicitedData(t *testing.T) {
	cases := []struct {
		name, method, resp string
	}{
		{"HEAD with a body", http.MethodHead, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
		{"204 with a body", http.MethodGet, "HTTP/1.1 204 No Content\r\n\r\nhello"},
		{"more than Content-Length", http.MethodGet, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokhello"},
		{"a second response", http.MethodGet,
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action {
				if r.uri == "/extra" {
					io.WriteString(conn, tc.resp) // in one write: the extra bytes come with the response
				} else {
					respond(conn, "next")
				}
				return keepOpen
			})
			c := newClient(t)
			roundTrip(t, c, newReq(t, tc.method, s.url("/extra"), nil))
			if _, body := get(t, c, s.url("/next")); body != "next" {
				t.Errorf("next: %q", body)
			}
		})
	}
}

// TestCloseIdleConnections: it closes an idle connection, not one whose response is being
// read.
func TestCloseIdleConnections(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "body") })
	c := newClient(t)
	get(t, c, s.URL)
	c.CloseIdleConnections()
	resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections() // busy: kept
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "body" {
		t.Fatalf("%q %v", b, err)
	}
	get(t, c, s.URL)
	s.wantConns(t, 2)

	// Close during a body: the body fails, the next request opens a new connection.
	resp, err = c.RoundTrip(newReq(t, http.MethodGet, s.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if b, err := io.ReadAll(resp.Body); err == nil {
		t.Errorf("body read after Close: %q", b)
	}
	resp.Body.Close()
	get(t, c, s.URL)
	s.wantConns(t, 3)
}

// TestHTTPClientTimeout: http.Client's Timeout bounds a request through the Client.
func TestHTTPClientTimeout(t *testing.T) {
	s := hangServer(t)
	hc := &http.Client{Transport: newClient(t), Timeout: 100 * time.Millisecond}
	resp, err := hc.Get(s.url("/hang"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("no error")
	}
	if !isTimeout(err) {
		t.Errorf("error %v, not a timeout", err)
	}
	// The body's read is bounded too (the head must come in time).
	hc.Timeout = time.Second
	resp, err = hc.Get(s.url("/partial"))
	if err != nil {
		t.Fatalf("the head did not come in time: %v", err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !isTimeout(err) {
		t.Errorf("body: error %v, not a timeout", err)
	}
	hc.Timeout = safety
	resp, err = hc.Get(s.url("/ok"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "ok" {
		t.Errorf("after: %q %v", b, err)
	}
}

// TestSmallReadBuffer: a read buffer smaller than a response's head and body changes nothing.
func TestSmallReadBuffer(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Long", strings.Repeat("h", 300))
		if r.URL.Query().Get("gzip") != "" {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipped("compressed body"))
			return
		}
		io.WriteString(w, "plain body")
		w.(http.Flusher).Flush()
		io.WriteString(w, " in chunks")
	})
	c := newClient(t)
	c.ReadBufferSize = 16
	for i := range 4 {
		u, want := s.URL, "plain body in chunks"
		if i%2 == 1 {
			u, want = s.URL+"/?gzip=1", "compressed body"
		}
		resp, body := get(t, c, u)
		if body != want || len(resp.Header.Get("X-Long")) != 300 {
			t.Fatalf("request %d: %q", i, body)
		}
	}
	s.wantConns(t, 1)
}

// trackingBody is a request body that records that it was closed.
type trackingBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackingBody) Close() error { b.closed.Store(true); return nil }

// recorder is a Fallback that counts what it is given.
type recorder struct {
	rt    http.RoundTripper
	calls atomic.Int32
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.calls.Add(1)
	return r.rt.RoundTrip(req)
}

func newRecorder(t *testing.T) *recorder {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &recorder{rt: tr}
}

// TestFallback: what the Client does not speak goes to Fallback; without one it is an error.
func TestFallback(t *testing.T) {
	s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %q %q", r.Method, r.TransferEncoding, r.Header.Get("X-Via"))
	})
	proxyURL, _ := url.Parse("http://proxy.invalid:3128")

	t.Run("https", func(t *testing.T) {
		tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "secure")
		}))
		t.Cleanup(tlsSrv.Close)
		rec := &recorder{rt: tlsSrv.Client().Transport}
		c := newClient(t)
		c.Fallback = rec
		if _, body := get(t, c, tlsSrv.URL); body != "secure" {
			t.Errorf("body %q", body)
		}
		if rec.calls.Load() != 1 {
			t.Errorf("fallback called %d times", rec.calls.Load())
		}
	})

	cases := []struct {
		name     string
		req      func(t *testing.T) (*http.Request, *trackingBody)
		proxy    bool
		wantBody string
	}{
		{"proxy", func(t *testing.T) (*http.Request, *trackingBody) {
			return newReq(t, http.MethodGet, s.URL, nil), nil
		}, true, `GET [] ""`},
		{"unknown length", func(t *testing.T) (*http.Request, *trackingBody) {
			b := &trackingBody{Reader: strings.NewReader("stream")}
			req := newReq(t, http.MethodPost, s.URL, b)
			req.ContentLength = -1
			return req, b
		}, false, `POST ["chunked"] ""`},
		{"Transfer-Encoding", func(t *testing.T) (*http.Request, *trackingBody) {
			b := &trackingBody{Reader: strings.NewReader("stream")}
			req := newReq(t, http.MethodPost, s.URL, b)
			req.ContentLength = 6
			req.TransferEncoding = []string{"chunked"}
			return req, b
		}, false, `POST ["chunked"] ""`},
		{"trailer", func(t *testing.T) (*http.Request, *trackingBody) {
			b := &trackingBody{Reader: strings.NewReader("stream")}
			req := newReq(t, http.MethodPost, s.URL, b)
			req.ContentLength = -1
			req.Trailer = http.Header{"X-Sum": nil}
			return req, b
		}, false, `POST ["chunked"] ""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.conns.Store(0)
			rec := newRecorder(t)
			c := newClient(t)
			c.Fallback = rec
			if tc.proxy {
				c.Proxy = func(*http.Request) (*url.URL, error) { return proxyURL, nil }
			}
			req, _ := tc.req(t)
			if _, body := roundTrip(t, c, req); body != tc.wantBody {
				t.Errorf("body %q, want %q", body, tc.wantBody)
			}
			if rec.calls.Load() != 1 {
				t.Errorf("fallback called %d times, want 1", rec.calls.Load())
			}

			// Without a fallback: an error, nothing sent, the body closed.
			c2 := newClient(t)
			if tc.proxy {
				c2.Proxy = c.Proxy
			}
			s.conns.Store(0)
			req, body := tc.req(t)
			resp, err := c2.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("no error without a fallback")
			}
			if body != nil && !body.closed.Load() {
				t.Error("the request body was not closed")
			}
			if s.conns.Load() != 0 {
				t.Error("a connection was opened")
			}
		})
	}

	t.Run("proxy asked once per host", func(t *testing.T) {
		rec := newRecorder(t)
		c := newClient(t)
		c.Fallback = rec
		var asked atomic.Int32
		c.Proxy = func(req *http.Request) (*url.URL, error) {
			asked.Add(1)
			return nil, nil // direct
		}
		for range 3 {
			get(t, c, s.URL)
		}
		if asked.Load() != 1 || rec.calls.Load() != 0 {
			t.Errorf("Proxy asked %d times, fallback called %d times", asked.Load(), rec.calls.Load())
		}
	})

	t.Run("proxy error", func(t *testing.T) {
		c := newClient(t)
		c.Fallback = newRecorder(t)
		c.Proxy = func(req *http.Request) (*url.URL, error) { return nil, errors.New("bad proxy setting") }
		resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.URL, nil))
		if err == nil {
			resp.Body.Close()
			t.Fatal("no error")
		}
		if !strings.Contains(err.Error(), "bad proxy setting") {
			t.Errorf("error %v", err)
		}
	})
}

// TestValidation: requests net/http refuses to send are refused, before anything is sent,
// and the error never shows a header's value.
func TestValidation(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
	cases := []struct {
		name    string
		mutate  func(req *http.Request)
		wantMsg string
	}{
		{"CRLF in value", func(req *http.Request) { req.Header.Set("Authorization", "Bearer sk-secret\r\nX: y") },
			"Authorization"},
		{"LF in value", func(req *http.Request) { req.Header["X-Api-Key"] = []string{"ok", "sk-secret\nX: y"} },
			"X-Api-Key"},
		{"NUL in value", func(req *http.Request) { req.Header.Set("X-Token", "sk-secret\x00") }, "X-Token"},
		{"space in name", func(req *http.Request) { req.Header["Bad Name"] = []string{"v"} }, "Bad Name"},
		{"colon in name", func(req *http.Request) { req.Header["X:Y"] = []string{"v"} }, "X:Y"},
		{"empty name", func(req *http.Request) { req.Header[""] = []string{"v"} }, "header"},
		{"invalid method", func(req *http.Request) { req.Method = "GE T" }, "method"},
		{"CRLF in method", func(req *http.Request) { req.Method = "GET\r\nX: y" }, "method"},
		{"nil header", func(req *http.Request) { req.Header = nil }, "Header"},
		{"control in URL", func(req *http.Request) { req.URL.RawQuery = "a=1\r\nX-Injected: 1" }, "control"},
		{"no host", func(req *http.Request) { req.URL.Host = "" }, "Host"},
	}
	c := newClient(t)
	get(t, c, s.url("/valid"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := &trackingBody{Reader: strings.NewReader("body")}
			req := newReq(t, http.MethodPost, s.url("/invalid"), body)
			req.ContentLength = 4 // a known length: not a request for the Fallback
			tc.mutate(req)
			resp, err := c.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not name %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "sk-secret") {
				t.Errorf("error %q shows the header's value", err)
			}
			if !body.closed.Load() {
				t.Error("the request body was not closed")
			}
		})
	}
	get(t, c, s.url("/valid"))
	reqs := s.requests()
	if len(reqs) != 2 || reqs[1].conn != 0 || reqs[1].n != 1 {
		t.Errorf("server saw %d requests (%+v), want the 2 valid ones on one connection", len(reqs), reqs)
	}
}

// TestRequestBodyShort: a body shorter than its ContentLength is an error, nothing is sent.
func TestRequestBodyShort(t *testing.T) {
	s := newRawServer(t, func(conn net.Conn, r rawReq) action { respond(conn, "ok"); return keepOpen })
	c := newClient(t)
	get(t, c, s.url("/"))
	req := newReq(t, http.MethodPost, s.url("/short"), strings.NewReader("12345"))
	req.ContentLength = 10
	if resp, err := c.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Fatal("no error")
	}
	get(t, c, s.url("/"))
	if reqs := s.requests(); len(reqs) != 2 || reqs[1].uri != "/" || reqs[1].conn != 0 {
		t.Errorf("server saw %+v", reqs)
	}
}

// TestMaxHeaderBytes: a response head over the limit is an error that says so, not a hang.
func TestMaxHeaderBytes(t *testing.T) {
	cases := []struct {
		name    string
		head    func(w io.Writer)
		wantErr bool
	}{
		{"one long header", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Big: ")
			io.WriteString(w, strings.Repeat("a", 2*MaxHeaderBytes))
			io.WriteString(w, "\r\nContent-Length: 2\r\n\r\nok")
		}, true},
		{"many headers", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 200 OK\r\n")
			for i := range MaxHeaderBytes / 50 {
				fmt.Fprintf(w, "X-H%d: %s\r\n", i, strings.Repeat("b", 60))
			}
			io.WriteString(w, "Content-Length: 2\r\n\r\nok")
		}, true},
		{"under the limit", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Big: ")
			io.WriteString(w, strings.Repeat("a", MaxHeaderBytes/2))
			io.WriteString(w, "\r\nContent-Length: 2\r\n\r\nok")
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawServer(t, func(conn net.Conn, r rawReq) action {
				if r.uri == "/big" {
					bw := bufio.NewWriter(conn)
					tc.head(bw)
					bw.Flush() // fails once the client has given up and closed
					return keepOpen
				}
				respond(conn, "small")
				return keepOpen
			})
			c := newClient(t)
			ctx, cancel := context.WithTimeout(context.Background(), safety)
			defer cancel()
			resp, err := c.RoundTrip(newReq(t, http.MethodGet, s.url("/big"), nil).WithContext(ctx))
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), strconv.Itoa(MaxHeaderBytes)) {
					t.Errorf("error %q does not name the limit", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != "ok" {
					t.Fatalf("%q %v", b, err)
				}
			}
			if _, body := get(t, c, s.url("/small")); body != "small" {
				t.Errorf("after: %q", body)
			}
		})
	}
}

// TestConnectionRefused: the dial's error, as it is.
func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	resp, err := c.RoundTrip(newReq(t, http.MethodGet, "http://"+addr+"/", nil).WithContext(ctx))
	if err == nil {
		resp.Body.Close()
		t.Fatal("no error")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("error %v, want ECONNREFUSED", err)
	}
}

// TestSwitchHost: a request to another host:port replaces the connection.
func TestSwitchHost(t *testing.T) {
	a := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a") })
	b := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "b") })
	c := newClient(t)
	for i, want := range []string{"a", "a", "b", "b", "a"} {
		u := a.URL
		if want == "b" {
			u = b.URL
		}
		if _, body := get(t, c, u); body != want {
			t.Fatalf("request %d: %q, want %q", i, body, want)
		}
	}
	a.wantConns(t, 2)
	b.wantConns(t, 1)
}

// TestNoBodyResponses: HEAD, 204 and 304 have no body, and keep the connection.
func TestNoBodyResponses(t *testing.T) {
	cases := []struct {
		name   string
		method string
		path   string
		code   int
	}{
		{"HEAD", http.MethodHead, "/", 200},
		{"204", http.MethodGet, "/204", 204},
		{"304", http.MethodGet, "/304", 304},
		{"204 to POST", http.MethodPost, "/204", 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/204":
					w.WriteHeader(204)
				case "/304":
					w.Header().Set("ETag", `"v1"`)
					w.WriteHeader(304)
				default:
					w.Header().Set("Content-Length", "11")
					io.WriteString(w, "hello world")
				}
			})
			c := newClient(t)
			for range 3 {
				resp, body := roundTrip(t, c, newReq(t, tc.method, s.URL+tc.path, nil))
				if resp.StatusCode != tc.code || body != "" {
					t.Fatalf("%d %q", resp.StatusCode, body)
				}
				if tc.method == http.MethodHead && resp.ContentLength != 11 {
					t.Errorf("HEAD: ContentLength %d, want 11", resp.ContentLength)
				}
			}
			if _, body := get(t, c, s.URL+"/"); body != "hello world" {
				t.Errorf("after: %q", body)
			}
			s.wantConns(t, 1)
		})
	}
}

// TestSwitchingProtocols: a 101 is returned, and its connection is not used for HTTP again.
func TestSwitchingProtocols(t *testing.T) {
	upgradedClosed := make(chan struct{})
	s := newRawServer(t, func(conn net.Conn, r rawReq) action {
		if r.uri == "/upgrade" {
			io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: example/1\r\nConnection: Upgrade\r\n\r\n")
			io.Copy(io.Discard, conn) // until the client closes it
			close(upgradedClosed)
			return closeConn
		}
		respond(conn, "http")
		return keepOpen
	})
	c := newClient(t)
	req := newReq(t, http.MethodGet, s.url("/upgrade"), nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "example/1")
	resp, _ := roundTrip(t, c, req)
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "example/1" {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header)
	}
	if _, body := get(t, c, s.url("/after")); body != "http" {
		t.Fatalf("after: %q", body)
	}
	if reqs := s.requests(); len(reqs) != 2 || reqs[1].conn != 1 {
		t.Errorf("server saw %+v: the next request was not on a new connection", reqs)
	}
	select {
	case <-upgradedClosed:
	case <-time.After(safety):
		t.Error("the upgraded connection was left open")
	}
}

// BenchmarkRoundTrip: a GET on loopback, this Client against net/http's Transport.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(srv.Close)
	tr := &http.Transport{}
	b.Cleanup(tr.CloseIdleConnections)
	c := New(nil)
	b.Cleanup(func() { c.Close() })
	for _, bc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"http1", c}, {"nethttp", tr}} {
		b.Run(bc.name, func(b *testing.B) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := bc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}
