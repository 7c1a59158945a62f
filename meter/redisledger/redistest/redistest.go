// Package redistest starts redis-server processes for tests: on a free loopback port, without
// persistence, stopped at the test's end. Without redis-server installed a test is skipped,
// and fails when $CI is set (.ci/run installs Debian's redis-server).
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a redis-server process of a test, on a loopback port.
type Server struct {
	Addr string // host:port on 127.0.0.1
	cmd  *exec.Cmd
	done chan struct{}
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Start starts redis-server on a free loopback port, without persistence, and waits
// until it answers PING; t.Cleanup stops it. Without redis-server the test is skipped, and
// fails when $CI is set (.ci/run installs it). args are more redis-server options.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	return StartOn(t, 0, args...)
}

// StartOn is Start on a given port (0: a free one).
func StartOn(t testing.TB, port int, args ...string) *Server {
	t.Helper()
	s, err := Launch(port, args...)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", t.Name(), err)
		}
		t.Skipf("%s: %v", t.Name(), err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch starts a server on port, or on a free one (port 0): then it tries three, in case
// another process takes the one found free before redis-server binds it.
func Launch(port int, args ...string) (*Server, error) {
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
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
		s.cmd = exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, args...)...)
		var out strings.Builder
		s.cmd.Stdout, s.cmd.Stderr = &out, &out
		if err := s.cmd.Start(); err != nil {
			return nil, err
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		if err := s.awaitPing(); err != nil {
			s.Stop()
			lastErr = fmt.Errorf("redis-server on %s: %w: %s", s.Addr, err, strings.TrimSpace(out.String()))
			continue
		}
		return s, nil
	}
	return nil, lastErr
}

// awaitPing waits, at most 5 s, until the server answers PING (with PONG, or NOAUTH when it
// requires a password).
func (s *Server) awaitPing() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited")
		default:
		}
		if reply, err := ping(s.Addr); err == nil && (reply == "+PONG" || strings.HasPrefix(reply, "-NOAUTH")) {
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

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server must be running to die
	_ = s.cmd.Process.Kill()
	<-s.done
}

// Pause and Resume stop and continue the server's process: a server that hangs.
func (s *Server) Pause()  { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }
