//go:build unix

package inputfile

import (
	"os"
	"syscall"
)

// openNoBlock opens path for reading without blocking: opening a FIFO that has no writer
// would otherwise wait for one. O_NONBLOCK changes nothing for a regular file, the only kind
// that is then read.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
