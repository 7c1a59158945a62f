package mock

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadConfigRefusesWhatIsNotAFile: loadplan mock --config FIFO waited for a writer,
// /dev/zero was read for ever.
func TestLoadConfigRefusesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "mock.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		_, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("LoadConfig(%s): %v", path, err)
		}
	}
}
