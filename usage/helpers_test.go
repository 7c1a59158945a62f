package usage

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/loadplan/loadplan/internal/sse"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// feed decodes r as SSE and adds every event to st, as the executor does. It returns the
// first error of Add, and the decoder's error.
func feed(t testing.TB, st Stream, r io.Reader) (addErr, decErr error) {
	t.Helper()
	dec := sse.NewDecoder(r)
	for dec.Next() {
		if err := st.Add(dec.Event()); err != nil && addErr == nil {
			addErr = err
		}
	}
	return addErr, dec.Err()
}

// byteByByte is a reader that returns one byte per Read, to prove incremental parsing.
func byteByByte(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }

// TestTestdataMatchesReference guards the copies in testdata against drift from
// ../shared/reference, when that directory exists.
func TestTestdataMatchesReference(t *testing.T) {
	ref := filepath.Join("..", "..", "shared", "reference")
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("no reference directory: %v", err)
	}
	for _, name := range []string{
		"anthropic-message.json", "anthropic-stream.sse", "anthropic-stream-error.sse",
		"openai-chat.json", "openai-stream.sse",
	} {
		want, err := os.ReadFile(filepath.Join(ref, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := readFile(t, name); !bytes.Equal(got, want) {
			t.Errorf("testdata/%s differs from %s: copy it again", name, filepath.Join(ref, name))
		}
	}
}
