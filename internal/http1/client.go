// Package http1 is an HTTP/1.1 client connection for one virtual user: an http.RoundTripper
// that owns at most one TCP connection, keeps it alive between requests and reads and writes
// it on the caller's goroutine.
//
// net/http's Transport gives every pooled connection a read and a write goroutine of its own
// and hands each request and response between them and the caller over channels. For a load
// generator that is most of the cost of a request: with one connection per user (as Locust's
// and k6's users have), the caller can write the request and read the response itself. Per
// connection that saves two goroutines (their stacks are most of the memory of 10,000 users)
// and, per request, the hand-offs between them.
//
// Client speaks plain HTTP/1.1 only. Everything else goes to its Fallback (net/http's
// Transport): https (TLS and HTTP/2), requests that a proxy from the environment applies to,
// bodies of unknown length, trailers, "Expect: 100-continue", internationalised host names,
// and (with Addr) hosts other than the one the client keeps its connection to. It follows
// net/http where the two meet: the headers written (Host, User-Agent, Content-Length,
// Accept-Encoding: gzip and transparent decompression, the rest sorted by name), header
// validation, 1xx responses skipped, a response's "Connection: close" honoured, a request
// retried on a fresh connection only when the kept-alive one turned out to be closed by the
// server and the request is replayable (net/http's rule), and a request's context bounding
// it (its deadline and its cancellation).
//
// Where it differs: the request is written whole before the response is read (net/http
// reads while it writes), so a server that answers early and stops reading a large request
// body is a timeout here, not its early answer; and an idle connection is checked for a
// close by the server only after idleCheckAfter (net/http's read goroutine sees the close as
// it comes), so a server that closes a connection within a millisecond of its last response,
// without saying so, fails the next request unless that request may be retried.
//
// A Client is used by one goroutine at a time: the body of a response must be read to its
// end or closed before the next request. Redirects, cookies and the client timeout are
// http.Client's: use a Client as the Transport of an http.Client.
package http1

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults.
const (
	// DefaultReadBufferSize is the connection's read buffer, as net/http's.
	DefaultReadBufferSize = 4 << 10
	// MaxHeaderBytes bounds a response's status line and headers (net/http: 10 MiB; a load
	// test's responses are not that, and a server that sends more is broken).
	MaxHeaderBytes = 1 << 20
	// idleCheckAfter: a connection idle for longer than this is checked before it is reused
	// (one non-blocking peek). net/http learns that the server closed an idle connection from
	// the connection's read goroutine; this client has none, so it looks. Below it, the
	// check would be the same race net/http has (the server closes as the request goes out),
	// at the cost of a system call per request in a run that does not wait.
	idleCheckAfter = time.Millisecond
	// max1xx bounds the informational responses skipped before the final one (net/http: 5).
	max1xx = 5
)

// Client is one user's HTTP/1.1 connection; the zero value is not usable: set Dial (or use
// New).
type Client struct {
	// Dial opens a connection (network "tcp", address host:port).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Fallback sends what this client does not: https, proxied requests, bodies of unknown
	// length, trailers. Nil: such a request is an error.
	Fallback http.RoundTripper
	// Proxy says whether a request goes through a proxy (http.ProxyFromEnvironment); a
	// request with a proxy goes to Fallback. Nil: no proxy. It is asked once per host.
	Proxy func(*http.Request) (*url.URL, error)
	// ReadBufferSize is the size of the connection's read buffer (0: DefaultReadBufferSize).
	ReadBufferSize int
	// DisableCompression turns off the Accept-Encoding: gzip that net/http adds to a request
	// that has none, and the transparent decompression of the response.
	DisableCompression bool
	// Addr, when set (host:port, as Addr gives it), is the only address this client keeps its
	// connection to: requests to any other go to Fallback, whose pool keeps a connection per
	// host. Without it the connection follows the request's host, closed and opened again
	// at every change: a plan that alternates between two hosts would pay a connect per
	// request.
	Addr string

	conn      net.Conn
	lim       limitedReader
	br        *bufio.Reader
	addr      string // the connection's host:port
	reused    bool   // the connection has carried a response before
	busy      bool   // a response body is being read
	resp      *body  // that body, when it has one
	idleSince time.Time
	proxyHost string // the last host asked of Proxy, and its answer
	proxied   bool
	addrHost  string // the last URL host resolved to a dial address, and that address
	addrOfIt  string
	gz        *gzip.Reader
}

// New is a Client with net.Dialer's defaults of a load generator (a 10 s connect timeout,
// TCP keep-alive every 30 s) and fallback as its Fallback.
func New(fallback http.RoundTripper) *Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &Client{Dial: d.DialContext, Fallback: fallback}
}

