package usage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A body read for its usage alone (usage: anthropic or openai, and nothing else of the step
// reads it: no captures, no JSON checks) needs one member of the response: the top-level
// `usage` object. Decoding the whole body into map[string]any for it (a 2 KB answer is a few
// hundred allocations, a quarter of the generator's CPU) is replaced by a scan that validates
// the body as strictly as encoding/json's Decoder does, allocates nothing, and returns the
// raw bytes of that member, which alone is then decoded as before (Source.DecodeUsage).

// DecodeBody decodes a response body as the usage sources, checks and captures read it: its
// first JSON value (what follows it is not read, as json.Decoder.Decode does), numbers as
// json.Number so that counts stay exact.
func DecodeBody(b []byte) (any, error) { return decodeUsing(b) }

var errInvalidJSON = errors.New("invalid JSON")

// maxJSONDepth is encoding/json's nesting limit: a deeper body does not decode.
const maxJSONDepth = 10000

// topMember validates the first JSON value of b, which must be an object (else ErrNotObject),
// with encoding/json's rules for what Decoder.Decode accepts (anything after the value is not
// read), and returns the raw bytes of the value of its last member named name (encoding/json
// keeps the last of duplicate keys), nil when there is none.
func topMember(b []byte, name string) ([]byte, error) {
	sc := jsonScanner{b: b}
	sc.space()
	if sc.i >= len(b) || b[sc.i] != '{' {
		return nil, ErrNotObject
	}
	sc.i++
	var found []byte
	sc.space()
	if sc.peek() == '}' {
		return nil, nil
	}
	for {
		sc.space()
		ks := sc.i
		if !sc.str() {
			return nil, errInvalidJSON
		}
		key := b[ks+1 : sc.i-1]
		sc.space()
		if sc.peek() != ':' {
			return nil, errInvalidJSON
		}
		sc.i++
		sc.space()
		vs := sc.i
		if !sc.value(1) {
			return nil, errInvalidJSON
		}
		if keyIs(key, name) {
			found = b[vs:sc.i]
		}
		sc.space()
		switch sc.peek() {
		case ',':
			sc.i++
		case '}':
			return found, nil
		default:
			return nil, errInvalidJSON
		}
	}
}

// keyIs reports whether the raw (still quoted-escaped) key is name once decoded.
func keyIs(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == name
	}
	var s string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	return json.Unmarshal(q, &s) == nil && s == name
}

// decodeUsing decodes raw, a JSON value validated already, as readBody decodes a body
// (numbers as json.Number).
func decodeUsing(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// jsonScanner validates JSON text in place.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value skips one JSON value at s.i (whitespace before it skipped already) at nesting depth
// depth (the containers open around it); false if it is not valid.
func (s *jsonScanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return false
		}
		return s.container(c, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// container skips an object or an array opened by open at s.i.
func (s *jsonScanner) container(open byte, depth int) bool {
	s.i++
	end := byte(']')
	if open == '{' {
		end = '}'
	}
	s.space()
	if s.peek() == end {
		s.i++
		return true
	}
	for {
		s.space()
		if open == '{' {
			if s.peek() != '"' || !s.str() {
				return false
			}
			s.space()
			if s.peek() != ':' {
				return false
			}
			s.i++
			s.space()
		}
		if !s.value(depth) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case end:
			s.i++
			return true
		default:
			return false
		}
	}
}

// strByte classifies the bytes of a string's text: 0 plain, 1 the end quote, 2 a backslash,
// 3 a control character (invalid unescaped).
var strByte = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 3
	}
	t['"'], t['\\'] = 1, 2
	return t
}()

// str skips a string at s.i (its opening quote). Invalid UTF-8 is accepted, as encoding/json
// accepts it (and replaces it).
func (s *jsonScanner) str() bool {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return false
	}
	i := s.i + 1
	for {
		// Plain bytes, eight at a time: none is a quote, a backslash or below 0x20.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(lsb*'"'), x^(lsb*'\\')
			if ((x-lsb*0x20)&^x|(q-lsb)&^q|(bs-lsb)&^bs)&msb != 0 {
				break
			}
			i += 8
		}
		if i >= len(b) {
			return false
		}
		switch strByte[b[i]] {
		case 0:
			i++
		case 1:
			s.i = i + 1
			return true
		case 2:
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return false
				}
				i += 6
			default:
				return false
			}
		default:
			return false
		}
	}
}

