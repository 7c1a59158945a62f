package livepage_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/livepage"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
)

const testPlan = `version: 1
name: live
target: TARGET
tasks:
  hello: {request: {path: /hello}, price: 0.001}
scenarios:
  s: {users: 1, duration: 2m, wait: {constant: 50ms}}
`

// liveRun is a run of testPlan against an httptest target, with its page served by an
// httptest server: Stop cancels the run as an interrupt does, SetUsers goes to its Control.
type liveRun struct {
	page  *livepage.Server
	url   string // the page's base URL
	token string
	done  chan *summary.Run
}

func startRun(t *testing.T) *liveRun {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	t.Cleanup(target.Close)
	p, err := plan.Parse(filepath.Join(t.TempDir(), "plan.yaml"), []byte(strings.ReplaceAll(testPlan, "TARGET", target.URL)),
		plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	sc := p.Scenario("s")
	bounds := map[*plan.Step]pricing.Bound{}
	for _, tk := range p.Tasks {
		for _, st := range tk.Steps {
			bounds[st] = pricing.Bound{Cost: st.Cost.Price}
		}
	}
	token, err := livepage.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ctrl := executor.NewControl()
	var once sync.Once
	page := livepage.New(livepage.Options{Token: token, Plan: p.Name, Scenario: sc.Name, Target: target.URL, Users: sc.Users,
		Stop: func(who string) {
			once.Do(func() {
				ctrl.Note(summary.EventStop, "stop asked for by "+who)
				cancel()
			})
		},
		SetUsers: ctrl.SetUsers})
	srv := httptest.NewServer(page.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(page.Close)
	lr := &liveRun{page: page, url: srv.URL, token: token, done: make(chan *summary.Run, 1)}
	cfg := executor.Config{Plan: p, Scenario: sc, Target: target.URL, Catalog: pricing.Default(), Ledger: meter.New(nil),
		Bounds: bounds, Seed: 1, StopTimeout: 5 * time.Second, OnProgress: page.Update, Control: ctrl}
	go func() {
		s, err := executor.Run(ctx, cfg)
		if err != nil {
			t.Error(err)
			close(lr.done)
			return
		}
		page.Finish(s)
		lr.done <- s
	}()
	return lr
}

// stream reads Server-Sent Events.
type stream struct {
	sc   *bufio.Scanner
	body interface{ Close() error }
}

func openStream(t *testing.T, url string) *stream {
	t.Helper()
	res, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	return &stream{sc: sc, body: res.Body}
}

// next is the next event's name and data; "" at the end of the stream.
func (s *stream) next() (name, data string) {
	var lines []string
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if name != "" {
				return name, strings.Join(lines, "\n")
			}
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			lines = append(lines, strings.TrimPrefix(line, "data: "))
		}
	}
	return "", ""
}

// until reads events until one whose data has want, for at most n events.
func (s *stream) until(t *testing.T, n int, want string) string {
	t.Helper()
	for range n {
		name, data := s.next()
		if name == "" {
			t.Fatalf("the stream ended before %q", want)
		}
		if strings.Contains(data, want) {
			return data
		}
	}
	t.Fatalf("%d events and none with %q", n, want)
	return ""
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	return res.StatusCode, b.String()
}

// TestLivePage runs a scenario with its page: the stream delivers the progress; the user
// count and the stop need the token (403 without, or with a wrong one); with it, the users
// change and the run stops (interrupted), and both are events of the summary; the stream
// then ends and the page is the final report.
func TestLivePage(t *testing.T) {
	t.Parallel()
	lr := startRun(t)
	page, err := http.Get(lr.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || page.StatusCode != 200 {
		t.Errorf("GET /: %d, CSP %q", page.StatusCode, csp)
	}
	ev := openStream(t, lr.url)
	ev.until(t, 10, "GET</span> hello")
	ev.until(t, 10, "1 users")

	for _, q := range []string{"?x=1", "?token=", "?token=wrong", "?token=" + lr.token[:len(lr.token)-1]} {
		if code, _ := post(t, lr.url+"/users"+q+"&users=3"); code != http.StatusForbidden {
			t.Errorf("users%s: %d, want 403", q, code)
		}
		if code, _ := post(t, lr.url+"/stop"+q); code != http.StatusForbidden {
			t.Errorf("stop%s: %d, want 403", q, code)
		}
	}
	if code, body := post(t, lr.url+"/users?token="+lr.token+"&users=lots"); code != http.StatusBadRequest {
		t.Errorf("users=lots: %d %s", code, body)
	}
	if code, body := post(t, lr.url+"/users?token="+lr.token+"&users=3"); code != http.StatusOK {
		t.Fatalf("users=3 with the token: %d %s", code, body)
	}
	ev.until(t, 10, "3 users")
	select {
	case <-lr.done:
		t.Fatal("the run ended before the stop")
	default:
	}
	if code, body := post(t, lr.url+"/stop?token="+lr.token); code != http.StatusAccepted {
		t.Fatalf("stop with the token: %d %s", code, body)
	}
	var s *summary.Run
	select {
	case s = <-lr.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop within 30 s of the stop")
	}
	if s == nil {
		t.Fatal("no summary")
	}
	if s.StopReason != summary.StopInterrupted || s.StopReason.ExitCode(s.Pass) != 130 {
		t.Errorf("stop reason %s", s.StopReason)
	}
	if len(s.Events) != 2 || s.Events[0].Kind != summary.EventUsers || *s.Events[0].Users != 3 || s.Events[1].Kind != summary.EventStop ||
		!strings.Contains(s.Events[1].Detail, "the web page (127.0.0.1:") {
		t.Errorf("events %+v", s.Events)
	}
	ev.until(t, 10, "interrupted")
	if name, _ := ev.next(); name != "" {
		t.Errorf("the stream goes on after the end: %s", name)
	}
	res, err := http.Get(lr.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	final := false
	for sc.Scan() {
		final = final || strings.Contains(sc.Text(), "loadplan run report")
	}
	if !final {
		t.Error("after the run, / is not the final report")
	}
	if code, _ := post(t, lr.url+"/stop?token="+lr.token); code != http.StatusConflict {
		t.Errorf("stop after the end: %d, want 409", code)
	}
}

// TestOpenModelUsers: an open-model page has no user count to change.
func TestOpenModelUsers(t *testing.T) {
	t.Parallel()
	page := livepage.New(livepage.Options{Token: "secret", Stop: func(string) {}})
	srv := httptest.NewServer(page.Handler())
	defer srv.Close()
	if code, _ := post(t, srv.URL+"/users?token=secret&users=3"); code != http.StatusConflict {
		t.Errorf("users in an open model: %d, want 409", code)
	}
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `id="users"`) {
			t.Error("an open-model page offers a user count")
		}
	}
}

// TestNoToken: a page with no token refuses the buttons even to an empty token.
func TestNoToken(t *testing.T) {
	t.Parallel()
	stopped := false
	page := livepage.New(livepage.Options{Stop: func(string) { stopped = true }})
	srv := httptest.NewServer(page.Handler())
	defer srv.Close()
	if code, _ := post(t, srv.URL+"/stop?token="); code != http.StatusForbidden || stopped {
		t.Errorf("stop with an empty token on a page without one: %d, stopped %v", code, stopped)
	}
}
