package executor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
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

	"github.com/loadplan/loadplan/internal/http1"
	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/usage"
)

// Defaults of the HTTP layer.
const (
	// DefaultTimeout bounds a request when neither the request nor the plan's defaults set
	// one.
	DefaultTimeout = 60 * time.Second
	// MaxBodyBytes bounds a non-streamed response body that is read for checks, captures or
	// usage; a larger one is a failure, read no further. Past keptBodyBytes such a body is
	// decoded as it streams (bodystream.go), so its size does not weigh on memory.
	MaxBodyBytes = 16 << 20
	// maxRetryAfter caps the wait a Retry-After header may ask for.
	maxRetryAfter = 30 * time.Second
	// defaultBackoff is the first wait between two attempts without Retry-After; it doubles
	// with each attempt.
	defaultBackoff = 500 * time.Millisecond
)

// step is a plan step compiled for sending: templates parsed, paths compiled, its statistics
// row and its cost rule resolved.
type step struct {
	p      *plan.Step
	slo    plan.SLO // in force for its requests (plan.SLOFor)
	stat   *stat
	method string
	url    *tmpl // the full URL: the target's base and the path, or the step's absolute URL
	query  []kv
	// The request's headers: those whose value is fixed, with the defaults that apply, built
	// once (each request gets a copy of the map; the values are shared, never written), and
	// the templated ones, rendered per request in plan order.
	staticHeader http.Header
	headers      []dynHeader
	json         *jsonNode
	body         *tmpl
	staticBody   []byte // the body when it has no template (shared, never written)
	stream       bool
	timeout      time.Duration
	captures     []capture
	checks       []jsonCheck
	status       []int // the statuses that succeed; nil: any 2xx
	contains     []byte
	retryOn      []int
	cost         *pricer
	needJSON     bool // the body is decoded (captures, JSON checks, usage from the body)
	// usageOnly: nothing but the usage source reads the body, which decodes only what it
	// reads of it (usage.Source.DecodeUsage).
	usageOnly bool
	// secretHeaders are the step's templated secret headers, whose values are known only
	// per request (masked in its failures).
	secretHeaders []string
	// sel is what the step reads of a JSON body, for a body too large to keep (needJSON).
	sel  *usage.Selection
	need need // what an attempt takes from the rate limits (ratelimit.go)
}

type kv struct {
	name string
	val  *tmpl
}

// dynHeader is a templated header. Every one is rendered, in plan order (a {{seq}} or a data
// row is drawn even when a later header of the same name replaces it); only the last of a
// name (final) is sent, or its default when it renders empty (def).
type dynHeader struct {
	kv
	final bool
	def   string
}

type capture struct {
	name string
	path *jsonpath.Path
}

type jsonCheck struct {
	expr   string
	path   *jsonpath.Path
	op     string
	equals string
}

