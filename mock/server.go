package mock

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadplan/loadplan/pricing"
)

// ShutdownGrace is how long stopping a server waits for the requests in flight to finish
// before it closes their connections.
const ShutdownGrace = 10 * time.Second

// maxBodyBytes bounds a request body.
const maxBodyBytes = 8 << 20

// Server is the mock service. It is an http.Handler, so it also runs under httptest.
type Server struct {
	cfg      Config
	model    string
	prices   *pricing.Catalog
	modelsMu sync.Mutex
	models   atomic.Pointer[map[string]modelPrice] // copy-on-write cache of looked-up models
	eps      map[string]*endpoint
	dists    distCache
	users    atomic.Pointer[counters]
	inFlight atomic.Int64
	// workers holds a token per request being served when Config.Capacity limits them; nil
	// without a limit.
	workers chan struct{}
	limits  *rateLimiter // Config.RateLimit; nil without

	ledger *Ledger
	mux    *http.ServeMux

	tlsCert *tls.Certificate
	certPEM []byte
	pool    *x509.CertPool

	startOnce sync.Once
	url       string
	done      chan struct{} // closed when serving has ended
	serveErr  error         // why serving ended, when not because it was stopped
}

type modelPrice struct {
	price pricing.Price
	err   error
}

// endpoint is an Endpoint made ready to serve.
type endpoint struct {
	path   string
	cfg    Endpoint
	faults Faults
	tokens bool // bills tokens, counts against MaxInFlight and gets the config-wide faults
	input  *tokenDist
}

// New checks cfg and builds a server; it does not listen yet (see Start, Serve, ServeHTTP).
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mock config: %w", err)
	}
	m := newMetrics()
	s := &Server{cfg: cfg, model: cfg.Model, prices: cfg.Prices, ledger: newLedger(m), eps: map[string]*endpoint{}}
	m.watchInFlight(s.inFlight.Load)
	if cfg.Capacity > 0 {
		s.workers = make(chan struct{}, cfg.Capacity)
	}
	s.limits = newRateLimiter(cfg.RateLimit)
	if s.model == "" {
		s.model = DefaultModel
	}
	if s.prices == nil {
		s.prices = pricing.Default()
	}
	s.models.Store(&map[string]modelPrice{})
	if _, err := s.price(s.model); err != nil {
		return nil, fmt.Errorf("mock model: %w", err)
	}
	s.users.Store(&counters{})
	defaults := defaultEndpoints()
	for _, p := range Endpoints() {
		e, ok := cfg.Endpoints[p]
		if !ok {
			e = defaults[p]
		}
		ep := &endpoint{path: p, cfg: e, tokens: p != PathHealth && p != PathSession}
		switch {
		case e.Faults != nil:
			ep.faults = *e.Faults
		case ep.tokens:
			ep.faults = cfg.Faults
		}
		if ep.faults.RetryAfter == 0 {
			ep.faults.RetryAfter = DefaultRetryAfter
		}
		if ep.faults.SlowBodyDelay == 0 {
			ep.faults.SlowBodyDelay = DefaultSlowBodyDelay
		}
		restCap := int64(0)
		if e.MaxInputTokens > 0 {
			restCap = max(e.MaxInputTokens-e.CacheableTokens, 0)
		}
		ep.input = newTokenDist(e.InputTokens-e.CacheableTokens, e.InputCV, restCap)
		s.eps[p] = ep
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathHealth, s.handleHealth)
	mux.HandleFunc("POST "+PathSession, s.handleSession)
	for _, p := range []string{PathChatMessage, PathChatStream, PathDTEValidate, PathProjects} {
		mux.HandleFunc("POST "+p, s.handleService(s.eps[p]))
	}
	mux.HandleFunc("POST "+PathMessages, s.handleMessages)
	mux.HandleFunc("POST "+PathCompletions, s.handleCompletions)
	mux.Handle("GET "+PathMetrics, m.handler)
	mux.HandleFunc("GET "+PathLedger, s.handleLedger)
	mux.HandleFunc("POST "+PathReset, func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux = mux

	if cfg.TLS {
		if err := s.makeCert(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ServeHTTP serves the mock's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Ledger is what the server billed.
func (s *Server) Ledger() *Ledger { return s.ledger }

// Reset zeroes the ledger, the duration histograms and every user's request counter, so that
// the same requests get the same answers again (POST /_mock/reset).
func (s *Server) Reset() {
	s.ledger.Reset()
	s.users.Store(&counters{})
	if s.limits != nil {
		s.limits.reset()
	}
}

// URL is the server's base URL once Start has succeeded ("" before).
func (s *Server) URL() string { return s.url }

// CertPEM is the PEM of the server's self-signed certificate (nil without Config.TLS).
func (s *Server) CertPEM() []byte { return s.certPEM }

// CertPool is a pool that trusts the server's certificate (nil without Config.TLS).
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Client returns an HTTP client for the server: it trusts the certificate and speaks HTTP/2
// when Config.TLS is set, and keeps connections alive.
func (s *Server) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	if s.pool != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: s.pool}
		t.ForceAttemptHTTP2 = true
	}
	return &http.Client{Transport: t}
}

