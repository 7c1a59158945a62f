package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/loadplan/loadplan/internal/testenv"
	"github.com/loadplan/loadplan/summary"
)

// lockedBuffer is a writer the test reads while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var liveURL = regexp.MustCompile(`live page: (http://127\.0\.0\.1:\d+/)\?token=([0-9a-f]+)`)

// TestWebPageInChromium runs the example plan on the in-process mock with --web and drives
// the page in a real headless Chromium: it loads with no console error, its charts update
// while the run goes on; without the token the stop button is refused and the run goes on;
// with it the users change, then the stop button stops the run (exit 130, the reports
// written, both changes in the summary's events) and the page shows the final report.
// LOADPLAN_SCREENSHOT=FILE saves a screenshot of the live page (docs/live-page.png).
func TestWebPageInChromium(t *testing.T) {
	bin := testenv.NeedProgram(t, "chromium", "chromium-browser", "google-chrome")
	dir := t.TempDir()
	jsonOut, htmlOut := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.html")
	var stdout, stderr lockedBuffer
	sigs := make(chan os.Signal, 2)
	exit := make(chan int, 1)
	go func() {
		exit <- MainIO([]string{"run", example, "--scenario", "smoke", "--users", "4", "--run-time", "3m", "--json", jsonOut,
			"--html", htmlOut, "--web=127.0.0.1:0", "--web-linger", "2m", "--stop-timeout", "10s"},
			&IO{In: bytes.NewReader(nil), Out: &stdout, ErrOut: &stderr, Signals: sigs, Env: func(string) (string, bool) { return "", false }})
	}()
	t.Cleanup(func() {
		select {
		case sigs <- os.Interrupt:
		default:
		}
	})
	var base, token string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); {
		select {
		case code := <-exit:
			t.Fatalf("exit %d before the page\n%s\n%s", code, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if m := liveURL.FindStringSubmatch(stderr.String()); m != nil {
			base, token = m[1], m[2]
		}
	}
	if base == "" {
		t.Fatalf("no live page URL on the terminal:\n%s", stderr.String())
	}

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1800))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()
	var consoleMu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				// The refused stop's 403 is logged by the browser as a failed resource: expected.
				if !strings.Contains(m.Text, "403") {
					consoleMu.Lock()
					problems = append(problems, string(m.Type)+": "+m.Text)
					consoleMu.Unlock()
				}
			}
		}
	}()
	poll := func(expr string) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	}
	updates := func(n int) error {
		return poll(`+(document.body.getAttribute('data-updates') || 0) >= ` + strconv.Itoa(n))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	// Without the token: the page shows the run, the stop is refused.
	must(chromedp.Do(ctx, chromedp.Navigate(base)))
	must(updates(2))
	svgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#live svg').length`))
	must(err)
	must(chromedp.Do(ctx, chromedp.Click("#stop")))
	must(poll(`document.getElementById('message').textContent.includes('403')`))
	message, err := chromedp.Run(ctx, chromedp.Text("#message"))
	must(err)
	if svgs < 4 || !strings.Contains(message, "refused") {
		t.Errorf("%d charts; the refused stop says %q", svgs, message)
	}
	select {
	case code := <-exit:
		t.Fatalf("the run ended (exit %d) after a stop without the token", code)
	default:
	}
	// With the token: the charts update, the users change, the stop stops the run.
	must(chromedp.Do(ctx, chromedp.Navigate(base+"?token="+token)))
	must(updates(1))
	chart1, err := chromedp.Run(ctx, chromedp.OuterHTML("#load svg"))
	must(err)
	must(updates(3))
	chart2, err := chromedp.Run(ctx, chromedp.OuterHTML("#load svg"))
	must(err)
	if chart1 == chart2 {
		t.Error("the latency chart did not change between two updates")
	}
	must(chromedp.Do(ctx, chromedp.SetValue("#users", "6"), chromedp.Click("#set-users")))
	must(poll(`document.getElementById('message').textContent.includes('users set to 6')`))
	must(poll(`!!document.querySelector('.live-meta') && document.querySelector('.live-meta').textContent.includes('6 users')`))
	if path := os.Getenv("LOADPLAN_SCREENSHOT"); path != "" {
		must(updates(10))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(err)
		must(os.WriteFile(path, png, 0o644))
	}
	must(chromedp.Do(ctx, chromedp.Click("#stop")))
	must(chromedp.Do(ctx, chromedp.WaitVisible("#verdict"))) // the page reloads to the final report
	verdict, err := chromedp.Run(ctx, chromedp.Text("body"))
	must(err)
	if !strings.Contains(verdict, "interrupted") {
		t.Errorf("the final report does not say interrupted:\n%.500s", verdict)
	}
	sigs <- os.Interrupt // ends the linger
	select {
	case code := <-exit:
		if code != exitInterrupted {
			t.Errorf("exit %d, want 130\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the command did not exit after the linger was interrupted")
	}
	s := readSummary(t, jsonOut)
	if s.StopReason != summary.StopInterrupted || s.ExitCode != exitInterrupted {
		t.Errorf("summary: stop %s exit %d", s.StopReason, s.ExitCode)
	}
	var kinds []string
	for _, e := range s.Events {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "users,stop" || *s.Events[0].Users != 6 {
		t.Errorf("events %+v", s.Events)
	}
	if fi, err := os.Stat(htmlOut); err != nil || fi.Size() == 0 {
		t.Errorf("--html not written: %v", err)
	}
	consoleMu.Lock()
	defer consoleMu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the browser reported: %q", problems)
	}
}