// compileStep prepares one plan step.
func (r *runner) compileStep(ps *plan.Step, task string) (*step, error) {
	p := r.cfg.Plan
	req := ps.Request
	s := &step{p: ps, method: req.Method, stream: req.Stream, timeout: req.Timeout,
		status: ps.Check.Status, retryOn: ps.Retry.On}
	if s.timeout == 0 {
		s.timeout = p.Defaults.Timeout
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	path := req.Path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		path = strings.TrimRight(r.cfg.Target, "/") + path
	} else {
		lit, _, templated := strings.Cut(path, "{{")
		if templated && !strings.Contains(lit[strings.Index(lit, "://")+3:], "/") {
			return nil, fmt.Errorf("%s: url %q: write the host out; a templated host cannot be checked against allowed_hosts", ps.Name, req.Path)
		}
		u, err := url.Parse(lit)
		if err != nil {
			return nil, fmt.Errorf("%s: url %q: %w", ps.Name, req.Path, err)
		}
		if err := CheckHost(p, u.Scheme+"://"+u.Host); err != nil {
			return nil, fmt.Errorf("%s: %w", ps.Name, err)
		}
	}
	var err error
	if s.url, err = compileTemplate(path, p.Data); err != nil {
		return nil, fmt.Errorf("%s: path: %w", ps.Name, err)
	}
	for _, q := range req.Query {
		t, err := compileTemplate(q.Value, p.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: query %s: %w", ps.Name, q.Name, err)
		}
		s.query = append(s.query, kv{q.Name, t})
	}
	var headers []kv
	for _, hs := range [][]plan.Header{p.Headers, req.Headers} {
		for _, h := range hs {
			t, err := compileTemplate(h.Value, p.Data)
			if err != nil {
				return nil, fmt.Errorf("%s: header %s: %w", ps.Name, h.Name, err)
			}
			name := http.CanonicalHeaderKey(h.Name)
			headers = append(headers, kv{name, t})
			if h.Secret && !t.static && !slices.Contains(s.secretHeaders, name) {
				s.secretHeaders = append(s.secretHeaders, name)
			}
		}
	}
	if req.JSON != nil {
		if s.json, err = compileJSON(req.JSON, p.Data); err != nil {
			return nil, fmt.Errorf("%s: json: %w", ps.Name, err)
		}
	} else if req.Body != "" {
		if s.body, err = compileTemplate(req.Body, p.Data); err != nil {
			return nil, fmt.Errorf("%s: body: %w", ps.Name, err)
		}
		if s.body.static {
			s.staticBody = []byte(s.body.lit)
		}
	}
	s.compileHeaders(headers)
	for _, c := range ps.Capture {
		path, err := jsonpath.Compile(c.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: capture %s: %w", ps.Name, c.Name, err)
		}
		s.captures = append(s.captures, capture{c.Name, path})
	}
	for _, c := range ps.Check.JSON {
		path, err := jsonpath.Compile(c.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: check %s: %w", ps.Name, c.Path, err)
		}
		s.checks = append(s.checks, jsonCheck{expr: c.Path, path: path, op: c.Op, equals: c.Equals})
	}
	if ps.Check.Contains != "" {
		s.contains = []byte(ps.Check.Contains)
	}
	if s.cost, err = r.compileCost(ps); err != nil {
		return nil, err
	}
	bodyUsage := s.cost.src != nil && s.cost.src.ReadsBody()
	s.needJSON = len(s.captures) > 0 || len(s.checks) > 0 || bodyUsage
	s.usageOnly = len(s.captures) == 0 && len(s.checks) == 0 && bodyUsage
	if s.needJSON {
		s.sel = s.selection()
	}
	s.need = needOf(ps.Expect, p.RateLimit.CacheReadsCount)
	s.stat = newStat(ps.Name, req.Method, task, s.cost.source)
	return s, nil
}