// Start listens on cfg.Addr (default: 127.0.0.1 on a free port) and serves in the background
// until ctx is done or stop is called. stop shuts down gracefully: it stops accepting, lets
// the requests in flight finish for up to ShutdownGrace, then closes what is left, and waits.
// It may be called more than once.
func Start(ctx context.Context, cfg Config) (url string, stop func(), err error) {
	s, err := New(cfg)
	if err != nil {
		return "", nil, err
	}
	return s.Start(ctx)
}

// Serve runs a mock in the foreground until ctx is done, then shuts it down gracefully.
func Serve(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Serve is Start, then waiting for ctx, then stop. It returns the error that ended serving,
// or nil when ctx ended it.
func (s *Server) Serve(ctx context.Context) error {
	_, stop, err := s.Start(ctx)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	stop()
	return s.serveErr
}

// Start is the package's Start for a server built with New. A server starts once.
func (s *Server) Start(ctx context.Context) (url string, stop func(), err error) {
	err = errors.New("mock: server already started")
	s.startOnce.Do(func() { url, stop, err = s.start(ctx) })
	return url, stop, err
}

func (s *Server) start(ctx context.Context) (string, func(), error) {
	addr := s.cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.WithoutCancel(ctx), "tcp", addr) // a done ctx stops it below
	if err != nil {
		return "", nil, fmt.Errorf("mock: listen: %w", err)
	}
	// Requests get a context that outlives ctx (stopping is graceful) and ends when the
	// server closes for good.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          log.New(io.Discard, "", 0), // a library never prints
	}
	scheme := "http"
	if s.tlsCert != nil {
		scheme = "https"
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*s.tlsCert}, NextProtos: []string{"h2", "http/1.1"}}
	}
	done := make(chan struct{})
	s.done = done
	go func() {
		defer close(done)
		var err error
		if s.tlsCert != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = fmt.Errorf("mock: serve: %w", err)
		}
	}()
	var once sync.Once
	stopped := make(chan struct{})
	stop := func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
			defer cancel()
			if srv.Shutdown(sctx) != nil {
				cancelBase()
				_ = srv.Close()
			}
			cancelBase()
			<-done
			close(stopped)
		})
		<-stopped
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-stopped:
		case <-done: // serving failed by itself; stop still cleans up when called
		}
	}()
	s.url = scheme + "://" + ln.Addr().String()
	return s.url, stop, nil
}

// makeCert generates a self-signed ECDSA certificate for the loopback names.
func (s *Server) makeCert() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("mock: tls key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return fmt.Errorf("mock: tls serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"loadplan mock"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("mock: tls certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("mock: tls certificate: %w", err)
	}
	s.tlsCert = &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	s.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	s.pool = x509.NewCertPool()
	s.pool.AddCert(leaf)
	return nil
}

// price looks model up once and remembers the answer.
func (s *Server) price(model string) (pricing.Price, error) {
	if mp, ok := (*s.models.Load())[model]; ok {
		return mp.price, mp.err
	}
	p, err := s.prices.Lookup(model)
	s.modelsMu.Lock()
	defer s.modelsMu.Unlock()
	old := *s.models.Load()
	if len(old) < 1024 { // a bound against bodies that invent a model per request
		m := make(map[string]modelPrice, len(old)+1)
		for k, v := range old {
			m[k] = v
		}
		m[model] = modelPrice{p, err}
		s.models.Store(&m)
	}
	return p, err
}

// scale applies Config.TimeScale to d.
func (s *Server) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.cfg.TimeScale)
}
