package usage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/loadplan/loadplan/internal/jsonpath"
)

// A body that is read for checks, captures or usage is kept whole in memory only up to
// KeptBodyBytes; a larger one (up to the body cap) is read as it streams through a small
// window, and what the step reads of it is all that is kept: the values its JSON paths name,
// the presence of those its exists/absent checks name, and whether it contains the check's
// text. So a user's memory does not grow with the body: a target that answers with an endless
// body costs each user a window and its bounded values, not the 16 MiB cap (nor the 32 MiB
// that a doubling buffer grows to past it).
//
// The decoder validates the body's first JSON value as encoding/json's Decoder does (the
// rules of jsonScanner: anything after that value is read and counted, not parsed), and
// returns a sparse tree: the objects and arrays on the way to a selected value, with only the
// members and elements the step's paths name. jsonpath.Get finds in it exactly what it finds
// in the whole decoded body, for those paths: an array keeps the elements named from its
// start, and its last k elements (k the largest index from the end) after them, so that a
// negative index counts back from the end as in the whole array.
//
// A body over the body cap is a failure as before: it is read no further, and what it
// reported is not used (its usage is then unreported: a 2xx response is charged its
// reservation, flagged).

const (
	// KeptBodyBytes is the largest body read whole into memory; a larger one is streamed.
	KeptBodyBytes = 256 << 10
	// MaxValueBytes bounds the text of one value that a step reads from a streamed body (a
	// captured or compared value, a usage object); a larger one is a failure.
	MaxValueBytes = 256 << 10
	// streamWindow is the decoder's read buffer.
	streamWindow = 32 << 10
)

// ErrValueTooLarge: a value that a step reads from a body is over MaxValueBytes.
var ErrValueTooLarge = errors.New("value too large")

// Selection is the part of a JSON value that a step reads, a tree along its paths.
type Selection struct {
	whole   bool // the value is read (compared, captured, priced): kept whole
	present bool // only whether the value is there is read (exists, absent)
	members map[string]*Selection
	elems   map[int]*Selection // elements by index from the start
	tail    map[int]*Selection // elements by index from the end (-1: the last)

	// Set by finish.
	maxKey  int                // bytes of the longest member name
	nPos    int                // 1 + the largest index from the start
	nTail   int                // the largest count from the end (-3: 3)
	anyTail *Selection         // tail's selections merged: what every element is read for
	merged  map[int]*Selection // elems[i] merged with anyTail
}

// add selects the value at p: whole, or only its presence.
func (s *Selection) Add(p *jsonpath.Path, whole bool) {
	n := s
	for _, st := range p.Steps() {
		var m *map[int]*Selection
		var key int
		switch {
		case !st.IsIndex:
			if n.members == nil {
				n.members = map[string]*Selection{}
			}
			c := n.members[st.Key]
			if c == nil {
				c = &Selection{}
				n.members[st.Key] = c
			}
			n = c
			continue
		case st.Index >= 0:
			m, key = &n.elems, st.Index
		default:
			m, key = &n.tail, st.Index
		}
		if *m == nil {
			*m = map[int]*Selection{}
		}
		c := (*m)[key]
		if c == nil {
			c = &Selection{}
			(*m)[key] = c
		}
		n = c
	}
	if whole {
		n.whole = true
	} else {
		n.present = true
	}
}

func (s *Selection) hasChildren() bool {
	return len(s.members) > 0 || len(s.elems) > 0 || len(s.tail) > 0
}

// finish computes the derived fields of s and its children; call it once the paths are
// added.
func (s *Selection) Finish() {
	if s == nil {
		return
	}
	for k, c := range s.members {
		s.maxKey = max(s.maxKey, len(k))
		c.Finish()
	}
	for i, c := range s.elems {
		s.nPos = max(s.nPos, i+1)
		c.Finish()
	}
	for i, c := range s.tail {
		s.nTail = max(s.nTail, -i)
		s.anyTail = mergeSelections(s.anyTail, c)
	}
	s.anyTail.Finish()
	if len(s.elems) > 0 {
		s.merged = map[int]*Selection{}
		for i, c := range s.elems {
			if s.anyTail == nil {
				s.merged[i] = c
			} else {
				m := mergeSelections(c, s.anyTail)
				m.Finish()
				s.merged[i] = m
			}
		}
	}
}

