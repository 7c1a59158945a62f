package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/loadplan/loadplan/internal/inputfile"
)

// TestLoadRefusesWhatIsNotAFile holds Load to reading regular files only: /dev/zero passed
// the old size check (its size is 0) and was read for ever; a FIFO without a writer hung the
// open; a file over MaxFileBytes would take fifty times its size in the YAML parser.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "plan.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("version: 1\n"+strings.Repeat("# a comment line\n", MaxFileBytes/16)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		want       error
		msg        string
	}{
		{"a device", "/dev/zero", inputfile.ErrNotRegular, "character device"},
		{"a FIFO", fifo, inputfile.ErrNotRegular, "named pipe"},
		{"a directory", dir, inputfile.ErrNotRegular, "directory"},
		{"too large", big, inputfile.ErrTooLarge, "larger than 4 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skip(err)
			}
			_, err := Load(tc.path, Options{Env: noEnv})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("Load(%s): %v; want %v naming the path and %q", tc.path, err, tc.want, tc.msg)
			}
		})
	}
}

// TestDataFileMustBeAFile refuses data files that are devices or FIFOs, located at the
// data: entry, without reading or waiting.
func TestDataFileMustBeAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rows.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for name, path := range map[string]string{"a device": "/dev/zero", "a FIFO": fifo} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(minimal, "tasks:", "data: {rows: "+path+"}\ntasks:", 1)
			_, err := Parse(filepath.Join(dir, "plan.yaml"), []byte(src), Options{Env: noEnv})
			if err == nil || !strings.Contains(err.Error(), "5:14: data.rows: cannot read data file "+path) ||
				!strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("error %v; want data.rows located, naming %s, not a regular file", err, path)
			}
		})
	}
}
