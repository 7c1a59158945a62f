// Package redact masks known secret values in text, by value: wherever a value appears, in
// any message, it is replaced by its mask, whatever put it there (a template error, a URL
// that does not parse, a server that echoes its request).
//
//	s := &redact.Set{}
//	s.Add(os.Getenv("API_KEY"), "${API_KEY}")
//	msg = s.String(msg) // "... Bearer ${API_KEY} ..."
//
// A value is also masked in the forms it takes when printed: quoted by %q, escaped in JSON,
// escaped in a URL's query or path. A Set is built first (Add), then read by any number of
// goroutines (String).
package redact

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// MinLen is the length of the shortest value masked. A shorter one is no secret, and masking
// it would garble every message that holds those characters (BUDGET=5 would mask every 5).
const MinLen = 4

// Set is a set of secret values and their masks. The zero value is empty; a nil *Set masks
// nothing.
type Set struct {
	masks map[string]string // a value, or a printed form of it → its mask
	r     *strings.Replacer
}

// Add makes s mask value, and its printed forms, with mask. Values shorter than MinLen are
// left alone.
func (s *Set) Add(value, mask string) {
	if len(value) < MinLen {
		return
	}
	if s.masks == nil {
		s.masks = map[string]string{}
	}
	for _, form := range forms(value) {
		if _, dup := s.masks[form]; !dup && len(form) >= MinLen {
			s.masks[form] = mask
		}
	}
	// The longest first, so that a value is masked whole before a part of it that is
	// another value (strings.Replacer tries its pairs in order at each position).
	keys := make([]string, 0, len(s.masks))
	for k := range s.masks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, s.masks[k])
	}
	s.r = strings.NewReplacer(pairs...)
}

// AddSet adds every value of o to s, with its mask.
func (s *Set) AddSet(o *Set) {
	if o == nil {
		return
	}
	for form, mask := range o.masks {
		s.Add(form, mask)
	}
}

// Len is the number of forms s masks.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.masks)
}

// String returns text with every value of s masked.
func (s *Set) String(text string) string {
	if s == nil || s.r == nil || text == "" {
		return text
	}
	return s.r.Replace(text)
}

// Error returns err with its message masked; errors.Is and errors.As still see err. nil
// stays nil.
func (s *Set) Error(err error) error {
	if err == nil || s.Len() == 0 {
		return err
	}
	msg := err.Error()
	if masked := s.String(msg); masked != msg {
		return &maskedError{msg: masked, err: err}
	}
	return err
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// forms is value as it may be printed: itself, quoted by %q (without the quotes), escaped in
// a JSON string (with and without HTML escaping), and escaped in a URL's query and path.
func forms(value string) []string {
	out := []string{value}
	q := strconv.Quote(value)
	out = append(out, q[1:len(q)-1])
	if b, err := json.Marshal(value); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if enc.Encode(value) == nil {
		js := strings.TrimSuffix(sb.String(), "\n")
		out = append(out, js[1:len(js)-1])
	}
	return append(out, url.QueryEscape(value), url.PathEscape(value))
}
