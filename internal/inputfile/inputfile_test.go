package inputfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	cases := []struct {
		name  string
		path  string
		limit int64
		want  error  // nil: read
		msg   string // in the error
	}{
		{"a regular file", small, 1 << 20, nil, ""},
		{"exactly at the limit", small, 11, nil, ""},
		// /dev/zero's size is 0, so a size check alone would let it through, and reading
		// it never ends.
		{"a device", "/dev/zero", 1 << 20, ErrNotRegular, "character device"},
		// Opening a FIFO without a writer blocks, unless it is opened non-blocking.
		{"a FIFO without a writer", fifo, 1 << 20, ErrNotRegular, "named pipe"},
		{"a directory", dir, 1 << 20, ErrNotRegular, "directory"},
		{"missing", filepath.Join(dir, "nope"), 1 << 20, os.ErrNotExist, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil && tc.want != os.ErrNotExist {
				t.Skipf("%s: %v", tc.path, err)
			}
			data, info, err := Read(tc.path, tc.limit)
			if tc.want == nil {
				if err != nil || string(data) != "version: 1\n" || info.Size() != 11 {
					t.Fatalf("Read = %q, %v", data, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("Read(%s) error %v; want %v naming the path and %q", tc.path, err, tc.want, tc.msg)
			}
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 2048)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Read(path, 1024)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than 1 KiB") {
		t.Fatalf("error %v; want too large, larger than 1 KiB", err)
	}
}

// TestReadGrows holds the limit for a file that grows after it was opened: its size then
// says nothing, the reader stops at the limit.
func TestReadGrows(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "grows.jsonl")
	if err := os.WriteFile(path, []byte("small\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.WriteFile(path, []byte(strings.Repeat("y", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if !errors.Is(err, ErrTooLarge) || len(data) > 100 {
		t.Fatalf("read %d bytes, error %v; want at most 100 and too large", len(data), err)
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{4 << 20: "4 MiB", 1 << 30: "1 GiB", 1500: "1500 bytes", 2048: "2 KiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