// CheckHost refuses a target whose host is neither loopback, the plan's own target host nor
// one of its allowed_hosts.
func CheckHost(p *plan.Plan, target string) error {
	if strings.HasPrefix(target, "mock://") {
		return nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not a base URL; valid: http://HOST[:PORT], https://HOST[:PORT], mock://", target)
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if pu, err := url.Parse(p.Target); err == nil && pu.Hostname() != "" && strings.EqualFold(pu.Hostname(), host) {
		return nil
	}
	for _, h := range p.AllowedHosts {
		if strings.EqualFold(h, host) || strings.EqualFold(h, u.Host) {
			return nil
		}
	}
	allowed := append([]string{"loopback"}, p.AllowedHosts...)
	return fmt.Errorf("host %s is not allowed by the plan; allowed: %s (add it to allowed_hosts)", host, strings.Join(allowed, ", "))
}

// prepared is one request rendered from its step: sent once per attempt.
type prepared struct {
	url    string
	header http.Header
	body   []byte
}

// userHeader names the user a request is sent for; it replaces any header of that name.
const userHeader = "X-Loadplan-User"

// compileHeaders splits a step's headers (in plan order, names canonical) into the fixed
// ones, built once with the defaults that apply (User-Agent; Content-Type for a JSON body;
// Accept for a stream: each when the plan sets none, or sets it empty), and the templated
// ones.
func (s *step) compileHeaders(headers []kv) {
	defaults := map[string]string{"User-Agent": userAgent}
	if s.json != nil {
		defaults["Content-Type"] = "application/json"
	}
	if s.stream {
		defaults["Accept"] = "text/event-stream"
	}
	last := map[string]int{}
	for i, h := range headers {
		last[h.name] = i
	}
	s.staticHeader = make(http.Header, len(last)+len(defaults))
	for i, h := range headers {
		final := last[h.name] == i && h.name != userHeader
		if !h.val.static {
			s.headers = append(s.headers, dynHeader{kv: h, final: final, def: defaults[h.name]})
		} else if final {
			v := h.val.lit
			if v == "" && defaults[h.name] != "" {
				v = defaults[h.name]
			}
			s.staticHeader[h.name] = []string{v}
		}
	}
	for name, v := range defaults {
		if _, set := last[name]; !set {
			s.staticHeader[name] = []string{v}
		}
	}
}

func (r *runner) prepare(s *step, rc *renderCtx) prepared {
	var pr prepared
	if s.url.static && len(s.query) == 0 {
		pr.url = s.url.lit
	} else {
		buf := s.url.appendTo(make([]byte, 0, 128), rc)
		for i, q := range s.query {
			if i == 0 {
				buf = append(buf, '?')
			} else {
				buf = append(buf, '&')
			}
			buf = append(buf, url.QueryEscape(q.name)...)
			buf = append(buf, '=')
			buf = append(buf, url.QueryEscape(q.val.render(rc))...)
		}
		pr.url = string(buf)
	}
	// A copy of the fixed headers: net/http reads a request's header map and never writes
	// it, nor the value slices shared with the step.
	pr.header = maps.Clone(s.staticHeader)
	for i := range s.headers {
		h := &s.headers[i]
		v := h.val.render(rc)
		if !h.final {
			continue
		}
		if v == "" && h.def != "" {
			v = h.def
		}
		pr.header[h.name] = []string{v}
	}
	pr.header[userHeader] = rc.u.idHeader
	switch {
	case s.json != nil && s.json.raw != nil:
		pr.body = s.json.raw
	case s.json != nil:
		pr.body = s.json.encode(make([]byte, 0, 256), rc)
	case s.staticBody != nil:
		pr.body = s.staticBody
	case s.body != nil:
		pr.body = s.body.appendTo(nil, rc)
	}
	return pr
}

const userAgent = "loadplan"

// outcome is what one attempt gave.
type outcome struct {
	res        result
	status     int
	body       any  // the decoded JSON body; nil when not decoded
	responded  bool // a response (status line) arrived
	sent       bool // the request may have reached the server (not refused before it)
	refused    bool // the connection could not be opened (refused, no such host)
	errClass   string
	retryAfter time.Duration
	sentAt     time.Time
	// usage as read from the response
	report    usage.Report
	reportErr error
	streamed  bool
	// complete: the response was read to its end (a stream: its own end event, when its
	// source parses streams)
	complete bool
}

// bodyReader is a pooled buffer for a body read whole, with its bound.
type bodyReader struct {
	buf bytes.Buffer
	lr  io.LimitedReader
}

var bodyPool = sync.Pool{New: func() any { return new(bodyReader) }}

// send makes one attempt of a prepared request and reads its response.
func (r *runner) send(u *user, s *step, pr *prepared) (o outcome) {
	ctx, cancel := context.WithTimeout(withRedirectRule(r.abortCtx, s), s.timeout)
	defer cancel()
	var body io.Reader
	if pr.body != nil {
		body = bytes.NewReader(pr.body)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, pr.url, body)
	if err != nil {
		o.res.failure = "invalid request: " + err.Error()
		return o
	}
	req.Header = pr.header
	start := time.Now()
	o.sentAt = start
	resp, err := u.client.Do(req)
	if err != nil {
		o.res.latency = time.Since(start)
		o.res.failure, o.refused = r.classify(ctx, err)
		o.sent = !o.refused
		return o
	}
	o.sent, o.responded, o.status = true, true, resp.StatusCode
	r.anyResponse.Store(true)
	defer resp.Body.Close()
	r.rates.observe(resp.Header)
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		o.retryAfter = parseRetryAfter(ra, time.Now())
	}
	ok := s.statusOK(resp.StatusCode)
	parsed := false // the usage was read from the stream's events
	if isEventStream(resp.Header.Get("Content-Type")) {
		parsed = r.readStream(ctx, s, resp, start, &o)
	} else {
		r.readBody(ctx, s, resp, ok, &o)
	}
	if src := s.cost.src; src != nil && !parsed {
		o.report, o.reportErr = src.Read(resp.Header, o.body)
	}
	o.res.latency = time.Since(start)
	if !ok {
		o.res.failure = statusFailure(resp.StatusCode, s.status)
	}
	o.res.rateLimited = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == 529
	return o
}

