package executor

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTLSFilesMustBeFiles: --ca-file, --cert and --key that are a device or a FIFO are
// refused at once, named (a FIFO waited for a writer, /dev/zero was read for ever).
func TestTLSFilesMustBeFiles(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		for _, tls := range []TLSOptions{{CAFile: path}, {CertFile: path, KeyFile: path}} {
			_, err := newClient(&Config{TLS: tls}, 1)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%+v: %v", tls, err)
			}
		}
	}
}
