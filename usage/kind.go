package usage

import (
	"fmt"
	"strings"
)

// Kind is a usage source: where a response's token counts are read from.
type Kind int

// The usage sources. KindNone is the zero value: no source was chosen.
const (
	KindNone       Kind = iota
	KindAnthropic       // an Anthropic Messages body or event stream
	KindOpenAI          // an OpenAI Chat Completions body or chunk stream
	KindJSON            // JSON paths per bucket (JSONSpec)
	KindHeaders         // response headers per bucket (HeaderSpec)
	KindPrometheus      // Prometheus counters per bucket (PromSpec)
)

var kindNames = [...]string{
	KindNone:       "none",
	KindAnthropic:  "anthropic",
	KindOpenAI:     "openai",
	KindJSON:       "json",
	KindHeaders:    "headers",
	KindPrometheus: "prometheus",
}

// String returns the name a plan uses for k: "anthropic", "openai", "json", "headers",
// "prometheus" ("none" for KindNone).
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind returns the Kind a plan names, case-insensitively.
func ParseKind(s string) (Kind, error) {
	for k := KindAnthropic; int(k) < len(kindNames); k++ {
		if strings.EqualFold(s, kindNames[k]) {
			return k, nil
		}
	}
	return KindNone, fmt.Errorf("unknown usage source %q: valid are anthropic, openai, json, headers, prometheus", s)
}

// Streams reports whether k has a stream parser (NewStream).
func (k Kind) Streams() bool { return k == KindAnthropic || k == KindOpenAI }

// MarshalText encodes k by its name.
func (k Kind) MarshalText() ([]byte, error) {
	if k <= KindNone || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("marshal usage kind: invalid %s", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes a name written by MarshalText or a plan.
func (k *Kind) UnmarshalText(text []byte) error {
	v, err := ParseKind(string(text))
	if err != nil {
		return err
	}
	*k = v
	return nil
}