// CloseIdleConnections closes the connection unless a response is being read from it.
func (c *Client) CloseIdleConnections() {
	if !c.busy {
		c.closeConn()
	}
}

// Close closes the connection, whatever it is doing.
func (c *Client) Close() error {
	c.closeConn()
	return nil
}

func (c *Client) closeConn() {
	if b := c.resp; b != nil {
		// The body being read loses its connection (the next request was sent before it was
		// done, or the Client closed): it must fail from now on, and its Close must not end
		// the next response. Its reader reads through c.lim, which the next connection's
		// shares: read on, it would take the next response's bytes.
		b.done, b.lost = true, true
		b.stop()
		c.resp = nil
	}
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br, c.reused, c.busy = nil, nil, false, false
	}
}

// errServerClosedIdle is a reused connection found closed before a response began.
var errServerClosedIdle = errors.New("http1: server closed the idle connection")

// RoundTrip sends req on the user's connection (opened, or opened again, as needed) and
// returns the response as soon as its headers are read.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	if fallback, err := c.useFallback(req); fallback || err != nil {
		if err != nil {
			closeBody(req)
			return nil, err
		}
		if c.Fallback == nil {
			closeBody(req)
			return nil, fmt.Errorf("http1: cannot send %s %s://%s without a fallback transport (https, a proxy, a body of unknown length or trailers)",
				req.Method, req.URL.Scheme, req.URL.Host)
		}
		return c.Fallback.RoundTrip(req)
	}
	if err := validate(req); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		// A request whose context is already done is not sent (as net/http). On a kept
		// connection the write would go out before the context's watch cut it short.
		closeBody(req)
		return nil, err
	}
	if c.busy {
		// The last response was neither read to its end nor closed: its connection cannot
		// carry another request.
		c.closeConn()
	}
	head, large, gz, err := c.encode(req)
	if !large {
		closeBody(req)
	}
	if err != nil {
		if large {
			closeBody(req)
		}
		return nil, err
	}
	defer putBuf(head)
	// A large body is copied from the request's reader to the connection, not buffered: the
	// caller holds it already (a long-context prompt for each of many users would be in
	// memory twice).
	var stream io.ReadCloser
	if large {
		stream = req.Body
	}
	addr := c.addrOf(req.URL)
	for attempt := 0; ; attempt++ {
		resp, err := c.roundTrip(ctx, req, addr, *head, stream, gz)
		if stream != nil {
			stream.Close()
		}
		if err == nil {
			return resp, nil
		}
		// A connection the server closed while it was idle: once more on a new one, when
		// the request did not reach the server or may be sent twice (and its large body, if
		// any, can be read again).
		if attempt == 0 && errors.Is(err, errServerClosedIdle) && ctx.Err() == nil {
			if re := (*retryable)(nil); errors.As(err, &re) && (re.nothingWritten || replayable(req)) {
				if stream == nil {
					continue
				}
				if req.GetBody != nil {
					if stream, err = req.GetBody(); err == nil {
						continue
					}
				}
			}
		}
		return nil, ctxErr(ctx, err)
	}
}

// ctxErr is the error to return for err: the context's when it is done, and
// context.DeadlineExceeded when err is the connection's deadline (the context's deadline,
// set on the connection) and the context's deadline has passed. The two are timers of their
// own that fire at the same instant, in either order; a read that failed on the first is a
// timeout all the same, as net/http reports it.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// retryable marks a failure on a reused connection before any byte of the response.
type retryable struct {
	err            error
	nothingWritten bool
}

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() []error {
	return []error{errServerClosedIdle, e.err}
}

