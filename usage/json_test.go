package usage

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/jsonpath"
	"github.com/loadplan/loadplan/pricing"
)

func TestFromJSON(t *testing.T) {
	d := json.NewDecoder(strings.NewReader(`{
		"reply": "ok",
		"meta": {"tok_in": 1200, "tok_out": "300", "cached": [0, 800], "w": null, "frac": 1.5, "neg": -2, "model": "claude-haiku-4-5"}
	}`))
	d.UseNumber()
	var body any
	if err := d.Decode(&body); err != nil {
		t.Fatal(err)
	}
	p := jsonpath.MustCompile
	tests := []struct {
		name    string
		spec    JSONSpec
		want    Report
		wantErr string
	}{
		{
			name: "input and output",
			spec: JSONSpec{Input: p("$.meta.tok_in"), Output: p("$.meta.tok_out")},
			want: Report{Usage: pricing.Usage{Input: 1200, Output: 300}, Found: true, Complete: true},
		},
		{
			name: "every bucket and the model",
			spec: JSONSpec{Input: p("$.meta.tok_in"), Output: p("$.meta.tok_out"), CacheRead: p("$.meta.cached[-1]"),
				CacheWrite: p("$.meta.cached[0]"), CacheWrite1h: p("$.meta.cached[0]"), Model: p("$.meta.model")},
			want: Report{Usage: pricing.Usage{Input: 1200, Output: 300, CacheRead: 800}, Found: true, Complete: true, Model: "claude-haiku-4-5"},
		},
		{
			name: "a missing bucket makes it incomplete",
			spec: JSONSpec{Input: p("$.meta.tok_in"), Output: p("$.meta.nope")},
			want: Report{Usage: pricing.Usage{Input: 1200}, Found: true, Missing: BucketOutput},
		},
		{
			name: "null is missing",
			spec: JSONSpec{CacheWrite: p("$.meta.w")},
			want: Report{Missing: BucketCacheWrite5m},
		},
		{name: "fraction", spec: JSONSpec{Output: p("$.meta.frac")}, wantErr: "json usage: output at $.meta.frac: not an integer"},
		{name: "negative", spec: JSONSpec{Input: p("$.meta.neg")}, wantErr: "json usage: input at $.meta.neg: negative token count -2"},
		{name: "string", spec: JSONSpec{Input: p("$.reply")}, wantErr: "input at $.reply: not an integer (got a string)"},
		{name: "empty spec", spec: JSONSpec{Model: p("$.meta.model")}, wantErr: "names no token bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := FromJSON(body, tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.want {
				t.Errorf("FromJSON = %+v, want %+v", rep, tt.want)
			}
		})
	}
	if _, err := FromJSON(body, JSONSpec{}); !errors.Is(err, ErrEmptySpec) {
		t.Errorf("empty spec error = %v, want ErrEmptySpec", err)
	}
}

func TestFromHeaders(t *testing.T) {
	const secret = "Bearer sk-ant-secret-value"
	h := http.Header{}
	h.Set("Authorization", secret)
	h.Set("X-Usage-Input-Tokens", "1200")
	h.Set("X-Usage-Output-Tokens", " 300 ")
	h.Set("X-Usage-Cache-Read", "0")
	h.Set("X-Bad", "12 tokens")
	h.Set("X-Negative", "-1")
	tests := []struct {
		name    string
		spec    HeaderSpec
		want    Report
		wantErr string
	}{
		{
			name: "input and output",
			spec: HeaderSpec{Input: "X-Usage-Input-Tokens", Output: "x-usage-output-tokens"},
			want: Report{Usage: pricing.Usage{Input: 1200, Output: 300}, Found: true, Complete: true},
		},
		{
			name: "missing header is incomplete",
			spec: HeaderSpec{Input: "X-Usage-Input-Tokens", CacheWrite: "X-Usage-Cache-Write", CacheRead: "X-Usage-Cache-Read"},
			want: Report{Usage: pricing.Usage{Input: 1200}, Found: true, Missing: BucketCacheWrite5m},
		},
		{
			name: "nothing found",
			spec: HeaderSpec{CacheWrite1h: "X-Usage-Cache-Write-1h"},
			want: Report{Missing: BucketCacheWrite1h},
		},
		{name: "not an integer", spec: HeaderSpec{Input: "x-bad"}, wantErr: "header usage: header X-Bad: value is not a non-negative integer"},
		{name: "negative", spec: HeaderSpec{Output: "X-Negative"}, wantErr: "header X-Negative: value is not a non-negative integer"},
		{name: "authorization is never echoed", spec: HeaderSpec{Input: "Authorization"}, wantErr: "header Authorization: value is not"},
		{name: "empty spec", spec: HeaderSpec{}, wantErr: "names no token bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := FromHeaders(h, tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				for _, leak := range []string{"sk-ant", "12 tokens", "-1"} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("error %q shows a header value (%q)", err, leak)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.want {
				t.Errorf("FromHeaders = %+v, want %+v", rep, tt.want)
			}
		})
	}
}
