//go:build !unix || aix

package http1

import (
	"bufio"
	"net"
)

// alive: here a non-blocking peek is not at hand; a short one is (peekAlive).
func alive(conn net.Conn, br *bufio.Reader) bool { return peekAlive(conn, br) }
