package mock

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// flavor is whose error shapes and rate-limit headers an endpoint uses.
type flavor uint8

const (
	flavorAnthropic flavor = iota // the service endpoints and /v1/messages
	flavorOpenAI                  // /v1/chat/completions
)

// fault is the fault drawn for one request; faultNone or one of Faults' fields, in order.
type fault uint8

const (
	faultNone fault = iota
	fault500
	fault502
	fault503
	faultRateLimited
	faultOverloaded
	faultSlowBody
	faultStreamCut
	faultStreamError
	faultReset
	faultInvalidJSON
	faultBreakerOpen
)

// draw picks at most one fault: one uniform draw walked along the cumulative rates, so each
// fault has exactly its rate and they exclude each other.
func (f *Faults) draw(r *rand.Rand) fault {
	u := r.Float64()
	for i, rate := range f.rates() {
		if u < rate {
			return fault(i + 1)
		}
		u -= rate
	}
	return faultNone
}

// call is one request being served: what it drew, and what it will record in the ledger when
// it finishes (in finish, deferred, which also runs when a handler aborts a stream by panic).
type call struct {
	s       *Server
	ep      *endpoint
	w       http.ResponseWriter
	r       *http.Request
	flavor  flavor
	start   time.Time
	rng     *rand.Rand
	status  string
	model   string        // prices billed; "" when nothing can be billed
	tier    string        // the service tier it is served at, canonical ("" standard)
	billed  pricing.Usage // what the request generated so far
	counted bool          // holds a place among the requests in flight
	working bool          // holds one of the Capacity workers
}

func (s *Server) begin(w http.ResponseWriter, r *http.Request, ep *endpoint, fl flavor) *call {
	return &call{s: s, ep: ep, w: w, r: r, flavor: fl, start: time.Now(), status: "200"}
}

// finish records the request in the ledger and the duration histogram.
func (c *call) finish() {
	var cost decimal.Decimal
	if !c.billed.IsZero() {
		p, _ := c.s.price(c.model) // the model was checked before anything was billed
		var err error
		if cost, err = p.Cost(c.billed); err != nil {
			// A service tier the catalog has no price for: the ledger bills the standard
			// rates (what a real provider would bill is unknown; the meter charges such a
			// response its reservation, flagged).
			std := c.billed
			std.ServiceTier = ""
			cost, _ = p.Cost(std)
		}
	}
	c.s.ledger.record(c.ep.path, c.status, c.model, c.billed, cost, time.Since(c.start))
	if c.working {
		<-c.s.workers
	}
	if c.counted { // last: once no request is in flight, the ledger has them all
		c.s.inFlight.Add(-1)
	}
}

// admit applies the concurrency limit of the token endpoints: past MaxInFlight requests in
// flight, 429 at once.
func (c *call) admit() bool {
	if !c.ep.tokens {
		return true
	}
	n := c.s.inFlight.Add(1)
	if limit := c.s.cfg.MaxInFlight; limit > 0 && n > int64(limit) {
		c.s.inFlight.Add(-1)
		c.rateLimited("concurrency limit of " + strconv.Itoa(limit) + " requests in flight reached")
		return false
	}
	c.counted = true
	return c.queue()
}

// queue waits for one of the Config.Capacity workers (at once without a limit); it reports
// false, the request gone (499), when the client left while it waited.
func (c *call) queue() bool {
	if c.s.workers == nil {
		return true
	}
	select {
	case c.s.workers <- struct{}{}:
		c.working = true
		return true
	default:
	}
	select {
	case c.s.workers <- struct{}{}:
		c.working = true
		return true
	case <-c.r.Context().Done():
		c.gone()
		return false
	}
}

// seed derives the request's random source from the user key and that user's counter.
func (c *call) seed(key string) {
	n := c.s.users.Load().next(key)
	c.rng = requestRand(c.s.cfg.Seed, key, n)
}

// decodeBody reads the body and decodes its JSON into v; on failure it has answered 400 (or
// 413) and returns false.
func (c *call) decodeBody(v any) bool {
	body, ok := c.readBody()
	if !ok {
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.badRequest("invalid JSON body: " + err.Error())
		return false
	}
	return true
}

func (c *call) readBody() ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.fail(http.StatusRequestEntityTooLarge, "request_too_large", "request body is larger than "+strconv.Itoa(maxBodyBytes)+" bytes", "")
		} else {
			c.status = StatusClientGone
		}
		return nil, false
	}
	return body, true
}