// mergeSelections is a new Selection with everything a or b selects.
func mergeSelections(a, b *Selection) *Selection {
	if a == nil && b == nil {
		return nil
	}
	out := &Selection{}
	for _, x := range []*Selection{a, b} {
		if x == nil {
			continue
		}
		out.whole = out.whole || x.whole
		out.present = out.present || x.present
		for k, c := range x.members {
			if out.members == nil {
				out.members = map[string]*Selection{}
			}
			out.members[k] = mergeSelections(out.members[k], c)
		}
		for i, c := range x.elems {
			if out.elems == nil {
				out.elems = map[int]*Selection{}
			}
			out.elems[i] = mergeSelections(out.elems[i], c)
		}
		for i, c := range x.tail {
			if out.tail == nil {
				out.tail = map[int]*Selection{}
			}
			out.tail[i] = mergeSelections(out.tail[i], c)
		}
	}
	return out
}

// elemSel is what element i of an array is read for.
func (s *Selection) elemSel(i int) *Selection {
	if m := s.merged[i]; m != nil {
		return m
	}
	return s.anyTail
}

var windowPool = sync.Pool{New: func() any { return new([streamWindow]byte) }}

// bodyStream decodes the selected parts of a JSON value as it is read.
type bodyStream struct {
	r    io.Reader
	buf  []byte
	i, n int
	rerr error // the reader's error; io.EOF at the end
	read int64 // bytes taken from r

	// The capture of a value's text (or a member name's), as it is scanned: the bytes
	// before the window were appended to raw when the window was refilled.
	capOn    bool
	capAt    int
	capLimit int
	capOver  bool
	raw      []byte

	tooLarge bool // a selected value was over MaxValueBytes
}

// fill reads the next window; false at the end of the reader or on its error.
func (d *bodyStream) fill() bool {
	if d.capOn {
		d.keep(d.buf[d.capAt:d.n])
		d.capAt = 0
	}
	d.i, d.n = 0, 0
	for d.rerr == nil {
		n, err := d.r.Read(d.buf)
		d.n, d.rerr = n, err
		d.read += int64(n)
		if n > 0 {
			return true
		}
	}
	return false
}

func (d *bodyStream) keep(b []byte) {
	if d.capOver {
		return
	}
	if len(d.raw)+len(b) > d.capLimit {
		d.capOver = true
		return
	}
	d.raw = append(d.raw, b...)
}

func (d *bodyStream) startCapture(limit int) {
	d.capOn, d.capAt, d.capLimit, d.capOver, d.raw = true, d.i, limit, false, d.raw[:0]
}

// endCapture returns the text captured since startCapture; over: it was longer than the
// limit.
func (d *bodyStream) endCapture() (raw []byte, over bool) {
	d.keep(d.buf[d.capAt:d.i])
	d.capOn = false
	return d.raw, d.capOver
}

func (d *bodyStream) peek() (byte, bool) {
	if d.i >= d.n && !d.fill() {
		return 0, false
	}
	return d.buf[d.i], true
}

func (d *bodyStream) space() {
	for {
		for d.i < d.n {
			switch d.buf[d.i] {
			case ' ', '\t', '\n', '\r':
				d.i++
			default:
				return
			}
		}
		if !d.fill() {
			return
		}
	}
}

// drain reads the rest of the body, discarding it.
func (d *bodyStream) drain() {
	d.capOn = false
	for d.fill() {
	}
}

// decode reads the first JSON value of the body and returns what sel selects of it.
func (d *bodyStream) decode(sel *Selection) (any, error) {
	d.space()
	v, ok := d.value(sel, 0)
	switch {
	case d.tooLarge:
		return nil, ErrValueTooLarge
	case !ok:
		return nil, errInvalidJSON
	}
	return v, nil
}

// value reads one value (whitespace before it skipped already) nested in depth containers.
func (d *bodyStream) value(sel *Selection, depth int) (any, bool) {
	c, ok := d.peek()
	if !ok {
		return nil, false
	}
	switch {
	case sel != nil && sel.whole:
		d.startCapture(MaxValueBytes)
		ok := d.skip(c, depth)
		raw, over := d.endCapture()
		if !ok {
			return nil, false
		}
		if over {
			d.tooLarge = true
			return nil, false
		}
		sc := jsonScanner{b: raw}
		return sc.decode(), true
	case sel == nil || !sel.hasChildren() || (c != '{' && c != '['):
		// Not read, only there (a presence), or not a container: validated, and nil (a
		// path through a scalar finds nothing in it, as in the whole value).
		return nil, d.skip(c, depth)
	case depth >= maxJSONDepth:
		return nil, false
	case c == '{':
		return d.object(sel, depth+1)
	}
	return d.array(sel, depth+1)
}

