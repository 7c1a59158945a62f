package redisledger

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is a redis-server process of a test, on a free loopback port.
type server struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// url is the server's redis:// URL.
func (s *server) url() string { return "redis://" + s.addr + "/0" }

// port is the server's port.
func (s *server) port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// startServer starts redis-server on a free loopback port, without persistence, and waits
// until it answers PING; t.Cleanup stops it. Without redis-server the test is skipped, and
// fails when $CI is set (.ci/run installs it). args are more redis-server options.
func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	return startServerOn(t, 0, args...)
}

// startServerOn is startServer on a given port (0: a free one).
func startServerOn(t testing.TB, port int, args ...string) *server {
	t.Helper()
	s, err := launch(port, args...)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", t.Name(), err)
		}
		t.Skipf("%s: %v", t.Name(), err)
	}
	t.Cleanup(s.stop)
	return s
}

// launch starts a server on port, or on a free one (port 0): then it tries three, in case
// another process takes the one found free before redis-server binds it.
func launch(port int, args ...string) (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not installed (Debian: apt-get install redis-server): %w", err)
	}
	var lastErr error
	for range 3 {
		port := port
		if port == 0 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			port = ln.Addr().(*net.TCPAddr).Port
			ln.Close()
		}
		s := &server{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
		s.cmd = exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, args...)...)
		var out strings.Builder
		s.cmd.Stdout, s.cmd.Stderr = &out, &out
		if err := s.cmd.Start(); err != nil {
			return nil, err
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		if err := s.awaitPing(); err != nil {
			s.stop()
			lastErr = fmt.Errorf("redis-server on %s: %w: %s", s.addr, err, strings.TrimSpace(out.String()))
			continue
		}
		return s, nil
	}
	return nil, lastErr
}

// awaitPing waits, at most 5 s, until the server answers PING (with PONG, or NOAUTH when it
// requires a password).
func (s *server) awaitPing() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited")
		default:
		}
		if reply, err := ping(s.addr); err == nil && (reply == "+PONG" || strings.HasPrefix(reply, "-NOAUTH")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ping(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// stop kills the server and waits for it to exit.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server must be running to die
	_ = s.cmd.Process.Kill()
	<-s.done
}

// pause and resume stop and continue the server's process: a server that hangs.
func (s *server) pause()  { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }
func (s *server) resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

var (
	sharedOnce sync.Once
	shared     *server
	sharedErr  error
)

// sharedServer is one server for the tests that do not stop theirs; each test gives its runs
// their own IDs. TestMain stops it.
func sharedServer(t testing.TB) *server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = launch(0) })
	if sharedErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", t.Name(), sharedErr)
		}
		t.Skipf("%s: %v", t.Name(), sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

// ctxTimeout is a context bounded by testTimeout, cancelled at the test's end.
func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}