// sleep waits d, or until the request is abandoned; it reports whether the request goes on.
func (c *call) sleep(d time.Duration) bool {
	ctx := c.r.Context()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// gone notes that the client went away (or the server closed) mid-request.
func (c *call) gone() { c.status = StatusClientGone }

// plan is everything a token request drew, before it answers.
type plan struct {
	fault   fault
	latency time.Duration // scaled: the whole response
	ttft    time.Duration // scaled: a stream's first delta
	usage   pricing.Usage // what a complete answer bills
	clipped bool          // the output stopped at the body's max_tokens
	reply   reply
	bounds  []int // a stream's deltas: bounds[i] is how many tokens deltas 0..i hold
	cutAt   int   // a cut or failing stream stops after this many deltas
}

// drawPlan draws, in a fixed order, the request's fault, latency and tokens. prompt is the
// request's own input tokens (the provider endpoints, or InputTokensHeader) or -1 for a draw
// (the service endpoints); maxTokens is the body's, 0 when it gives none. The usage is at
// the request's service tier (pickTier).
func (c *call) drawPlan(prompt, maxTokens int64, openai, stream bool) *plan {
	ep, r := c.ep, c.rng
	p := &plan{fault: ep.faults.draw(r)}
	p.latency = c.s.scale(ep.cfg.Latency.draw(r))
	p.ttft = c.s.scale(ep.cfg.TTFT.draw(r))
	if !ep.tokens {
		return p
	}
	cacheable := ep.cfg.CacheableTokens
	if prompt < 0 {
		prompt = ep.input.draw(r)
	}
	hit := r.Float64() < ep.cfg.CacheHitRate
	long := r.Float64() < ep.cfg.CacheWrite1hShare
	u := pricing.Usage{Input: prompt, ServiceTier: c.tier}
	switch {
	case cacheable == 0:
	case hit:
		u.CacheRead = cacheable
	case openai: // OpenAI caches for free: a miss is plain input
		u.Input += cacheable
	case long:
		u.CacheWrite1h = cacheable
	default:
		u.CacheWrite5m = cacheable
	}
	limit := ep.cfg.MaxOutputTokens
	if maxTokens > 0 && (limit == 0 || maxTokens < limit) {
		limit = maxTokens
	}
	u.Output = c.s.dists.get(ep.cfg.OutputTokens, ep.cfg.OutputCV, limit).draw(r)
	if u.Output < 1 && ep.cfg.OutputTokens > 0 {
		u.Output = 1
	}
	p.clipped = maxTokens > 0 && u.Output >= maxTokens
	p.usage = u
	p.reply = newReply(r, u.Output)
	if stream {
		// Deltas of 8 to 16 tokens: a 400-token answer is about 33 events, not 400 writes.
		for at := 0; at < int(u.Output); {
			at = min(at+8+r.IntN(9), int(u.Output))
			p.bounds = append(p.bounds, at)
		}
		p.cutAt = 1 + r.IntN(max(len(p.bounds), 1))
		p.cutAt = min(p.cutAt, len(p.bounds))
	}
	return p
}

// interval is the delay between a stream's deltas, so that the stream lasts its latency.
func (p *plan) interval() time.Duration {
	if len(p.bounds) < 2 || p.latency <= p.ttft {
		return 0
	}
	return (p.latency - p.ttft) / time.Duration(len(p.bounds)-1)
}

// apiError is an error answer, in the flavor's shape.
type apiError struct {
	status    int
	typ, msg  string
	openaiTyp string // OpenAI's "type", when it differs from typ
	code      string // OpenAI's "code"
}

func (c *call) fail(status int, typ, msg, code string) {
	c.failWith(apiError{status: status, typ: typ, msg: msg, code: code})
}

func (c *call) failWith(e apiError) {
	c.status = statusKey(e.status)
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	var body []byte
	if c.flavor == flavorOpenAI {
		typ := e.typ
		if e.openaiTyp != "" {
			typ = e.openaiTyp
		}
		var code any
		if e.code != "" {
			code = e.code
		}
		body, _ = json.Marshal(map[string]any{"error": map[string]any{
			"message": e.msg, "type": typ, "param": nil, "code": code}})
	} else {
		body, _ = json.Marshal(map[string]any{"type": "error",
			"error": map[string]any{"type": e.typ, "message": e.msg}})
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(e.status)
	_, _ = c.w.Write(body)
}

func (c *call) badRequest(msg string) {
	c.fail(http.StatusBadRequest, "invalid_request_error", msg, "")
}

// rateLimited answers 429 with Retry-After and the provider's rate-limit headers.
func (c *call) rateLimited(msg string) {
	wait := c.s.scale(c.ep.faults.RetryAfter)
	secs := int(math.Ceil(wait.Seconds()))
	limit := "1000"
	if c.s.cfg.MaxInFlight > 0 {
		limit = strconv.Itoa(c.s.cfg.MaxInFlight)
	}
	h := c.w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	if c.flavor == flavorOpenAI {
		h.Set("retry-after-ms", strconv.FormatInt(wait.Milliseconds(), 10))
		h.Set("x-ratelimit-limit-requests", limit)
		h.Set("x-ratelimit-remaining-requests", "0")
		h.Set("x-ratelimit-reset-requests", wait.String())
		c.failWith(apiError{status: http.StatusTooManyRequests, typ: "rate_limit_error", openaiTyp: "requests",
			msg: "Rate limit reached: " + msg, code: "rate_limit_exceeded"})
		return
	}
	h.Set("anthropic-ratelimit-requests-limit", limit)
	h.Set("anthropic-ratelimit-requests-remaining", "0")
	h.Set("anthropic-ratelimit-requests-reset", time.Now().Add(wait).UTC().Format(time.RFC3339))
	c.fail(http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached: "+msg, "")
}

// StatusOverloaded is Anthropic's status for an overloaded API.
const StatusOverloaded = 529

// preOutputFault answers the faults that come before any output; it reports whether it did.
func (c *call) preOutputFault(p *plan) bool {
	switch p.fault {
	case fault500:
		c.failWith(apiError{status: 500, typ: "api_error", openaiTyp: "server_error",
			msg: "Internal server error"})
	case fault502:
		c.failWith(apiError{status: 502, typ: "api_error", openaiTyp: "server_error", msg: "Bad gateway"})
	case fault503:
		c.failWith(apiError{status: 503, typ: "api_error", openaiTyp: "server_error", msg: "Service unavailable"})
	case faultRateLimited:
		c.rateLimited("requests per minute")
	case faultOverloaded:
		if c.flavor == flavorOpenAI {
			c.failWith(apiError{status: 503, typ: "server_error",
				msg: "The engine is currently overloaded, please try again later"})
		} else {
			c.fail(StatusOverloaded, "overloaded_error", "Overloaded", "")
		}
	case faultReset:
		c.reset()
	case faultBreakerOpen:
		c.s.ledger.trip()
		c.failWith(apiError{status: 503, typ: "api_error", openaiTyp: "server_error", msg: "Circuit breaker open"})
	default:
		return false
	}
	return true
}

// reset closes the connection at once, with a TCP RST (SO_LINGER 0), before any output. On
// HTTP/2, where a connection cannot be taken over, it resets the stream instead.
func (c *call) reset() {
	c.status = StatusReset
	conn, _, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

// cut drops a stream's connection mid-way (HTTP/2: resets the stream). What it generated
// stays billed.
func (c *call) cut() { panic(http.ErrAbortHandler) }

// writeBilled writes a complete JSON answer: it bills what the plan generated, and applies
// the body faults (invalid JSON: the body without its last byte; a slow body: a pause in the
// middle).
func (c *call) writeBilled(p *plan, body []byte) {
	body = c.editUsage(body, "usage")
	if p.fault == faultInvalidJSON && len(body) > 0 {
		body = body[:len(body)-1]
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.billed = p.usage
	c.status = "200"
	c.w.WriteHeader(http.StatusOK)
	if p.fault == faultSlowBody && len(body) > 1 {
		half := len(body) / 2
		_, _ = c.w.Write(body[:half])
		_ = http.NewResponseController(c.w).Flush()
		if !c.sleep(c.s.scale(c.ep.faults.SlowBodyDelay)) {
			c.gone()
			return
		}
		body = body[half:]
	}
	if _, err := c.w.Write(body); err != nil {
		c.gone()
	}
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"' || ch == '\\':
			b = append(b, '\\', ch)
		case ch == '\n':
			b = append(b, '\\', 'n')
		case ch < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[ch>>4], hex[ch&0xf])
		default:
			b = append(b, ch)
		}
	}
	return append(b, '"')
}
