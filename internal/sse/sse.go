package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// MaxLineBytes is the longest line the decoder accepts, and the most data one event may
// hold (its data lines joined): a stream that never ends a line, or an event, cannot make
// the decoder hold more.
const MaxLineBytes = 4 << 20

// ErrLineTooLong is returned when one line exceeds MaxLineBytes.
var ErrLineTooLong = errors.New("sse: line over 4 MiB")

// ErrEventTooLarge is returned when the data of one event exceeds MaxLineBytes.
var ErrEventTooLarge = errors.New("sse: event data over 4 MiB")

// Event is one dispatched event. Type is "message" when the stream gave no "event:" field.
type Event struct {
	Type  string
	Data  []byte // data lines joined with '\n'; valid until the next call to Next
	ID    string
	Retry int // milliseconds; 0 when not given
}

// Decoder reads events from a stream incrementally.
type Decoder struct {
	r     *bufio.Reader
	ev    Event
	data  bytes.Buffer
	typ   []byte
	err   error
	bytes int64
	line  []byte
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: bufio.NewReaderSize(r, readerSize)}
}

// BytesRead is how many bytes of the stream have been consumed.
func (d *Decoder) BytesRead() int64 { return d.bytes }

// Next advances to the next event. It returns false at the end of the stream or on an error;
// Err tells which. An event that was not terminated by a blank line before the end of the
// stream is not dispatched (the specification says so): a cut stream loses its partial event.
func (d *Decoder) Next() bool {
	if d.err != nil {
		return false
	}
	d.data.Reset()
	d.typ = d.typ[:0]
	hasData := false
	d.ev = Event{}
	for {
		line, err := d.readLine()
		if err != nil {
			d.err = err
			d.release()
			return false
		}
		if len(line) == 0 {
			if !hasData {
				// A blank line with no data resets the event type and dispatches nothing.
				d.typ = d.typ[:0]
				continue
			}
			d.ev.Data = d.data.Bytes()
			if len(d.typ) == 0 {
				d.ev.Type = "message"
			} else {
				d.ev.Type = string(d.typ)
			}
			return true
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			d.typ = append(d.typ[:0], value...)
		case "data":
			if n := len(value); d.data.Len()+n+1 > MaxLineBytes && (hasData || n > MaxLineBytes) {
				d.err = ErrEventTooLarge
				d.release()
				return false
			}
			if hasData {
				d.data.WriteByte('\n')
			}
			d.data.Write(value)
			hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				d.ev.ID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				d.ev.Retry = n
			}
		}
	}
}

// longLines holds the line buffers that grew past the reader's buffer, for the next stream
// that needs one: a stream of long lines (a hostile target's, up to MaxLineBytes) then costs
// a buffer reused from stream to stream, not a new one grown each time.
var longLines sync.Pool

// readLine returns one line without its terminator (\n or \r\n; a lone \r, which no LLM API
// sends, is not a line break here).
func (d *Decoder) readLine() ([]byte, error) {
	d.line = d.line[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		d.bytes += int64(len(chunk))
		if err == bufio.ErrBufferFull && len(d.line) == 0 && cap(d.line) < longLine {
			if b, ok := longLines.Get().(*[]byte); ok {
				d.line = (*b)[:0]
			}
		}
		if need := len(d.line) + len(chunk); need > cap(d.line) {
			// Grown by doubling, but never past what the longest line accepted needs.
			b := make([]byte, len(d.line), max(need, min(2*cap(d.line), MaxLineBytes+readerSize)))
			copy(b, d.line)
			d.line = b
		}
		d.line = append(d.line, chunk...)
		if len(d.line) > MaxLineBytes {
			return nil, ErrLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(d.line) > 0 {
				// The last line had no terminator: the stream ended inside an event.
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line := d.line[:len(d.line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, nil
	}
}

// readerSize is the decoder's read buffer: a line longer than it is put together in a line
// buffer.
const readerSize = 32 << 10

// longLine is the capacity past which a line buffer is worth keeping for another stream.
const longLine = 64 << 10

// release gives a long line buffer back at the end of the stream.
func (d *Decoder) release() {
	if cap(d.line) >= longLine {
		b := d.line[:0]
		longLines.Put(&b)
	}
	d.line = nil
}

// Event returns the event that Next produced.
func (d *Decoder) Event() Event { return d.ev }

// Err is the error that ended the stream: nil at a clean end (io.EOF after a complete event),
// io.ErrUnexpectedEOF when the stream was cut inside an event, or the reader's error.
func (d *Decoder) Err() error {
	if d.err == io.EOF {
		return nil
	}
	return d.err
}

// Encoder writes events.
type Encoder struct {
	w   io.Writer
	buf []byte
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes one event: an "event:" line when typ is not empty, one "data:" line per line
// of data, and the blank line that dispatches it.
func (e *Encoder) Encode(typ string, data []byte) error {
	b := e.buf[:0]
	if typ != "" {
		b = append(b, "event: "...)
		b = append(b, typ...)
		b = append(b, '\n')
	}
	for {
		i := bytes.IndexByte(data, '\n')
		b = append(b, "data: "...)
		if i < 0 {
			b = append(b, data...)
			b = append(b, '\n')
			break
		}
		b = append(b, data[:i]...)
		b = append(b, '\n')
		data = data[i+1:]
	}
	b = append(b, '\n')
	e.buf = b
	if _, err := e.w.Write(b); err != nil {
		return fmt.Errorf("sse: write event: %w", err)
	}
	return nil
}

// Comment writes a comment line, which decoders ignore (a keep-alive).
func (e *Encoder) Comment(text string) error {
	_, err := fmt.Fprintf(e.w, ": %s\n\n", text)
	return err
}
