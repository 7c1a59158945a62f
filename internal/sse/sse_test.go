package sse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/loadplan/loadplan/internal/fuzzcheck"
)

type got struct{ typ, data string }

func decodeAll(t *testing.T, r io.Reader) ([]got, error) {
	t.Helper()
	d := NewDecoder(r)
	var out []got
	for d.Next() {
		ev := d.Event()
		out = append(out, got{ev.Type, string(ev.Data)})
	}
	return out, d.Err()
}

func TestReferenceTranscripts(t *testing.T) {
	cases := []struct {
		file  string
		types []string
		err   error
	}{
		{"anthropic-stream.sse", []string{"message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
			"content_block_stop", "message_delta", "message_stop"}, nil},
		{"openai-stream.sse", []string{"message", "message", "message", "message", "message", "message"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			// Whole, and one byte per read: the decoder is incremental.
			for _, r := range []io.Reader{bytes.NewReader(raw), iotest.OneByteReader(bytes.NewReader(raw))} {
				evs, err := decodeAll(t, r)
				if err != tc.err {
					t.Fatalf("err %v", err)
				}
				var types []string
				for _, e := range evs {
					types = append(types, e.typ)
					if !strings.HasPrefix(e.data, "{") && e.data != "[DONE]" {
						t.Errorf("data %q", e.data)
					}
				}
				if strings.Join(types, ",") != strings.Join(tc.types, ",") {
					t.Errorf("types %v, want %v", types, tc.types)
				}
			}
		})
	}
	raw, _ := os.ReadFile("testdata/anthropic-stream-error.sse")
	evs, err := decodeAll(t, bytes.NewReader(raw))
	if err != nil || evs[len(evs)-1].typ != "error" || !strings.Contains(evs[len(evs)-1].data, "overloaded_error") {
		t.Errorf("error transcript: %v %+v", err, evs)
	}
}

func TestDecoderRules(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []got
		err  error
	}{
		{"comments ignored", ": keep-alive\n\ndata: a\n\n", []got{{"message", "a"}}, nil},
		{"multi-line data", "event: x\ndata: a\ndata: b\n\n", []got{{"x", "a\nb"}}, nil},
		{"CRLF", "event: x\r\ndata: a\r\n\r\n", []got{{"x", "a"}}, nil},
		{"no space after colon", "data:a\n\n", []got{{"message", "a"}}, nil},
		{"event type resets", "event: x\ndata: 1\n\ndata: 2\n\n", []got{{"x", "1"}, {"message", "2"}}, nil},
		{"blank lines without data dispatch nothing", "\n\n\nevent: x\n\n", nil, nil},
		{"unknown fields ignored", "foo: bar\ndata: a\n\n", []got{{"message", "a"}}, nil},
		{"cut inside an event", "data: a\n\ndata: b", []got{{"message", "a"}}, io.ErrUnexpectedEOF},
		{"cut after a line", "data: a\n\ndata: b\n", []got{{"message", "a"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := decodeAll(t, strings.NewReader(tc.in))
			if !errors.Is(err, tc.err) && err != tc.err {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			if len(evs) != len(tc.want) {
				t.Fatalf("events %+v, want %+v", evs, tc.want)
			}
			for i := range evs {
				if evs[i] != tc.want[i] {
					t.Errorf("event %d: %+v, want %+v", i, evs[i], tc.want[i])
				}
			}
		})
	}
}

func TestLargeEvent(t *testing.T) {
	big := strings.Repeat("x", 1<<20) // a 1 MiB chunk, larger than the reader's buffer
	evs, err := decodeAll(t, strings.NewReader("data: "+big+"\n\n"))
	if err != nil || len(evs) != 1 || len(evs[0].data) != len(big) {
		t.Fatalf("err %v, %d events", err, len(evs))
	}
	_, err = decodeAll(t, strings.NewReader("data: "+strings.Repeat("x", MaxLineBytes+1)+"\n\n"))
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("err %v", err)
	}
}