func (c *Client) roundTrip(ctx context.Context, req *http.Request, addr string, head []byte, stream io.Reader, gz bool) (*http.Response, error) {
	if c.conn != nil && c.addr != addr {
		c.closeConn()
	}
	if c.conn != nil && c.reused && time.Since(c.idleSince) > idleCheckAfter {
		// The last request's deadline may have passed while the connection was idle: the
		// peek would fail on it, not on the connection.
		c.conn.SetReadDeadline(time.Time{})
		if !alive(c.conn, c.br) {
			c.closeConn()
		}
	}
	if c.conn == nil {
		conn, err := c.Dial(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		size := c.ReadBufferSize
		if size <= 0 {
			size = DefaultReadBufferSize
		}
		c.conn, c.addr = conn, addr
		c.lim.r = conn
		c.br = bufio.NewReaderSize(&c.lim, size)
	}
	conn, reused := c.conn, c.reused
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	} else {
		conn.SetDeadline(time.Time{})
	}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	}
	fail := func(err error) (*http.Response, error) {
		stop()
		c.closeConn()
		return nil, err
	}
	if err := writeAll(conn, head, stream, req.ContentLength); err != nil {
		n, _ := err.(*writeError)
		if reused && n != nil && n.written == 0 {
			return fail(&retryable{err: n.err, nothingWritten: true})
		}
		return fail(unwrapWrite(err))
	}
	c.lim.n = MaxHeaderBytes
	if _, err := c.br.Peek(1); err != nil {
		if reused && (err == io.EOF || isReset(err)) {
			return fail(&retryable{err: err})
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fail(c.headerErr(err))
	}
	var resp *http.Response
	for n1xx := 0; ; n1xx++ {
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			return fail(c.headerErr(err))
		}
		if code := r.StatusCode; code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			if n1xx == max1xx {
				return fail(errors.New("http1: too many 1xx informational responses"))
			}
			continue
		}
		resp = r
		break
	}
	c.lim.n = -1
	c.reused = true
	if resp.StatusCode == http.StatusSwitchingProtocols {
		// The connection is no longer HTTP, and this client does not hand it over (a load
		// test of upgraded protocols is not its job): the response is returned, the
		// connection closed.
		resp.Close = true
	}
	closing := resp.Close || req.Close
	if resp.Body == http.NoBody {
		c.finish(stop, closing, true)
		return resp, nil
	}
	b := &body{c: c, src: resp.Body, stop: stop, ctx: ctx, closing: closing}
	if gz && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		b.gzip = true
	}
	c.busy, c.resp = true, b
	resp.Body = b
	return resp, nil
}

// headerErr names the limit when the response's head is over it.
func (c *Client) headerErr(err error) error {
	if c.lim.n == 0 {
		return fmt.Errorf("http1: server response headers exceeded %d bytes; aborted", MaxHeaderBytes)
	}
	return err
}

// finish ends a response: the context watch stops; the connection is kept for the next
// request when the body was read to its end and neither side asked to close it.
func (c *Client) finish(stop func() bool, closing, complete bool) {
	if !stop() {
		// The context ended during the response: its watch has set the connection's
		// deadline in the past, or is about to, maybe after the next request has set its own.
		closing = true
	}
	c.busy, c.resp = false, nil
	if c.br != nil && c.br.Buffered() > 0 {
		// Bytes after the end of the response (a body with a HEAD or a 204, more than the
		// Content-Length): the connection is out of step, and the next request would take
		// them for the start of its response. net/http closes it too ("unsolicited response").
		closing = true
	}
	if closing || !complete {
		c.closeConn()
		return
	}
	c.idleSince = time.Now()
}

// useFallback says whether req goes to the fallback transport.
func (c *Client) useFallback(req *http.Request) (bool, error) {
	if req.URL == nil {
		return false, errors.New("http1: nil Request.URL")
	}
	if req.URL.Scheme != "http" {
		return true, nil
	}
	if req.URL.Host == "" {
		return false, errors.New("http1: no Host in request URL")
	}
	if c.Addr != "" && req.URL.Host != c.Addr && c.addrOf(req.URL) != c.Addr {
		return true, nil
	}
	if len(req.TransferEncoding) > 0 || req.Trailer != nil ||
		(req.ContentLength <= 0 && req.Body != nil && req.Body != http.NoBody) {
		return true, nil
	}
	if _, ok := req.Header["Expect"]; ok {
		// "Expect: 100-continue" asks to wait for the server's go-ahead before the body:
		// net/http does the waiting.
		return true, nil
	}
	if !ascii(req.URL.Host) || !ascii(req.Host) {
		// An internationalised name: net/http writes and dials its punycode form.
		return true, nil
	}
	if c.Proxy != nil {
		if req.URL.Host != c.proxyHost {
			u, err := c.Proxy(req)
			if err != nil {
				return false, err
			}
			c.proxyHost, c.proxied = req.URL.Host, u != nil
		}
		return c.proxied, nil
	}
	return false, nil
}

