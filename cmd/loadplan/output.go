package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// checkedWriter is stdout as the commands write it: it remembers the first write that failed
// (a full disk, a closed pipe), so that a command whose output was lost does not exit 0.
// Once a write failed, later writes are not attempted.
type checkedWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// Err is the first write error, nil when every write went through.
func (c *checkedWriter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Fd is the file descriptor of the writer beneath, if it is a file (for the terminal test).
func (c *checkedWriter) Fd() (uintptr, bool) {
	if f, ok := c.w.(*os.File); ok {
		return f.Fd(), true
	}
	return 0, false
}

// stdoutErr is the first failed write to the command's stdout, if it went through a
// checkedWriter.
func stdoutErr(streams *IO) error {
	if c, ok := streams.Out.(*checkedWriter); ok {
		return c.Err()
	}
	return nil
}

// probeStdout tries stdout with an empty write, which reaches the file (a write(2) of 0 bytes
// to /dev/full fails, as to a closed descriptor) without printing anything.
func probeStdout(streams *IO) error {
	if _, err := streams.Out.Write(nil); err != nil {
		return err
	}
	return stdoutErr(streams)
}

// probeOutput checks, before a run spends anything, that the report at path can be written:
// it opens the file for writing (creating it when missing, without truncating what is there)
// and writes nothing to it (a device that refuses writes, /dev/full, refuses that too). A
// regular file is tried with a byte, synced (a full disk, a quota): the file itself when the
// probe created it (then removed: nothing is left behind), else a file of the probe's own
// beside it, removed, so that what is there stays as it is until the report replaces it.
func probeOutput(path string, appendTo bool) (err error) {
	_, statErr := os.Stat(path)
	existed := statErr == nil
	mode := os.O_WRONLY | os.O_CREATE
	if appendTo {
		mode |= os.O_APPEND
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, f.Close())
		if !existed {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	if _, err := f.Write(nil); err != nil {
		return err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return err
	}
	if !existed {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return err
		}
		return f.Sync()
	}
	dir := filepath.Dir(path)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		dir = filepath.Dir(real) // /dev/stdout is a file somewhere else
	}
	probe, err := os.CreateTemp(dir, ".loadplan-probe-*")
	if err != nil {
		return nil // a file that may be written in a directory that may not: nothing to try
	}
	_, werr := probe.Write([]byte{'\n'})
	serr := probe.Sync()
	cerr := probe.Close()
	rerr := os.Remove(probe.Name())
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	return rerr
}