// skip validates one value at d.i.
func (d *bodyStream) skip(c byte, depth int) bool {
	switch {
	case c == '"':
		return d.str()
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		return d.container(c, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return false
}

func (d *bodyStream) literal(lit string) bool {
	for j := range len(lit) {
		c, ok := d.peek()
		if !ok || c != lit[j] {
			return false
		}
		d.i++
	}
	return true
}

// container validates an object or an array opened at d.i.
func (d *bodyStream) container(open byte, depth int) bool {
	d.i++
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	d.space()
	if c, ok := d.peek(); !ok {
		return false
	} else if c == end {
		d.i++
		return true
	}
	for {
		d.space()
		if open == '{' {
			if c, ok := d.peek(); !ok || c != '"' || !d.str() {
				return false
			}
			d.space()
			if c, ok := d.peek(); !ok || c != ':' {
				return false
			}
			d.i++
			d.space()
		}
		c, ok := d.peek()
		if !ok || !d.skip(c, depth) {
			return false
		}
		d.space()
		c, ok = d.peek()
		switch {
		case !ok:
			return false
		case c == ',':
			d.i++
		case c == end:
			d.i++
			return true
		default:
			return false
		}
	}
}

// object reads an object with the members sel selects.
func (d *bodyStream) object(sel *Selection, depth int) (any, bool) {
	d.i++
	m := map[string]any{}
	d.space()
	if c, ok := d.peek(); !ok {
		return nil, false
	} else if c == '}' {
		d.i++
		return m, true
	}
	for {
		d.space()
		key, child, ok := d.memberKey(sel)
		if !ok {
			return nil, false
		}
		d.space()
		if c, ok := d.peek(); !ok || c != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value(child, depth)
		if !ok {
			return nil, false
		}
		if child != nil {
			m[key] = v // the last of duplicate members, as encoding/json
		}
		d.space()
		c, ok := d.peek()
		switch {
		case !ok:
			return nil, false
		case c == ',':
			d.i++
		case c == '}':
			d.i++
			return m, true
		default:
			return nil, false
		}
	}
}

// memberKey reads a member's name and returns it with its Selection (nil: not selected).
func (d *bodyStream) memberKey(sel *Selection) (string, *Selection, bool) {
	if c, ok := d.peek(); !ok || c != '"' {
		return "", nil, false
	}
	if len(sel.members) == 0 {
		return "", nil, d.str()
	}
	// An escape takes up to 6 bytes for a byte of the name; a longer name selects nothing.
	d.startCapture(6*sel.maxKey + 2)
	ok := d.str()
	raw, over := d.endCapture()
	if !ok || over {
		return "", nil, ok
	}
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') < 0 && utf8.Valid(text) {
		if c := sel.members[string(text)]; c != nil {
			return string(text), c, true
		}
		return "", nil, true
	}
	var k string
	if json.Unmarshal(raw, &k) != nil {
		return "", nil, true
	}
	return k, sel.members[k], true
}

// array reads an array with the elements sel selects, as a sparse array (see above).
func (d *bodyStream) array(sel *Selection, depth int) (any, bool) {
	d.i++
	kept := map[int]any{}
	var ring []any
	if sel.nTail > 0 {
		ring = make([]any, sel.nTail)
	}
	n := 0
	d.space()
	c, ok := d.peek()
	if !ok {
		return nil, false
	}
	if c == ']' {
		d.i++
		return []any{}, true
	}
	for {
		d.space()
		child := sel.elemSel(n)
		v, ok := d.value(child, depth)
		if !ok {
			return nil, false
		}
		if sel.elems[n] != nil {
			kept[n] = v
		}
		if ring != nil {
			ring[n%len(ring)] = v
		}
		n++
		d.space()
		c, ok := d.peek()
		if !ok {
			return nil, false
		}
		if c == ',' {
			d.i++
			continue
		}
		if c != ']' {
			return nil, false
		}
		d.i++
		break
	}
	l := min(n, sel.nPos+sel.nTail)
	a := make([]any, l)
	for i, v := range kept {
		a[i] = v // i < nPos, and i < n
	}
	for k := 1; k <= sel.nTail && k <= n; k++ {
		a[l-k] = ring[(n-k)%len(ring)]
	}
	return a, true
}

// str validates a string at d.i (its opening quote), with encoding/json's rules (invalid
// UTF-8 is accepted).
func (d *bodyStream) str() bool {
	d.i++
	for {
		b, i := d.buf, d.i
		// Plain bytes, eight at a time (as jsonScanner.str).
		for i+8 <= d.n {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(lsb*'"'), x^(lsb*'\\')
			if ((x-lsb*0x20)&^x|(q-lsb)&^q|(bs-lsb)&^bs)&msb != 0 {
				break
			}
			i += 8
		}
		for i < d.n && strByte[b[i]] == 0 {
			i++
		}
		d.i = i
		if i >= d.n {
			if !d.fill() {
				return false
			}
			continue
		}
		switch strByte[b[i]] {
		case 1:
			d.i++
			return true
		case 2:
			d.i++
			if !d.escape() {
				return false
			}
		default:
			return false
		}
	}
}

// escape validates an escape after its backslash.
func (d *bodyStream) escape() bool {
	c, ok := d.peek()
	if !ok {
		return false
	}
	d.i++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		for range 4 {
			h, ok := d.peek()
			if !ok || !isHex(h) {
				return false
			}
			d.i++
		}
		return true
	}
	return false
}

