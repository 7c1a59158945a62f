package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
)

func TestMasksEveryPrintedForm(t *testing.T) {
	t.Parallel()
	const key = "sk-ca<na>ry&1 \"q\"\r\n/é"
	s := &Set{}
	s.Add(key, "${KEY}")
	s.Add("sk", "${SHORT}") // too short to mask
	js, _ := json.Marshal(key)
	for _, text := range []string{
		"Bearer " + key,
		fmt.Sprintf("template %q does not parse", "{{uuid "+key),
		"body " + string(js),
		"url http://h/?k=" + url.QueryEscape(key),
		"path http://h/" + url.PathEscape(key) + "/x",
		fmt.Sprintf("%q", key),
	} {
		got := s.String(text)
		if strings.Contains(got, "sk-ca") || !strings.Contains(got, "${KEY}") {
			t.Errorf("%q → %q", text, got)
		}
	}
	if got := s.String("sk is short"); got != "sk is short" {
		t.Errorf("a value shorter than %d was masked: %q", MinLen, got)
	}
}

func TestLongestFirst(t *testing.T) {
	t.Parallel()
	s := &Set{}
	s.Add("abcd", "${A}")
	s.Add("abcdefgh", "${B}")
	if got := s.String("x abcdefgh abcd"); got != "x ${B} ${A}" {
		t.Errorf("%q", got)
	}
	var none *Set
	if none.String("abcd") != "abcd" || none.Error(nil) != nil {
		t.Error("a nil set masks")
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	s := &Set{}
	s.Add("secret-value", "${KEY}")
	err := s.Error(fmt.Errorf("open secret-value: %w", fs.ErrNotExist))
	if err.Error() != "open ${KEY}: file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v", err)
	}
	plain := errors.New("nothing here")
	if s.Error(plain) != plain {
		t.Error("an error with nothing to mask was wrapped")
	}
}
