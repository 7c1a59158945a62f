//go:build !unix

package inputfile

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoBlock opens path for reading once it is known to be a regular file (here, without
// O_NONBLOCK, opening a pipe could block).
func openNoBlock(path string) (*os.File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, kind(info.Mode()))}
	}
	return os.Open(path)
}
