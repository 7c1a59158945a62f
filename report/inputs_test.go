package report

import (
	"github.com/loadplan/loadplan/summary"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadersRefuseWhatIsNotAFile: a summary, a history or a Locust CSV that is a device
// (read for ever) or a FIFO (a hang until a writer comes) is refused at once, named.
func TestReadersRefuseWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "run.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	readers := map[string]func(string) error{
		"summary": func(p string) error { _, err := summary.Read(p); return err },
		"history": func(p string) error { _, err := ReadHistory(p); return err },
		"locust":  func(p string) error { _, err := ReadLocustStats(p); return err },
	}
	for name, read := range readers {
		for _, path := range []string{"/dev/zero", fifo} {
			t.Run(name+" "+path, func(t *testing.T) {
				err := read(path)
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
					t.Errorf("error %v; want one naming %s, not a regular file", err, path)
				}
			})
		}
	}
}