// TestEndlessEvent: data lines that never end their event stop at MaxLineBytes of data,
// instead of piling up until the stream ends.
func TestEndlessEvent(t *testing.T) {
	line := "data: " + strings.Repeat("x", 1<<20) + "\n"
	r := io.MultiReader(strings.NewReader(strings.Repeat(line, 3)), strings.NewReader("data: x\n\n"))
	evs, err := decodeAll(t, r)
	if err != nil || len(evs) != 1 || len(evs[0].data) != 3<<20+3+1 {
		t.Fatalf("3 MiB of data in one event: err %v, %d events", err, len(evs))
	}
	d := NewDecoder(strings.NewReader(strings.Repeat(line, 64)))
	for d.Next() {
	}
	if !errors.Is(d.Err(), ErrEventTooLarge) || d.data.Len() > MaxLineBytes || d.BytesRead() > MaxLineBytes+int64(2*len(line)) {
		t.Errorf("64 MiB of data lines in one event: err %v after %d bytes, %d held", d.Err(), d.BytesRead(), d.data.Len())
	}
}

// TestLongLineBuffer: a line too long to accept grows its buffer no further than the longest
// line accepted needs (not to the next power of two), and the buffer is kept for the next
// stream.
func TestLongLineBuffer(t *testing.T) {
	d := NewDecoder(strings.NewReader("data: " + strings.Repeat("x", 2*MaxLineBytes) + "\n\n"))
	for d.Next() {
	}
	if !errors.Is(d.Err(), ErrLineTooLong) || d.BytesRead() > MaxLineBytes+2*readerSize {
		t.Fatalf("err %v after %d bytes", d.Err(), d.BytesRead())
	}
	if d.line != nil {
		t.Error("the long line's buffer was not given back at the end of the stream")
	}
	if b, ok := longLines.Get().(*[]byte); ok && cap(*b) > MaxLineBytes+readerSize {
		t.Errorf("a line buffer of %d bytes, want at most %d", cap(*b), MaxLineBytes+readerSize)
	}
}

func TestEncoderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	enc.Encode("message_start", []byte(`{"a":1}`))
	enc.Comment("ping")
	enc.Encode("", []byte("line1\nline2"))
	evs, err := decodeAll(t, &buf)
	if err != nil || len(evs) != 2 || evs[0] != (got{"message_start", `{"a":1}`}) || evs[1] != (got{"message", "line1\nline2"}) {
		t.Errorf("%v %+v", err, evs)
	}
}

// decodeBudget is what decoding n bytes may cost: the decoder's buffer and a copy of each
// event.
var decodeBudget = fuzzcheck.Budget{AllocBase: 1 << 20, AllocPerByte: 64}

// FuzzDecoder: any bytes decode without a panic, within decodeBudget, and what the encoder
// writes decodes back.
func FuzzDecoder(f *testing.F) {
	for _, name := range []string{"anthropic-stream.sse", "openai-stream.sse", "anthropic-stream-error.sse"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("data: a\r\n\r\n:c\nevent:\ndata\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeBudget.Check(t, len(b), func() {
			for d := NewDecoder(bytes.NewReader(b)); d.Next(); {
			}
		})
		d := NewDecoder(bytes.NewReader(b))
		for n := 0; d.Next(); n++ {
			ev := d.Event()
			if n > len(b) {
				t.Fatal("more events than bytes")
			}
			if strings.ContainsAny(ev.Type, "\n") {
				t.Fatalf("type %q", ev.Type)
			}
			var buf bytes.Buffer
			data := bytes.ReplaceAll(ev.Data, []byte("\r"), nil)
			NewEncoder(&buf).Encode(strings.ReplaceAll(ev.Type, "\r", ""), data)
			back := NewDecoder(&buf)
			if !back.Next() || !bytes.Equal(back.Event().Data, data) {
				t.Fatalf("round trip of %q", data)
			}
		}
	})
}