// encode writes the request's head (and its body, when small) into a pooled buffer; large
// says that the body is not in it (it is to be copied from req.Body after the head). gz says
// whether the client asked for gzip.
func (c *Client) encode(req *http.Request) (head *[]byte, large, gz bool, err error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validHost(host) {
		host = "" // as net/http: an invalid Host is not sent, nor truncated
	}
	host = removeZone(host)
	ruri := req.URL.RequestURI()
	if hasCTL(ruri) {
		return nil, false, false, errors.New("http1: can't write control character in Request.URL")
	}
	bp := getBuf()
	b := append((*bp)[:0], method...)
	b = append(b, ' ')
	b = append(b, ruri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	ua := "Go-http-client/1.1"
	if v, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(v) > 0 {
			ua = strings.TrimSpace(v[0])
		}
	}
	if ua != "" {
		b = append(b, "User-Agent: "...)
		b = append(b, ua...)
		b = append(b, "\r\n"...)
	}
	if req.Close {
		b = append(b, "Connection: close\r\n"...)
	}
	var n int64
	if hasBody {
		n = req.ContentLength
	}
	if n > 0 || (method != http.MethodGet && method != http.MethodHead) {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, "\r\n"...)
	}
	// The header in the order of its names, as net/http writes it: the same request is the
	// same bytes on the wire.
	names := make([]string, 0, 16)
	for name := range req.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		vs := req.Header[name]
		switch name {
		case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		case "Connection":
			if req.Close {
				continue
			}
		}
		for _, v := range vs {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, strings.TrimSpace(v)...)
			b = append(b, "\r\n"...)
		}
	}
	if !c.DisableCompression && method != http.MethodHead && len(req.Header["Accept-Encoding"]) == 0 &&
		len(req.Header["Range"]) == 0 {
		gz = true
		b = append(b, "Accept-Encoding: gzip\r\n"...)
	}
	b = append(b, "\r\n"...)
	if n > inlineBody {
		*bp = b
		return bp, true, gz, nil
	}
	if n > 0 {
		// A small body goes behind the head, read straight into the buffer: the request is
		// one write.
		b = slices.Grow(b, int(n))
		at := len(b)
		b = b[:at+int(n)]
		if _, err := io.ReadFull(req.Body, b[at:]); err != nil {
			*bp = b
			putBuf(bp)
			return nil, false, false, fmt.Errorf("http1: reading the request body: %w", err)
		}
	}
	*bp = b
	return bp, false, gz, nil
}

// inlineBody is the largest body copied behind the head, so that the request goes out in one
// write.
const inlineBody = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= 2*inlineBody {
		bufPool.Put(b)
	}
}

type writeError struct {
	err     error
	written int
}

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func unwrapWrite(err error) error {
	if we, ok := err.(*writeError); ok {
		return we.err
	}
	return err
}

// writeAll writes head then body; a failure says how much had been written.
func writeAll(conn net.Conn, head []byte, body io.Reader, size int64) error {
	n, err := conn.Write(head)
	if err == nil && body != nil {
		var m int64
		m, err = io.CopyN(conn, body, size)
		n += int(m)
		if err == io.EOF {
			err = fmt.Errorf("http1: the request body ended %d bytes short of its ContentLength", size-m)
		}
	}
	if err != nil {
		return &writeError{err: err, written: n}
	}
	return nil
}

// body is a response's body: it ends the response (keeps or closes the connection) when it
// is read to its end, fails or is closed.
type body struct {
	c         *Client
	src       io.ReadCloser
	stop      func() bool
	ctx       context.Context
	closing   bool
	done      bool // ended: read to its end, failed, closed or lost
	eof       bool // read to its end
	closed    bool // Close was called
	lost      bool // its connection was closed before it was done
	gzip      bool
	gzStarted bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		// As net/http's: io.EOF again after the end (readers such as bufio's read once
		// more), an error after Close.
		switch {
		case b.closed:
			return 0, errors.New("http1: read on closed response body")
		case b.eof:
			return 0, io.EOF
		case b.lost:
			return 0, errors.New("http1: read on a response body whose connection was closed (by the next request, or Close)")
		}
		return 0, errors.New("http1: read on a failed response body")
	}
	var n int
	var err error
	if b.gzip {
		n, err = b.readGzip(p)
	} else {
		n, err = b.src.Read(p)
	}
	if err == io.EOF {
		b.eof = true
		b.end(true)
		return n, io.EOF
	}
	if err != nil {
		b.end(false)
		err = ctxErr(b.ctx, err)
	}
	return n, err
}

func (b *body) readGzip(p []byte) (int, error) {
	c := b.c
	if !b.gzStarted {
		b.gzStarted = true
		var err error
		if c.gz == nil {
			c.gz, err = gzip.NewReader(b.src)
		} else {
			err = c.gz.Reset(b.src)
		}
		if err != nil {
			return 0, err
		}
	}
	n, err := c.gz.Read(p)
	if err == io.EOF {
		// The compressed stream ended: the body must end with it.
		var one [1]byte
		if m, rerr := b.src.Read(one[:]); m > 0 || rerr != io.EOF {
			if rerr == nil || rerr == io.EOF {
				rerr = errors.New("http1: data after the gzip stream")
			}
			return n, rerr
		}
	}
	return n, err
}