// The broadcast bytes of the eight-at-a-time test: a byte b of x is below n when
// (x - lsb*n) &^ x has its high bit set (for n <= 0x80), and zero when (x - lsb) &^ x has.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number skips a number at s.i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return false
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	s.i = i
	return true
}

// usageBody is the body b as the usage sources read it: an object with the body's usage
// member (decoded) when it has one, and its top-level service_tier when it is a string; an
// empty object when it has neither. The rest of the
// body is validated, never decoded. ErrNotObject: b is not an object; decode it whole.
func usageBody(b []byte) (any, error) {
	raw, err := topMember(b, "usage")
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		d := jsonScanner{b: raw}
		out["usage"] = d.decode()
	}
	// OpenAI says the service tier that prices the request beside usage, at the top level:
	// dropping it would price a priority response at the standard rates.
	if tier, err := topMember(b, "service_tier"); err == nil && len(tier) > 0 && tier[0] == '"' {
		d := jsonScanner{b: tier}
		out["service_tier"] = d.decode()
	}
	// No usage object: the sources find no usage (not an error).
	return out, nil
}

// decode decodes the valid JSON value at s.i as encoding/json decodes into an interface
// with UseNumber: objects as map[string]any (the last of duplicate keys kept), arrays as
// []any, numbers as json.Number (their text), strings unescaped. It is for a small value the
// scan validated already (the usage object).
func (s *jsonScanner) decode() any {
	s.space()
	switch c := s.peek(); {
	case c == '{':
		m := map[string]any{}
		s.i++
		for {
			s.space()
			if s.peek() == '}' {
				s.i++
				return m
			}
			if s.peek() == ',' {
				s.i++
				s.space()
			}
			k := s.decodeKey()
			s.space()
			s.i++ // ':'
			m[k] = s.decode()
		}
	case c == '[':
		a := []any{}
		s.i++
		for {
			s.space()
			if s.peek() == ']' {
				s.i++
				return a
			}
			if s.peek() == ',' {
				s.i++
			}
			a = append(a, s.decode())
		}
	case c == '"':
		return s.decodeString()
	case c == 't':
		s.i += 4
		return true
	case c == 'f':
		s.i += 5
		return false
	case c == 'n':
		s.i += 4
		return nil
	}
	start := s.i
	s.number()
	return json.Number(s.b[start:s.i])
}

// usageKeys are the members of the providers' usage objects, interned: their keys are not
// allocated per response.
var usageKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"input_tokens", "output_tokens", "cache_creation_input_tokens",
		"cache_read_input_tokens", "cache_creation", "ephemeral_5m_input_tokens",
		"ephemeral_1h_input_tokens", "server_tool_use", "web_search_requests", "service_tier",
		"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
		"completion_tokens_details", "cached_tokens", "audio_tokens", "reasoning_tokens",
		"accepted_prediction_tokens", "rejected_prediction_tokens", "input_tokens_details",
		"output_tokens_details"} {
		m[k] = k
	}
	return m
}()

// decodeKey is decodeString for an object's key, interned when it is a usage key.
func (s *jsonScanner) decodeKey() string {
	if end := bytes.IndexByte(s.b[s.i+1:], '"'); end >= 0 {
		if k, ok := usageKeys[string(s.b[s.i+1:s.i+1+end])]; ok {
			s.i += end + 2
			return k
		}
	}
	return s.decodeString()
}

// decodeString decodes the valid string at s.i as encoding/json does (escapes resolved,
// invalid UTF-8 replaced).
func (s *jsonScanner) decodeString() string {
	start := s.i
	s.str()
	raw := s.b[start:s.i]
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') < 0 && utf8.Valid(text) {
		return string(text)
	}
	var out string
	_ = json.Unmarshal(raw, &out)
	return out
}