// isEventStream reports whether a Content-Type is text/event-stream, as mime.ParseMediaType
// reads it (type case-insensitive, spaces around it, parameters after a semicolon), without
// its allocations for the common case: a type alone is compared in place; one with
// parameters that names the stream is parsed (a malformed parameter list makes it no
// stream).
func isEventStream(ct string) bool {
	base, _, params := strings.Cut(ct, ";")
	base = strings.TrimSpace(base)
	const es = "text/event-stream"
	if len(base) != len(es) {
		return false
	}
	for i := range len(es) {
		c := base[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != es[i] {
			return false
		}
	}
	if !params {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == es
}

func (s *step) statusOK(code int) bool {
	if len(s.status) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(s.status, code)
}

func statusFailure(code int, want []int) string {
	switch code {
	case http.StatusTooManyRequests:
		return "HTTP 429 (rate limited)"
	case 529:
		return "HTTP 529 (overloaded)"
	}
	if len(want) > 0 && code >= 200 && code < 300 {
		ws := make([]string, len(want))
		for i, w := range want {
			ws[i] = strconv.Itoa(w)
		}
		return fmt.Sprintf("HTTP %d (expected %s)", code, strings.Join(ws, ", "))
	}
	return "HTTP " + strconv.Itoa(code)
}

// readBody reads a non-streamed body once, decodes it if anything needs it, and runs the
// checks on it (the caller runs the usage source and the captures).
func (r *runner) readBody(ctx context.Context, s *step, resp *http.Response, ok bool, o *outcome) {
	if !s.needJSON && s.contains == nil {
		// Nothing reads the body: count it as it goes by, whatever its size.
		n, err := io.Copy(io.Discard, resp.Body)
		o.res.size = n
		if err != nil {
			o.res.failure, _ = r.classify(ctx, err)
			return
		}
		o.complete = true
		return
	}
	br := bodyPool.Get().(*bodyReader)
	buf := &br.buf
	buf.Reset()
	defer func() {
		br.lr.R = nil
		if buf.Cap() <= 1<<20 {
			bodyPool.Put(br)
		}
	}()
	br.lr = io.LimitedReader{R: resp.Body, N: keptBodyBytes + 1}
	n, err := buf.ReadFrom(&br.lr)
	o.res.size = n
	if err != nil {
		o.res.failure, _ = r.classify(ctx, err)
		return
	}
	var v any
	var decErr error
	decoded := s.needJSON && n > 0
	contained := true
	if n > keptBodyBytes {
		// Too large to keep: the rest streams by, and only what the step reads is kept.
		v, decErr, contained, o.res.size, err = readLarge(s, buf.Bytes(), resp.Body)
		if err != nil {
			o.res.failure, _ = r.classify(ctx, err)
			return
		}
		if o.res.size > MaxBodyBytes {
			// Read no further; what it said is not used (a 2xx is charged its reservation).
			o.res.failure = fmt.Sprintf("response body over %d MiB", MaxBodyBytes>>20)
			return
		}
	} else {
		b := buf.Bytes()
		if decoded {
			if s.usageOnly {
				v, decErr = s.cost.src.DecodeUsage(b)
			} else {
				v, decErr = usage.DecodeBody(b)
			}
		}
		contained = s.contains == nil || bytes.Contains(b, s.contains)
	}
	o.complete = true
	if decoded {
		switch {
		case decErr == nil:
			o.body = v
		case !ok:
		case errors.Is(decErr, errValueTooLarge):
			o.res.failure = fmt.Sprintf("response value over %d KiB (a value that a check, a capture or the usage reads)", maxValueBytes>>10)
		default:
			o.res.failure = "invalid JSON"
		}
	}
	if !ok || o.res.failure != "" {
		return
	}
	if s.needJSON && o.body == nil && len(s.checks) > 0 {
		o.res.failure = "invalid JSON"
		return
	}
	for _, c := range s.checks {
		if msg, got := c.run(o.body); msg != "" {
			o.res.failure, o.res.failureSample = "check failed: "+msg, got
			return
		}
	}
	if !contained {
		o.res.failure = fmt.Sprintf("check failed: body does not contain %q", s.contains)
	}
}

// readStream reads a server-sent-event stream as it arrives, with the usage parser of the
// step's source; the time to first token ends at its first content event (at the first event
// when the step's usage source does not parse streams). parsed: the source parses streams,
// and o.report is what the stream said.
func (r *runner) readStream(ctx context.Context, s *step, resp *http.Response, start time.Time, o *outcome) (parsed bool) {
	o.streamed = true
	var parser usage.Stream
	if s.cost.src != nil {
		parser = s.cost.src.NewStream()
	}
	dec := sse.NewDecoder(resp.Body)
	for dec.Next() {
		ev := dec.Event()
		if parser == nil {
			if o.res.ttft == 0 {
				o.res.ttft = max(time.Since(start), time.Microsecond)
			}
			continue
		}
		if err := parser.Add(ev); err != nil && o.reportErr == nil {
			o.reportErr = err
		}
		if o.res.ttft == 0 && parser.FirstContent() {
			o.res.ttft = max(time.Since(start), time.Microsecond)
		}
	}
	o.res.size = dec.BytesRead()
	readErr := dec.Err()
	if parser != nil {
		// A stream that ended is complete even when its final usage lacks a bucket: that is
		// the service's omission (charged at its bound, flagged incomplete), not a cut.
		o.report = parser.Report()
		o.complete = parser.Ended() && parser.Err() == nil
	} else {
		o.complete = readErr == nil
	}
	if !s.statusOK(resp.StatusCode) {
		return parser != nil
	}
	var se *usage.StreamError
	switch {
	case parser != nil && errors.As(parser.Err(), &se):
		o.res.failure = "stream error: " + se.Type
	case parser != nil && parser.Err() != nil:
		o.res.failure = "stream error"
	case readErr != nil && (ctx.Err() != nil || errors.Is(readErr, context.DeadlineExceeded) || errors.Is(readErr, os.ErrDeadlineExceeded)):
		o.res.failure, _ = r.classify(ctx, readErr)
	case errors.Is(readErr, sse.ErrLineTooLong):
		// The stream is not cut: the decoder refused a line it would have to hold whole.
		o.res.failure = fmt.Sprintf("SSE line over %d MiB", sse.MaxLineBytes>>20)
	case errors.Is(readErr, sse.ErrEventTooLarge):
		o.res.failure = fmt.Sprintf("SSE event over %d MiB", sse.MaxLineBytes>>20)
	case !o.complete:
		// (A stream that ended as it should without its usage, such as OpenAI's without
		// stream_options.include_usage, is not cut: its cost is charged unreported.)
		o.res.failure = "stream cut"
	}
	return parser != nil
}

// run checks one JSON path; it returns "" when the check passes, else what failed, named by
// the check alone (the failures table's key), and the value met, if any (an example).
func (c *jsonCheck) run(body any) (msg, got string) {
	v, ok := c.path.Get(body)
	switch c.op {
	case "exists":
		if !ok {
			return c.expr + " missing", ""
		}
	case "absent":
		if ok {
			return c.expr + " present", ""
		}
	default:
		if !ok {
			return c.expr + " missing", ""
		}
		if got := valueText(v); got != c.equals {
			// (Shortened once its secrets are masked: a cut key would leak its start.)
			return c.expr + " expected " + c.equals, got
		}
	}
	return "", ""
}

// valueText is the text of a decoded JSON value as a plan would write it: strings bare,
// numbers as written, true/false/null, other values as JSON.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// classify names a transport error as the failures table shows it. refused is true when the
// request cannot have reached the server.
func (r *runner) classify(ctx context.Context, err error) (msg string, refused bool) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case r.abortCtx.Err() != nil:
		return "aborted", false
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout", false
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.As(err, &dnsErr):
		return "no such host: " + dnsErr.Name, true
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "TLS: " + unwrapURLError(err), true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.EPIPE):
		return "connection reset", false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout", false
	}
	msg = unwrapURLError(err)
	if strings.Contains(msg, "stream error") || strings.Contains(msg, "RST_STREAM") || strings.Contains(msg, "connection reset") {
		return "connection reset", false
	}
	return msg, false
}

