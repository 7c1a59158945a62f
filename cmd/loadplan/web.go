package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/loadplan/loadplan/executor"
	"github.com/loadplan/loadplan/livepage"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/spf13/pflag"
)

// defaultWebAddr is where --web alone serves the live page: loopback only.
const defaultWebAddr = "127.0.0.1:8089"

// webFlags are run's --web and --web-linger.
type webFlags struct {
	addr   string
	linger time.Duration
}

func (f *webFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "web", "", "serve a live web page of the run; --web alone: "+defaultWebAddr+" (loopback), another address as --web=ADDR")
	fs.Lookup("web").NoOptDefVal = defaultWebAddr
	fs.DurationVar(&f.linger, "web-linger", 0, "after the run, keep serving its final report on the --web page this long (Ctrl-C ends it); 0: exit at once")
}

// webPage is the live page of a run being served.
type webPage struct {
	page  *livepage.Server
	srv   *http.Server
	url   string
	ctrl  *executor.Control
	stops chan string // who asked for a stop, as an interrupt
	done  chan struct{}
}

// startWeb serves the live page of scenario sc at f.addr (exit 5 when it cannot listen) and
// prints its URL, with the token that lets the page stop the run or change its users.
func startWeb(streams *IO, f webFlags, p *plan.Plan, sc *plan.Scenario, target string, est json.RawMessage) (*webPage, error) {
	if f.linger < 0 {
		return nil, usageError("--web-linger %s: give 0 or a positive duration", f.linger)
	}
	if f.addr == "" {
		return nil, nil
	}
	token, err := livepage.NewToken()
	if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("--web: %w", err))
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("--web: %w", err))
	}
	w := &webPage{ctrl: executor.NewControl(), stops: make(chan string, 1), done: make(chan struct{})}
	users := 0
	if !sc.Open() {
		users = sc.MaxUsers()
	}
	w.page = livepage.New(livepage.Options{Token: token, Plan: p.Name, Scenario: sc.Name, Target: plan.RedactURL(target), Estimate: est,
		Users: users, SetUsers: w.ctrl.SetUsers,
		Stop: func(who string) {
			select {
			case w.stops <- who:
			default: // a stop is already on its way
			}
		}})
	w.srv = &http.Server{Handler: w.page.Handler(), ReadHeaderTimeout: 10 * time.Second}
	w.url = "http://" + ln.Addr().String() + "/?token=" + token
	go func() {
		defer close(w.done)
		w.srv.Serve(ln)
	}()
	fmt.Fprintf(streams.ErrOut, "live page: %s (its token lets the page stop the run or change its users)\n", w.url)
	return w, nil
}

// stopRequests delivers who asked the page for a stop; nil without a page.
func (w *webPage) stopRequests() <-chan string {
	if w == nil {
		return nil
	}
	return w.stops
}

// finish shows the run's final report on the page for f.linger (or until an interrupt), then
// stops serving.
func (w *webPage) finish(streams *IO, f webFlags, sum *summary.Run, sigs <-chan os.Signal) {
	if w == nil {
		return
	}
	if err := w.page.Finish(sum); err != nil {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: --web: %v\n", err)
	}
	if f.linger > 0 {
		fmt.Fprintf(streams.ErrOut, "live page: the final report stays at %s for %s (Ctrl-C ends it)\n", w.url, f.linger)
		t := time.NewTimer(f.linger)
		select {
		case <-t.C:
		case <-sigs:
		}
		t.Stop()
	}
	w.close()
}

// close stops serving: the event streams end, then the server.
func (w *webPage) close() {
	if w == nil {
		return
	}
	w.page.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := w.srv.Shutdown(ctx); err != nil {
		w.srv.Close()
	}
	<-w.done
}

// progress adds the page to the run's OnProgress (next may be nil).
func (w *webPage) progress(next func(summary.Progress)) func(summary.Progress) {
	return func(p summary.Progress) {
		if next != nil {
			next(p)
		}
		w.page.Update(p)
	}
}
