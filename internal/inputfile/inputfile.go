// Package inputfile opens the files loadplan is given to read (plans, data files, price
// catalogs, run summaries and histories) so that a hostile or mistaken path cannot hang or
// exhaust memory: only a regular file is read, and never more than a stated size.
//
//	data, info, err := inputfile.Read(path, 4<<20)
//
// A device (/dev/zero), a FIFO or a directory is refused with an error that says what the
// path is; a FIFO is opened without blocking, so that one without a writer is refused at once
// instead of waiting for one. A file larger than the limit is refused, and a file that grows
// past the limit while it is read is cut off with the same error.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is the cause of the error for a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the cause of the error for a file over the limit.
var ErrTooLarge = errors.New("file too large")

// File is a regular file opened for reading, limited to the size given to Open.
type File struct {
	f     *os.File
	info  fs.FileInfo
	left  int64 // bytes that may still be read before the limit
	limit int64
	path  string
}

// Open opens the regular file at path; reading it returns an error wrapping ErrTooLarge past
// limit bytes. The caller closes it.
func Open(path string, limit int64) (*File, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, kind(info.Mode()))}
	}
	if info.Size() > limit {
		f.Close()
		return nil, tooLarge(path, limit)
	}
	return &File{f: f, info: info, left: limit, limit: limit, path: path}, nil
}

// Read reads the whole regular file at path, refusing one of more than limit bytes. It also
// returns the file's information (its modification time, say).
func Read(path string, limit int64) ([]byte, fs.FileInfo, error) {
	f, err := Open(path, limit)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// The size is a hint (a file may grow, or report 0): read to the end, within the limit.
	buf := make([]byte, 0, f.info.Size()+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, f.info, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
}

// Read reads from the file, failing with an error wrapping ErrTooLarge past the limit.
func (f *File) Read(p []byte) (int, error) {
	if f.left <= 0 {
		// At the limit: the file may end here, or go on past it.
		var one [1]byte
		n, err := f.f.Read(one[:])
		if n > 0 {
			return 0, tooLarge(f.path, f.limit)
		}
		return 0, err
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.f.Read(p)
	f.left -= int64(n)
	return n, err
}

// Info is the file's information, as found when it was opened.
func (f *File) Info() fs.FileInfo { return f.info }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

func tooLarge(path string, limit int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: larger than %s", ErrTooLarge, size(limit))}
}

// size writes a byte count in the largest whole unit: 4 MiB, 256 MiB, 1500 bytes.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// kind names what a path that is not a regular file is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