func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// parseRetryAfter reads a Retry-After header (seconds or an HTTP date), capped.
func parseRetryAfter(v string, now time.Time) time.Duration {
	var d time.Duration
	if secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
		if secs < 0 || secs != secs { // NaN is not a wait
			return 0
		}
		d = toDuration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// Each HTTP/1 connection has a read buffer (net/http's pooled ones a write buffer too), 4 KiB
// by default. With many connections they are much of the generator's memory (10,000 users:
// 10,000 connections, 40 MB of read buffers, and as much again of the garbage collector's
// headroom), so a run of more than ManyConnections users (or requests in flight) gets
// smallConnBuffer-byte buffers. Nothing is lost but read and write calls: a response larger
// than the buffer is read in more than one read (past the buffer the body goes straight to its
// reader), a header line longer than it is put together by the header reader, an SSE line by
// the SSE decoder's own buffer, and a request larger than it is written in more than one
// write.
const (
	ManyConnections = 1024 // users or requests in flight
	smallConnBuffer = 1024
)

func connBufferSize(concurrency int) int {
	if concurrency > ManyConnections {
		return smallConnBuffer
	}
	return 0 // the default, 4 KiB
}

// maxPEMBytes bounds a CA bundle, a certificate or a key file (the system's bundle is 200 KB).
const maxPEMBytes = 16 << 20

// newClient builds the shared HTTP client of a run: one tuned transport, for https (HTTP/2
// and TLS), proxied requests and the Prometheus scrapes; plain-HTTP requests go over each
// user's own connection (userClient).
func newClient(cfg *Config, concurrency int) (*http.Client, error) {
	if cfg.Client != nil {
		return cfg.Client, nil
	}
	tc := &tls.Config{InsecureSkipVerify: cfg.TLS.Insecure} //nolint:gosec // only when asked for
	if cfg.TLS.CAFile != "" {
		pem, _, err := inputfile.Read(cfg.TLS.CAFile, maxPEMBytes)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", cfg.TLS.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.TLS.CertFile != "" || cfg.TLS.KeyFile != "" {
		if cfg.TLS.CertFile == "" || cfg.TLS.KeyFile == "" {
			return nil, fmt.Errorf("a client certificate needs both the certificate and the key file")
		}
		certPEM, _, err := inputfile.Read(cfg.TLS.CertFile, maxPEMBytes)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		keyPEM, _, err := inputfile.Read(cfg.TLS.KeyFile, maxPEMBytes)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	bufSize := connBufferSize(concurrency)
	tr := &http.Transport{
		ReadBufferSize:        bufSize,
		WriteBufferSize:       bufSize,
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tc,
		MaxIdleConns:          0, // no limit across hosts
		MaxIdleConnsPerHost:   max(concurrency+16, 64),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect(cfg.Plan)}, nil
}

var dialer = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}

// userClient is a user's HTTP client: its own HTTP/1.1 connection to the target
// (internal/http1: read and written by the user's goroutine, no pool, no goroutines of its
// own), as a Locust or k6 user has, with the shared client's transport for what it does not
// speak (https, proxies) and for the other hosts a plan's steps name (their connections
// pooled), and the shared client's redirect rule. conn is nil when the client is the shared one (a
// Config.Client given by a test).
func (r *runner) userClient() (client *http.Client, conn *http1.Client) {
	if r.cfg.Client != nil {
		return r.client, nil
	}
	conn = &http1.Client{Dial: dialer.DialContext, Fallback: r.client.Transport, Proxy: http.ProxyFromEnvironment,
		ReadBufferSize: r.connBuf, Addr: r.connAddr}
	return &http.Client{Transport: conn, CheckRedirect: r.client.CheckRedirect}, conn
}
