package usage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/pricing"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in      string
		want    Selector
		str     string // String(); "" means in
		wantErr string
	}{
		{in: "claude_api_tokens_total", want: Selector{Name: "claude_api_tokens_total"}},
		{in: `claude_api_tokens_total{type="input"}`, want: Selector{Name: "claude_api_tokens_total", Labels: []Matcher{{"type", "input"}}}},
		{
			in:   ` up:rate { job = "api" , type="a\"b\\c\nd", } `,
			want: Selector{Name: "up:rate", Labels: []Matcher{{"job", "api"}, {"type", "a\"b\\c\nd"}}},
			str:  `up:rate{job="api",type="a\"b\\c\nd"}`,
		},
		{in: `x{}`, want: Selector{Name: "x"}, str: "x"},
		{in: `x{a=""}`, want: Selector{Name: "x", Labels: []Matcher{{"a", ""}}}},
		{in: `{"my.metric", "a.b"="c"}`, want: Selector{Name: "my.metric", Labels: []Matcher{{"a.b", "c"}}}, str: `{"my.metric","a.b"="c"}`},
		{in: `{"plain"}`, want: Selector{Name: "plain"}, str: "plain"},
		{in: "", wantErr: `selector "": empty`},
		{in: "  ", wantErr: "empty"},
		{in: "9lives", wantErr: "column 1: expected a metric name"},
		{in: "a-b", wantErr: `column 2: unexpected "-b" after the selector`},
		{in: `x{type=~"in.*"}`, wantErr: "column 7: operator =~ is not supported"},
		{in: `x{type!="a"}`, wantErr: "operator != is not supported"},
		{in: `x{type="a"`, wantErr: "unterminated '{'"},
		{in: `x{type="a}`, wantErr: "unterminated quoted string"},
		{in: `x{type=a}`, wantErr: "expected a double-quoted value for label type"},
		{in: `x{type}`, wantErr: "expected '=' after the label name"},
		{in: `x{"n"}`, wantErr: "expected '=' after the label name"},
		{in: `x{a="1",a="2"}`, wantErr: "label a is matched twice"},
		{in: `x{a="\t"}`, wantErr: `unknown escape \t`},
		{in: `{a="b"}`, wantErr: "no metric name"},
		{in: `x{a="b"} y`, wantErr: "after the selector"},
		{in: `x{1="b"}`, wantErr: "expected a label name or '}'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSelector(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSelector = %#v, want %#v", got, tt.want)
			}
			str := tt.str
			if str == "" {
				str = tt.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
		})
	}
}

const exposition = `# HELP claude_api_tokens_total Tokens by type.
# TYPE claude_api_tokens_total counter
claude_api_tokens_total{model="claude-sonnet-4-5",type="input"} 1.2345678e+07
claude_api_tokens_total{model="claude-haiku-4-5",type="input"} 100 1700000000000
claude_api_tokens_total{model="claude-sonnet-4-5",type="output"} 5000
claude_api_tokens_total{type="cache_read",model="claude-sonnet-4-5"} 0
# TYPE claude_api_cost_usd_total counter
claude_api_cost_usd_total 0.1000000000000000055511151231257827
claude_api_cost_usd_total{region="eu"} 0.2
{"claude.api.requests", "model.name"="x"} 7 # {trace_id="abc"} 1 1700000000
other_metric{this is not parsed because nobody asked} garbage
  
# EOF
`

func sel(t testing.TB, s string) Selector {
	t.Helper()
	x, err := ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestReadCounters(t *testing.T) {
	sels := []Selector{
		sel(t, `claude_api_tokens_total{type="input"}`),                           // summed over models
		sel(t, `claude_api_tokens_total{type="input",model="claude-sonnet-4-5"}`), // one series
		sel(t, `claude_api_tokens_total{type="output"}`),
		sel(t, `claude_api_tokens_total{type="cache_write"}`), // no series: zero
		sel(t, `claude_api_cost_usd_total`),                   // both series, exactly
		sel(t, `claude_api_cost_usd_total{region=""}`),        // only the one without the label
		sel(t, `{"claude.api.requests"}`),
		sel(t, `missing_total`),
	}
	got, seen, matched, err := readCounters(strings.NewReader(exposition), sels)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"12345778", "12345678", "5000", "0", "0.3000000000000000055511151231257827", "0.1000000000000000055511151231257827", "7", "0"}
	for i := range want {
		if !got[i].Equal(decimal.RequireFromString(want[i])) {
			t.Errorf("%s = %s, want %s", sels[i], got[i], want[i])
		}
	}
	if wantSeen := []bool{true, true, true, true, true, true, true, false}; !reflect.DeepEqual(seen, wantSeen) {
		t.Errorf("seen = %v, want %v", seen, wantSeen)
	}
	if wantMatched := []bool{true, true, true, false, true, true, true, false}; !reflect.DeepEqual(matched, wantMatched) {
		t.Errorf("matched = %v, want %v", matched, wantMatched)
	}
	vals, err := ReadCounters(strings.NewReader(exposition), sels[:1])
	if err != nil || len(vals) != 1 || !vals[0].Equal(decimal.NewFromInt(12345778)) {
		t.Errorf("ReadCounters = %v, %v", vals, err)
	}
}

