package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileWholeOrNothing: a report is replaced whole or not at all: a write that fails
// half way leaves the previous report as it was and no temporary file beside it; one that
// succeeds replaces it.
func TestWriteFileWholeOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := os.WriteFile(path, []byte("old report"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFile(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "half a new rep"); err != nil {
			return err
		}
		return errors.New("killed")
	})
	if err == nil {
		t.Fatal("a failed write returned no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old report" {
		t.Errorf("after a failed write the report is %q, want the old one", b)
	}
	if err := writeFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "new report"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new report" {
		t.Errorf("report %q, want the new one", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files beside the report: %v", entries)
	}
	// A device is written in place, never renamed over.
	if err := writeFile(os.DevNull, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Errorf("%s: %v", os.DevNull, err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s is no longer a device: %v", os.DevNull, err)
	}
}
