package livepage

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/loadplan/loadplan/report"
	"github.com/loadplan/loadplan/summary"
)

//go:embed page.html.tmpl app.js
var files embed.FS

var pageTemplate = template.Must(template.New("page.html.tmpl").ParseFS(files, "page.html.tmpl"))

// Options configure the page of one run.
type Options struct {
	// Token is the secret the buttons need (?token=); empty: the buttons are refused.
	Token                  string
	Plan, Scenario, Target string
	// Estimate is the scenario's estimate (loadplan.estimate/v1's scenario object).
	Estimate json.RawMessage
	// Users, when positive, is the closed model's number of users at the start: the page
	// offers to change it. 0: an open model, no user count.
	Users int
	// Stop asks for a graceful stop (as an interrupt); who says who asked.
	Stop func(who string)
	// SetUsers sets the closed model's number of users; its error is shown on the page.
	SetUsers func(n int, who string) error
}

// Server is the live page of one run; its methods are safe for concurrent use.
type Server struct {
	o Options

	mu       sync.Mutex
	live     report.Live
	frag     []byte // the fragment rendered for version fragOf
	fragOf   int
	version  int           // progress reports received
	changed  chan struct{} // closed at the next change
	final    []byte        // the final report, once the run is over
	stopText string        // the stop reason, once the run is over
	closed   bool
}

// New returns the page of a run.
func New(o Options) *Server {
	s := &Server{o: o, changed: make(chan struct{})}
	s.live.Plan, s.live.Scenario, s.live.Target, s.live.Estimate = o.Plan, o.Scenario, o.Target, o.Estimate
	return s
}

// NewToken returns a random token (128 bits, hexadecimal) for Options.Token.
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Update records a progress report and wakes the streams. It does not render (the streams
// do, when someone watches) and never blocks on a browser: call it from OnProgress.
func (s *Server) Update(p summary.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final != nil {
		return
	}
	s.live.Add(p)
	s.version++
	s.wakeLocked()
}

func (s *Server) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Finish shows the run's final report: the streams send "end" and the page reloads to it.
func (s *Server) Finish(sum *summary.Run) error {
	var b bytes.Buffer
	if err := report.WriteHTML(&b, sum); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.final = b.Bytes()
	s.stopText = strings.ReplaceAll(string(sum.StopReason), "_", " ")
	if sum.StopDetail != "" {
		s.stopText += ": " + sum.StopDetail
	}
	s.wakeLocked()
	return nil
}

// Close ends the event streams (before the HTTP server shuts down: they would hold it).
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.wakeLocked()
	}
}

// fragmentLocked is the fragment of the latest progress, rendered at most once per report.
func (s *Server) fragmentLocked() ([]byte, error) {
	if s.frag == nil || s.fragOf != s.version {
		var b bytes.Buffer
		if err := report.WriteLive(&b, &s.live); err != nil {
			return nil, err
		}
		s.frag, s.fragOf = b.Bytes(), s.version
	}
	return s.frag, nil
}

// Handler serves the page: GET / (the live page, or the final report once the run is
// over), GET /app.js, GET /events (the stream), POST /stop and POST /users?users=N (both
// with ?token=).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		b, _ := files.ReadFile("app.js")
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(b)
	})
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /stop", s.stop)
	mux.HandleFunc("POST /users", s.users)
	return secure(mux)
}

// secure sets headers that keep the page to itself: nothing is loaded from elsewhere, no
// other site may frame it.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

type pageView struct {
	Plan, Scenario, Target string
	CSS                    template.CSS
	Live                   template.HTML
	Users                  int
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	final := s.final
	var frag []byte
	var err error
	if final == nil {
		frag, err = s.fragmentLocked()
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if final != nil {
		w.Write(final)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	v := pageView{Plan: s.o.Plan, Scenario: s.o.Scenario, Target: s.o.Target, CSS: report.CSS(), Live: template.HTML(frag), Users: s.o.Users}
	if err := pageTemplate.Execute(w, v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// events streams the page's changing part: an "update" event with the HTML fragment at each
// progress report, and "end" with the stop reason when the run is over.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sent := -1
	for {
		s.mu.Lock()
		changed, version, final, closed, stopText := s.changed, s.version, s.final != nil, s.closed, s.stopText
		var frag []byte
		var err error
		if version != sent && !final && !closed {
			frag, err = s.fragmentLocked()
		}
		s.mu.Unlock()
		switch {
		case closed:
			return
		case final:
			writeEvent(w, "end", 0, []byte(stopText))
			rc.Flush()
			return
		case err != nil:
			writeEvent(w, "problem", 0, []byte(err.Error()))
		case frag != nil:
			writeEvent(w, "update", version, frag)
			sent = version
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
	}
}

// writeEvent writes one Server-Sent Event; each line of data is a data: field.
func writeEvent(w http.ResponseWriter, name string, id int, data []byte) {
	var b bytes.Buffer
	b.WriteString("event: " + name + "\n")
	if id > 0 {
		b.WriteString("id: " + strconv.Itoa(id) + "\n")
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	w.Write(b.Bytes())
}

// allowed says whether the request carries the token, compared in constant time; if not,
// it answers 403.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if s.o.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) != 1 {
		http.Error(w, "refused: this needs the token printed on the terminal that started the run (open the page with its ?token=)", http.StatusForbidden)
		return false
	}
	return true
}

// ended answers 409 when the run is over.
func (s *Server) ended(w http.ResponseWriter) bool {
	s.mu.Lock()
	over := s.final != nil
	s.mu.Unlock()
	if over {
		http.Error(w, "the run is over", http.StatusConflict)
	}
	return over
}

func who(r *http.Request) string { return "the web page (" + r.RemoteAddr + ")" }

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) || s.ended(w) {
		return
	}
	if s.o.Stop == nil {
		http.Error(w, "this run cannot be stopped from the page", http.StatusConflict)
		return
	}
	s.o.Stop(who(r))
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "stopping: no new requests; those in flight may finish")
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(w, r) || s.ended(w) {
		return
	}
	if s.o.SetUsers == nil || s.o.Users <= 0 {
		http.Error(w, "this run has no user count to change (open model)", http.StatusConflict)
		return
	}
	n, err := strconv.Atoi(r.URL.Query().Get("users"))
	if err != nil || n < 0 {
		http.Error(w, "users: give a whole number of users, 0 or more", http.StatusBadRequest)
		return
	}
	if err := s.o.SetUsers(n, who(r)); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	fmt.Fprintf(w, "users set to %d\n", n)
}