func TestReadCountersErrors(t *testing.T) {
	sels := []Selector{sel(t, `m{a="b"}`)}
	tests := []struct {
		name, text, wantErr string
	}{
		{"html", "<!DOCTYPE html>\n", "line 1: column 1: expected a metric name"},
		{"NaN", "m{a=\"b\"} NaN\n", "line 1: m: value NaN is not a finite number"},
		{"Inf", "# c\nm{a=\"b\"} +Inf\n", "line 2: m: value +Inf is not a finite number"},
		{"not a number", "m{a=\"b\"} 0x10\n", `value "0x10" is not a number`},
		{"no value", "m{a=\"b\"}\n", "expected a space and a value"},
		{"bad labels", "m{a=\"b\n", "unterminated quoted string"},
		{"too long", "m " + strings.Repeat("1", maxLineBytes) + "\n", "line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCounters(strings.NewReader(tt.text), sels)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// A series that does not match keeps its NaN to itself.
	if _, err := ReadCounters(strings.NewReader("m{a=\"c\"} NaN\n"), sels); err != nil {
		t.Errorf("NaN in an unselected series: %v", err)
	}
}

// metricsServer serves an exposition that the test can change.
type metricsServer struct {
	mu     sync.Mutex
	text   string
	status int
}

func (m *metricsServer) set(status int, format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.text = status, fmt.Sprintf(format, args...)
}

func (m *metricsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.WriteHeader(m.status)
	fmt.Fprint(w, m.text)
}

const tokensExposition = `# TYPE claude_api_tokens_total counter
claude_api_tokens_total{type="input"} %d
claude_api_tokens_total{type="output"} %d
claude_api_tokens_total{type="cache_read"} %d
# TYPE claude_api_cost_usd_total counter
claude_api_cost_usd_total %s
`

func newMetrics(t *testing.T) (*metricsServer, *httptest.Server) {
	t.Helper()
	m := &metricsServer{}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

var testPromSpec = PromSpec{
	Input:      `claude_api_tokens_total{type="input"}`,
	Output:     `claude_api_tokens_total{type="output"}`,
	CacheRead:  `claude_api_tokens_total{type="cache_read"}`,
	CacheWrite: `claude_api_tokens_total{type="cache_write"}`, // never incremented: zero
	CostUSD:    `claude_api_cost_usd_total`,
}

func TestScraper(t *testing.T) {
	m, srv := newMetrics(t)
	ctx := context.Background()
	s, err := NewScraper(srv.Client(), srv.URL+"/api", testPromSpec) // the path resolves against the target
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != srv.URL+"/metrics" {
		t.Errorf("URL = %s", s.URL())
	}
	if _, _, err := s.Delta(ctx); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("Delta before Baseline: %v", err)
	}

	m.set(200, tokensExposition, 1000, 200, 5000, "0.5")
	if err := s.Baseline(ctx); err != nil {
		t.Fatal(err)
	}
	m.set(200, tokensExposition, 1472, 289, 6800, "0.5123456789012345678")
	u, cost, err := s.Delta(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (pricing.Usage{Input: 472, Output: 89, CacheRead: 1800}); u != want {
		t.Errorf("Delta usage = %+v, want %+v", u, want)
	}
	if want := decimal.RequireFromString("0.0123456789012345678"); !cost.Equal(want) {
		t.Errorf("Delta cost = %s, want %s", cost, want)
	}

	// Delta does not move the baseline.
	m.set(200, tokensExposition, 2000, 300, 6800, "1")
	if u, cost, err = s.Delta(ctx); err != nil || u.Input != 1000 || !cost.Equal(decimal.RequireFromString("0.5")) {
		t.Errorf("second Delta = %+v, %s, %v", u, cost, err)
	}

	m.set(200, tokensExposition, 10, 300, 6800, "1")
	if _, _, err := s.Delta(ctx); !errors.Is(err, ErrCounterReset) || !strings.Contains(err.Error(), "input") {
		t.Errorf("reset: %v", err)
	}

	m.set(200, "other_total 1\n")
	if _, _, err := s.Delta(ctx); err == nil || !strings.Contains(err.Error(), "input: no metric claude_api_tokens_total") {
		t.Errorf("absent metric: %v", err)
	}

	m.set(200, strings.Replace(tokensExposition, `{type="output"} %d`, `{type="output"} %d.5`, 1), 2000, 300, 6800, "1")
	if _, _, err := s.Delta(ctx); err == nil || !strings.Contains(err.Error(), "not a whole token count") {
		t.Errorf("fractional tokens: %v", err)
	}

	m.set(503, "down")
	if _, _, err := s.Delta(ctx); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("status: %v", err)
	}
	if err := s.Baseline(ctx); err == nil {
		t.Error("Baseline of a failing endpoint succeeded")
	}
}

// TestScraperBaselineBeforeCounters: counters that do not exist at the start count as zero.
func TestScraperBaselineBeforeCounters(t *testing.T) {
	m, srv := newMetrics(t)
	m.set(200, "# nothing yet\n")
	s, err := NewScraper(nil, srv.URL, PromSpec{Path: "/metrics", Output: `claude_api_tokens_total{type="output"}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Baseline(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.set(200, "claude_api_tokens_total{type=\"output\"} 42\n")
	u, cost, err := s.Delta(context.Background())
	if err != nil || u != (pricing.Usage{Output: 42}) || !cost.IsZero() {
		t.Errorf("Delta = %+v, %s, %v", u, cost, err)
	}
}

func TestNewScraperErrors(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		spec    PromSpec
		wantErr string
	}{
		{"empty spec", "http://h", PromSpec{Path: "/metrics"}, "names no token bucket"},
		{"bad selectors", "http://h", PromSpec{Input: "a{", Output: "b{x!=\"y\"}"}, `input: selector "a{"`},
		{"bad scheme", "ftp://h", PromSpec{Input: "a"}, "want http or https"},
		{"no host", "/relative", PromSpec{Input: "a"}, "want http or https"},
		{"password masked", "http://u:secret@h:8002", PromSpec{Input: "a", Path: "ftp://u:secret@h/"}, "ftp://u:xxxxx@h/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewScraper(nil, tt.base, tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
	err := PromSpec{Input: "a{", Output: "b{x!=\"y\"}"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "input:") || !strings.Contains(err.Error(), "output:") {
		t.Errorf("Validate reports every selector: %v", err)
	}
	if err := testPromSpec.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestScraperMetricsURL(t *testing.T) {
	m, srv := newMetrics(t)
	m.set(200, "x_total 1\n")
	// A full URL in Path: metrics on another port than the target.
	s, err := NewScraper(nil, "http://127.0.0.1:1", PromSpec{Path: srv.URL + "/metrics", Input: "x_total"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Baseline(context.Background()); err != nil {
		t.Fatal(err)
	}
	// An unreachable target: the error names the URL with its password masked.
	s, err = NewScraper(nil, "http://user:secret@127.0.0.1:1", PromSpec{Input: "x_total"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Baseline(context.Background())
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "user:xxxxx@127.0.0.1:1/metrics") {
		t.Errorf("Baseline of an unreachable target: %v", err)
	}
}

func FuzzSelector(f *testing.F) {
	for _, s := range []string{
		`claude_api_tokens_total{type="input"}`, `x`, `{"a.b", c="d"}`, `x{a="\\\"\n",}`, `x{a=~"b"}`, `x{`, ` x { } `,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		usageBudget.Check(t, len(s), func() {
			sel, err := ParseSelector(s)
			if err != nil {
				return
			}
			back, err := ParseSelector(sel.String())
			if err != nil {
				t.Fatalf("String() %q of %q does not parse: %v", sel.String(), s, err)
			}
			if !reflect.DeepEqual(back, sel) && !(len(back.Labels) == 0 && len(sel.Labels) == 0 && back.Name == sel.Name) {
				t.Fatalf("round trip of %q: %#v, want %#v", s, back, sel)
			}
		})
	})
}

func FuzzReadCounters(f *testing.F) {
	f.Add(exposition)
	f.Add(fmt.Sprintf(tokensExposition, 1, 2, 3, "4.5"))
	f.Add("m{a=\"b\"} 1e3 123\nm{a=\"c\",} -0\n{\"m\",a=\"b\"} 2\n")
	sels := []Selector{
		{Name: "m", Labels: []Matcher{{"a", "b"}}},
		{Name: "m"},
		{Name: "claude_api_tokens_total", Labels: []Matcher{{"type", "input"}}},
		{Name: "claude_api_cost_usd_total"},
	}
	f.Fuzz(func(t *testing.T, text string) {
		usageBudget.Check(t, len(text), func() {
			vals, err := ReadCounters(strings.NewReader(text), sels)
			if err == nil && len(vals) != len(sels) {
				t.Fatalf("%d values for %d selectors", len(vals), len(sels))
			}
		})
	})
}
