//go:build unix && !aix

package http1

import (
	"bufio"
	"errors"
	"net"
	"syscall"
)

// alive says whether an idle connection is still open: a non-blocking peek finds nothing to
// read (EAGAIN). End of file (the server closed it), data (nothing is due on an idle
// connection) or an error all mean it cannot carry the next request.
func alive(conn net.Conn, _ *bufio.Reader) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
		return true // done either way: never wait for readability
	})
	return err == nil && open
}
