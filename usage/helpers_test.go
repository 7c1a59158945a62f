package usage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// referenceSHA256 are the SHA-256 sums of the reference transcripts (../shared/reference
// beside the repository, copied into testdata/ on 2026-12-04; see testdata/README.md). The
// tests read the copies, so that a clone with nothing beside it runs them all.
var referenceSHA256 = map[string]string{
	"anthropic-message.json":     "f7be579712bcea236dfb3f1f5392e4b530f8914faa305e1ae912e760d43c4bfe",
	"anthropic-stream.sse":       "ab062292651023ad1cda9843d2b731f1d7825e95f2095f1a3c8c445c940a37df",
	"anthropic-stream-error.sse": "e0c49c54a6899dba917a05aea20095badff708abf3f4c75cd2e16a34d9b27260",
	"openai-chat.json":           "9344194838e2c5069a091af7affcf92cb25172bbb5d3d3b29a93ab128f4421fc",
	"openai-stream.sse":          "fd3a20a76b7661205b71ff54b71904da9cb63357459c89e5145f774b144ca54e",
}

// TestTestdataIsReference guards the copies in testdata against edits: they are the
// providers' transcripts byte for byte, not fixtures to adjust to the code.
func TestTestdataIsReference(t *testing.T) {
	t.Parallel()
	for name, want := range referenceSHA256 {
		sum := sha256.Sum256(readFile(t, name))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("testdata/%s has changed (sha256 %s): copy it again from the reference (testdata/README.md)", name, got)
		}
	}
}
