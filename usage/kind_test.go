package usage

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestKind(t *testing.T) {
	for _, k := range []Kind{KindAnthropic, KindOpenAI, KindJSON, KindHeaders, KindPrometheus} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", k, err)
		}
		var back Kind
		if err := json.Unmarshal(b, &back); err != nil || back != k {
			t.Errorf("round trip of %s = %v, %v", b, back, err)
		}
	}
	if k, err := ParseKind("OpenAI"); err != nil || k != KindOpenAI {
		t.Errorf("ParseKind is not case-insensitive: %v, %v", k, err)
	}
	for _, s := range []string{"", "none", "anthropics", "header"} {
		_, err := ParseKind(s)
		if err == nil || !strings.Contains(err.Error(), "valid are anthropic, openai") {
			t.Errorf("ParseKind(%q) error = %v", s, err)
		}
	}
	if KindNone.String() != "none" || Kind(99).String() != "Kind(99)" {
		t.Errorf("String: %q %q", KindNone, Kind(99))
	}
	if _, err := json.Marshal(KindNone); err == nil {
		t.Error("KindNone marshals")
	}
	if !KindAnthropic.Streams() || !KindOpenAI.Streams() || KindJSON.Streams() {
		t.Error("Streams")
	}
}

func TestNewStream(t *testing.T) {
	for _, k := range []Kind{KindAnthropic, KindOpenAI} {
		if st, err := NewStream(k); err != nil || st == nil {
			t.Errorf("NewStream(%v) = %v, %v", k, st, err)
		}
	}
	if _, err := NewStream(KindJSON); err == nil || !strings.Contains(err.Error(), "json cannot read event streams") {
		t.Errorf("NewStream(KindJSON) error = %v", err)
	}
}