// end finishes the response once.
func (b *body) end(complete bool) {
	if b.done {
		return
	}
	b.done = true
	b.c.finish(b.stop, b.closing, complete)
}

// Close ends the response. A body not read to its end keeps its connection only when the
// rest is already in the read buffer (the connection cannot carry another request until the
// response is consumed, and waiting for the rest could take the request's whole timeout).
func (b *body) Close() error {
	b.closed = true
	if b.done {
		return nil
	}
	complete := false
	if !b.gzip && !b.closing && b.c.conn != nil && b.c.br.Buffered() > 0 {
		b.c.conn.SetReadDeadline(aLongTimeAgo) // past the buffer, no waiting
		_, err := io.Copy(io.Discard, b.src)
		complete = err == nil
	}
	b.end(complete)
	return nil
}

// limitedReader bounds what the response's head may read from the connection; n < 0: no
// bound.
type limitedReader struct {
	r net.Conn
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		return 0, errors.New("http1: response header too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

var aLongTimeAgo = time.Unix(1, 0)

// isReset: the server reset the connection (or it broke as the request went out).
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// replayable is net/http's rule for sending a request again on a new connection after the
// old one failed: a method without side effects, or an Idempotency-Key.
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, k1 := req.Header["Idempotency-Key"]
	_, k2 := req.Header["X-Idempotency-Key"]
	return k1 || k2
}

// addrOf is canonicalAddr, remembered for the last host: a user sends to the same one again
// and again, and the address is built once.
func (c *Client) addrOf(u *url.URL) string {
	if u.Host != c.addrHost || c.addrOfIt == "" {
		c.addrHost, c.addrOfIt = u.Host, canonicalAddr(u)
	}
	return c.addrOfIt
}

// canonicalAddr is the URL's host:port, the port defaulted for http.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// validate checks what net/http's Transport checks before sending: the method and every
// header's name and value (no CR or LF, which would let a header smuggle another). The error
// names the header, never its value (it may be a secret).
func validate(req *http.Request) error {
	if req.Method != "" && !validToken(req.Method) {
		return fmt.Errorf("http1: invalid method %q", req.Method)
	}
	if req.Header == nil {
		return errors.New("http1: nil Request.Header")
	}
	for name, vs := range req.Header {
		if !validToken(name) {
			return fmt.Errorf("http1: invalid header field name %q", name)
		}
		for _, v := range vs {
			if !validValue(v) {
				return fmt.Errorf("http1: invalid header field value for %q", name)
			}
		}
	}
	return nil
}

// validToken: RFC 9110's token (a method, a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

var tokenChar = charTable("!#$%&'*+-.^_`|~")

// charTable marks the ASCII letters, the digits and extra.
func charTable(extra string) (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range extra {
		t[c] = true
	}
	return t
}

// validValue: a field value has no control characters but horizontal tab (obs-text, bytes
// from 0x80, is allowed, as net/http allows it).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost is net/http's check of a Host header: the characters a host, a port, an IPv6
// literal and an IDNA name are written with.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c < 0x80 && !hostChar[c] {
			return false
		}
	}
	return true
}

var hostChar = charTable("!$&'()*+,;=:.-_~[]%")

// removeZone drops an IPv6 zone ("[fe80::1%en0]:80" → "[fe80::1]:80"), as RFC 6874 asks of
// a client.
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i := strings.LastIndex(host, "]")
	if i < 0 {
		return host
	}
	j := strings.LastIndex(host[:i], "%")
	if j < 0 {
		return host
	}
	return host[:j] + host[i:]
}

// peekWait bounds peekAlive's look at an idle connection.
const peekWait = 100 * time.Microsecond

// peekAlive says whether an idle connection is still open where a non-blocking peek is not
// at hand (alive_other.go): a read of one byte that waits peekWait finds nothing (its deadline
// passes). End of file (the server closed it), data (nothing is due on an idle connection)
// or an error all mean it cannot carry the next request. The caller sets the request's
// deadline after it.
func peekAlive(conn net.Conn, br *bufio.Reader) bool {
	if br.Buffered() > 0 {
		return false
	}
	if err := conn.SetReadDeadline(time.Now().Add(peekWait)); err != nil {
		return false
	}
	_, err := br.Peek(1)
	return errors.Is(err, os.ErrDeadlineExceeded)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Addr is the address a Client dials for a URL (host:port, the port defaulted for http): its
// Addr for a client that keeps its connection to that URL's host.
func Addr(u *url.URL) string { return canonicalAddr(u) }

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}