// number validates a number at d.i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *bodyStream) number() bool {
	c, _ := d.peek()
	if c == '-' {
		d.i++
	}
	c, ok := d.peek()
	switch {
	case ok && c == '0':
		d.i++
	case ok && c >= '1' && c <= '9':
		d.i++
		d.digits()
	default:
		return false
	}
	if c, ok := d.peek(); ok && c == '.' {
		d.i++
		if c, ok := d.peek(); !ok || !isDigit(c) {
			return false
		}
		d.digits()
	}
	if c, ok := d.peek(); ok && (c == 'e' || c == 'E') {
		d.i++
		if c, ok := d.peek(); ok && (c == '+' || c == '-') {
			d.i++
		}
		if c, ok := d.peek(); !ok || !isDigit(c) {
			return false
		}
		d.digits()
	}
	return true
}

func (d *bodyStream) digits() {
	for {
		c, ok := d.peek()
		if !ok || !isDigit(c) {
			return
		}
		d.i++
	}
}

// containsReader reads through r and notes whether pat was in what it read.
type containsReader struct {
	r     io.Reader
	pat   []byte
	carry []byte // the last len(pat)-1 bytes read (a match may straddle two reads)
	found bool
}

func (c *containsReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n == 0 || c.found {
		return n, err
	}
	b, k := p[:n], len(c.pat)-1
	if len(c.carry) > 0 {
		joined := append(c.carry, b[:min(k, n)]...)
		c.found = bytes.Contains(joined, c.pat)
	}
	c.found = c.found || bytes.Contains(b, c.pat)
	if k > 0 {
		tail := append(c.carry, b[max(n-k, 0):]...)
		c.carry = append(c.carry[:0], tail[max(len(tail)-k, 0):]...)
	}
	return n, err
}

// ReadLarge reads a body whose first head bytes are read already and that is larger than
// KeptBodyBytes: it decodes what sel selects of it (when decode) as it streams, and notes
// whether it contains the text contains (when not nil), then reads the rest, discarding it, up
// to limit + 1 bytes in all. size is the bytes read in all; err is the reader's error (nil at
// the body's end or at the cap).
func ReadLarge(sel *Selection, decode bool, contains, head []byte, body io.Reader, limit int64) (v any, decErr error, contained bool, size int64, err error) {
	lr := &io.LimitedReader{R: body, N: limit + 1 - int64(len(head))}
	var src io.Reader = io.MultiReader(bytes.NewReader(head), lr)
	var cr *containsReader
	if contains != nil {
		cr = &containsReader{r: src, pat: contains, carry: make([]byte, 0, 2*len(contains))}
		src = cr
	}
	w := windowPool.Get().(*[streamWindow]byte)
	defer windowPool.Put(w)
	d := bodyStream{r: src, buf: w[:]}
	if decode {
		v, decErr = d.decode(sel)
	}
	d.drain()
	if d.rerr != io.EOF {
		err = d.rerr
	}
	return v, decErr, cr == nil || cr.found, d.read, err
}
