package usage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/pricing"
)

// PromSpec reads usage from Prometheus counters that the service exports: token counters per
// bucket, or a cost counter in USD, or both. Each field but Path is a selector ("" for a
// bucket the service does not export). A plan says
// `usage: {prometheus: {path: /metrics, input: 'claude_api_tokens_total{type="input"}', ...}}`.
type PromSpec struct {
	Path         string // the metrics path on the target ("/metrics" when empty), or a full URL
	Input        string
	Output       string
	CacheRead    string
	CacheWrite   string // 5-minute cache writes
	CacheWrite1h string // 1-hour cache writes
	CostUSD      string // a counter of money spent, in USD
}

// promField is a PromSpec field, in the order of PromSpec.
type promField int

const (
	promInput promField = iota
	promOutput
	promCacheRead
	promCacheWrite
	promCacheWrite1h
	promCostUSD
)

var promFieldNames = [...]string{"input", "output", "cache_read", "cache_write", "cache_write_1h", "cost_usd"}

// selectors parses the spec's selectors and says which field each one is.
func (s PromSpec) selectors() ([]Selector, []promField, error) {
	var (
		sels   []Selector
		fields []promField
		errs   []error
	)
	for f, text := range []string{s.Input, s.Output, s.CacheRead, s.CacheWrite, s.CacheWrite1h, s.CostUSD} {
		if text == "" {
			continue
		}
		sel, err := ParseSelector(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", promFieldNames[f], err))
			continue
		}
		sels = append(sels, sel)
		fields = append(fields, promField(f))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if len(sels) == 0 {
		return nil, nil, ErrEmptySpec
	}
	return sels, fields, nil
}

// Validate checks every selector of the spec, so that a plan can be refused before a run.
func (s PromSpec) Validate() error {
	_, _, err := s.selectors()
	return err
}

// ErrCounterReset is wrapped by Delta's error when a counter went down since the baseline:
// the service restarted (or the series changed) and the difference means nothing.
var ErrCounterReset = errors.New("counter went down since the baseline (reset?)")

// ErrNoBaseline is returned by Delta before a successful Baseline.
var ErrNoBaseline = errors.New("no baseline: call Baseline first")

// maxScrapeBytes bounds a metrics response.
const maxScrapeBytes = 64 << 20

// Scraper meters a run through the service's own Prometheus counters: Baseline reads them at
// the start of the run, Delta the difference since. Counters are totals of the whole
// service, so the difference counts every request it served meanwhile, ours or not. Its
// methods are safe for concurrent use.
type Scraper struct {
	client *http.Client
	url    *url.URL
	sels   []Selector
	fields []promField

	mu   sync.Mutex
	base []decimal.Decimal // nil before Baseline
}

// NewScraper returns a Scraper of the spec's counters at spec.Path on baseURL (the plan's
// target). A nil client is http.DefaultClient. It fails on an invalid selector or URL.
func NewScraper(client *http.Client, baseURL string, spec PromSpec) (*Scraper, error) {
	sels, fields, err := spec.selectors()
	if err != nil {
		return nil, fmt.Errorf("prometheus usage: %w", err)
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("prometheus usage: target URL: %w", err)
	}
	path := spec.Path
	if path == "" {
		path = "/metrics"
	}
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("prometheus usage: metrics path: %w", err)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("prometheus usage: metrics URL %s: want http or https with a host", u.Redacted())
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Scraper{client: client, url: u, sels: sels, fields: fields}, nil
}

// URL is the metrics URL, with any password masked.
func (s *Scraper) URL() string { return s.url.Redacted() }

// Baseline reads the counters at the start of a run. A counter that does not exist yet
// counts as zero (client libraries export a labelled series only once it was incremented).
func (s *Scraper) Baseline(ctx context.Context) error {
	vals, _, _, err := s.scrape(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.base = vals
	s.mu.Unlock()
	return nil
}

// Delta reads the counters again and returns what they grew by since Baseline: the token
// buckets, and the cost in USD when the spec has CostUSD (else zero). A selector whose
// metric is absent from this scrape altogether is an error, so that a misspelt name is not
// read as zero tokens; a selector whose metric exists but no series of which matches counts
// zero (a label value that was never incremented; Read says which). A counter that went
// down is ErrCounterReset; a token counter that grew by a fraction is an error.
func (s *Scraper) Delta(ctx context.Context) (pricing.Usage, decimal.Decimal, error) {
	r, err := s.Read(ctx)
	return r.Usage, r.CostUSD, err
}

// Reading is what the counters grew by since the baseline, as Read returns it.
type Reading struct {
	Usage   pricing.Usage
	CostUSD decimal.Decimal // zero without a CostUSD selector
	// Unmatched names each required selector (input, output, cost_usd) whose metric exists
	// but no series of which matched in this scrape, as "output: NAME{...}". A service
	// exports a labelled series once it counted something, so once requests that were
	// billed completed, such a selector is a label that names nothing (a typo, a label the
	// service does not use), and what it should count is unknown, not zero. The cache
	// selectors are optional: a service that never read or wrote its cache has no series
	// for them, and they count zero.
	Unmatched []string
}

// Read is Delta that also says which required selectors matched no series.
func (s *Scraper) Read(ctx context.Context) (Reading, error) {
	s.mu.Lock()
	base := s.base
	s.mu.Unlock()
	if base == nil {
		return Reading{CostUSD: decimal.Zero}, fmt.Errorf("prometheus usage: %w", ErrNoBaseline)
	}
	vals, seen, matched, err := s.scrape(ctx)
	if err != nil {
		return Reading{CostUSD: decimal.Zero}, err
	}
	var (
		u         pricing.Usage
		cost      = decimal.Zero
		unmatched []string
	)
	for i, sel := range s.sels {
		if !seen[i] {
			return Reading{CostUSD: decimal.Zero}, fmt.Errorf("prometheus usage: scrape %s: %s: no metric %s",
				s.URL(), promFieldNames[s.fields[i]], sel.Name)
		}
		switch s.fields[i] {
		case promInput, promOutput, promCostUSD:
			if !matched[i] {
				unmatched = append(unmatched, promFieldNames[s.fields[i]]+": "+sel.String())
			}
		}
		d := vals[i].Sub(base[i])
		if d.Sign() < 0 {
			return Reading{CostUSD: decimal.Zero}, fmt.Errorf("prometheus usage: %s %s: from %s to %s: %w",
				promFieldNames[s.fields[i]], sel, base[i], vals[i], ErrCounterReset)
		}
		if s.fields[i] == promCostUSD {
			cost = d
			continue
		}
		if !d.IsInteger() || d.GreaterThan(decimal.NewFromInt(1<<62)) {
			return Reading{CostUSD: decimal.Zero}, fmt.Errorf("prometheus usage: %s %s: grew by %s, not a whole token count",
				promFieldNames[s.fields[i]], sel, d)
		}
		n := d.IntPart()
		switch s.fields[i] {
		case promInput:
			u.Input = n
		case promOutput:
			u.Output = n
		case promCacheRead:
			u.CacheRead = n
		case promCacheWrite:
			u.CacheWrite5m = n
		case promCacheWrite1h:
			u.CacheWrite1h = n
		}
	}
	return Reading{Usage: u, CostUSD: cost, Unmatched: unmatched}, nil
}

func (s *Scraper) scrape(ctx context.Context) (vals []decimal.Decimal, seen, matched []bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url.String(), nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("prometheus usage: scrape %s: %w", s.URL(), err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := s.client.Do(req)
	if err != nil {
		// The client's error carries the URL unmasked; say it ourselves.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, nil, nil, fmt.Errorf("prometheus usage: scrape %s: %w", s.URL(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return nil, nil, nil, fmt.Errorf("prometheus usage: scrape %s: status %s", s.URL(), resp.Status)
	}
	body := &io.LimitedReader{R: resp.Body, N: maxScrapeBytes + 1}
	vals, seen, matched, err = readCounters(body, s.sels)
	if body.N <= 0 {
		return nil, nil, nil, fmt.Errorf("prometheus usage: scrape %s: response larger than %d bytes", s.URL(), maxScrapeBytes)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("prometheus usage: scrape %s: %w", s.URL(), err)
	}
	return vals, seen, matched, nil
}

// ReadCounters reads a Prometheus text exposition (format 0.0.4, or OpenMetrics text) and
// returns, for each selector, the sum of the values of the series it matches (zero when none
// does). Values are read as decimals from their text, so a cost counter stays exact. A
// matching series whose value is NaN or infinite is an error; lines of other metrics are
// skipped without being checked further.
func ReadCounters(r io.Reader, sels []Selector) ([]decimal.Decimal, error) {
	vals, _, _, err := readCounters(r, sels)
	return vals, err
}

// maxLineBytes bounds one exposition line.
const maxLineBytes = 1 << 20

// readCounters is ReadCounters that also says, per selector, whether its metric name
// appeared at all (seen) and whether a series matched it (matched).
func readCounters(r io.Reader, sels []Selector) (vals []decimal.Decimal, seen, matched []bool, err error) {
	vals = make([]decimal.Decimal, len(sels))
	seen = make([]bool, len(sels))
	matched = make([]bool, len(sels))
	for i := range vals {
		vals[i] = decimal.Zero
	}
	byName := make(map[string][]int, len(sels))
	for i, s := range sels {
		byName[s.Name] = append(byName[s.Name], i)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := sc.Text()
		if i := strings.IndexFunc(line, func(r rune) bool { return r != ' ' && r != '\t' }); i < 0 || line[i] == '#' {
			continue // blank, or HELP, TYPE, EOF and other comments
		}
		name, labels, value, err := parseSample(line, byName)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		idx, ok := byName[name]
		if !ok {
			continue
		}
		var v decimal.Decimal
		parsed := false
		for _, i := range idx {
			seen[i] = true
			if !sels[i].matches(labels) {
				continue
			}
			matched[i] = true
			if !parsed {
				if v, err = parseValue(value); err != nil {
					return nil, nil, nil, fmt.Errorf("line %d: %s: %w", lineNo, name, err)
				}
				parsed = true
			}
			vals[i] = vals[i].Add(v)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, nil, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		return nil, nil, nil, err
	}
	return vals, seen, matched, nil
}

// parseSample splits a sample line `name{labels} value [timestamp]` (or OpenMetrics'
// `{"name", labels} value`). A line whose metric is not in want is returned by name alone,
// unchecked beyond it.
func parseSample(line string, want map[string][]int) (name string, labels []Matcher, value string, err error) {
	l := &promLexer{s: line}
	l.space()
	if l.peek() != '{' {
		if name = l.metricName(); name == "" {
			return "", nil, "", fmt.Errorf("column %d: expected a metric name", l.i+1)
		}
		if _, ok := want[name]; !ok {
			return name, nil, "", nil
		}
		at := l.i
		if l.space(); l.peek() != '{' {
			l.i = at // the space before the value
		}
	}
	if l.peek() == '{' {
		l.i++
		var quotedName string
		if quotedName, labels, err = l.labelSet(name == ""); err != nil {
			return "", nil, "", err
		}
		if name == "" {
			if name = quotedName; name == "" {
				return "", nil, "", fmt.Errorf("column %d: series without a metric name", l.i)
			}
			if _, ok := want[name]; !ok {
				return name, nil, "", nil
			}
		}
	}
	start := l.i
	l.space()
	if l.i == start || l.i == len(l.s) {
		return "", nil, "", fmt.Errorf("column %d: expected a space and a value", l.i+1)
	}
	start = l.i
	for l.i < len(l.s) && l.s[l.i] != ' ' && l.s[l.i] != '\t' {
		l.i++
	}
	return name, labels, l.s[start:l.i], nil // a timestamp or exemplar may follow: unused
}

// parseValue reads a sample value exactly.
func parseValue(s string) (decimal.Decimal, error) {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf":
		return decimal.Decimal{}, fmt.Errorf("value %s is not a finite number", s)
	}
	if s == "" || strings.TrimLeft(s, "0123456789+-.eE") != "" {
		return decimal.Decimal{}, fmt.Errorf("value %q is not a number", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("value %q is not a number", s)
	}
	return d, nil
}

// Matcher is a label matcher: the series' label Name equals Value. A Value of "" matches a
// series without that label, as in PromQL.
type Matcher struct {
	Name, Value string
}

// Selector picks series of one metric, like a PromQL instant vector selector restricted to
// equality matchers: `claude_api_tokens_total{type="input",model="claude-sonnet-4-5"}`.
type Selector struct {
	Name   string    // the metric (sample) name, such as claude_api_tokens_total
	Labels []Matcher // all must hold; in the order written
}

// ParseSelector parses `name`, `name{label="value", ...}` or, for a name that is not a
// classic identifier, `{"name", label="value"}`. Values are double-quoted with \\, \" and
// \n escapes. Only `=` matchers are supported; a label may be matched once.
func ParseSelector(s string) (Selector, error) {
	sel, err := parseSelector(s)
	if err != nil {
		return Selector{}, fmt.Errorf("selector %q: %w", s, err)
	}
	return sel, nil
}

func parseSelector(s string) (Selector, error) {
	l := &promLexer{s: s, selector: true}
	var sel Selector
	l.space()
	if l.i == len(s) {
		return sel, errors.New("empty: expected a metric name, as in claude_api_tokens_total{type=\"input\"}")
	}
	if l.peek() != '{' {
		if sel.Name = l.metricName(); sel.Name == "" {
			return sel, l.errorf("expected a metric name: letters, digits, '_' and ':', not starting with a digit")
		}
		l.space()
	}
	if l.peek() == '{' {
		l.i++
		name, labels, err := l.labelSet(sel.Name == "")
		if err != nil {
			return sel, err
		}
		if sel.Name == "" {
			if sel.Name = name; name == "" {
				return sel, errors.New("no metric name: write name{...} or {\"name\", ...}")
			}
		}
		sel.Labels = labels
		l.space()
	}
	if l.i < len(s) {
		return sel, l.errorf("unexpected %q after the selector", s[l.i:])
	}
	return sel, nil
}

// matches reports whether a series with these labels is selected.
func (s Selector) matches(labels []Matcher) bool {
	for _, m := range s.Labels {
		v := ""
		for _, l := range labels {
			if l.Name == m.Name {
				v = l.Value
				break
			}
		}
		if v != m.Value {
			return false
		}
	}
	return true
}

// String returns the selector in the form ParseSelector reads.
func (s Selector) String() string {
	var b strings.Builder
	quoteName := !isMetricName(s.Name)
	if !quoteName {
		b.WriteString(s.Name)
	}
	if len(s.Labels) == 0 && !quoteName {
		return b.String()
	}
	b.WriteByte('{')
	if quoteName {
		writeQuoted(&b, s.Name)
	}
	for i, m := range s.Labels {
		if i > 0 || quoteName {
			b.WriteByte(',')
		}
		if isLabelName(m.Name) {
			b.WriteString(m.Name)
		} else {
			writeQuoted(&b, m.Name)
		}
		b.WriteByte('=')
		writeQuoted(&b, m.Value)
	}
	b.WriteByte('}')
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func isMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0, true) {
			return false
		}
	}
	return true
}

func isLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0, false) {
			return false
		}
	}
	return true
}

// isNameByte: metric names are [a-zA-Z_:][a-zA-Z0-9_:]*, label names the same without ':'.
func isNameByte(c byte, first, colon bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || colon && c == ':' ||
		!first && c >= '0' && c <= '9'
}

// promLexer reads selectors and exposition lines.
type promLexer struct {
	s        string
	i        int
	selector bool // in a selector: explain unsupported PromQL operators
}

func (l *promLexer) errorf(format string, args ...any) error {
	return fmt.Errorf("column %d: %s", l.i+1, fmt.Sprintf(format, args...))
}

func (l *promLexer) peek() byte {
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

func (l *promLexer) space() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
}

func (l *promLexer) name(colon bool) string {
	start := l.i
	for l.i < len(l.s) && isNameByte(l.s[l.i], l.i == start, colon) {
		l.i++
	}
	return l.s[start:l.i]
}

func (l *promLexer) metricName() string { return l.name(true) }

// labelSet reads the labels after '{' up to and including '}'. When nameFirst, a first item
// that is a lone quoted string is the metric name (UTF-8 names: {"my.metric", a="b"}).
func (l *promLexer) labelSet(nameFirst bool) (name string, labels []Matcher, err error) {
	for first := true; ; first = false {
		l.space()
		if l.peek() == '}' {
			l.i++
			return name, labels, nil
		}
		var label string
		switch c := l.peek(); {
		case c == '"':
			if label, err = l.quoted(); err != nil {
				return "", nil, err
			}
			l.space()
			if first && nameFirst && (l.peek() == ',' || l.peek() == '}') {
				name = label
				if l.peek() == ',' {
					l.i++
				}
				continue
			}
		case isNameByte(c, true, false):
			label = l.name(false)
			l.space()
		case c == 0:
			return "", nil, l.errorf("unterminated '{': expected a label or '}'")
		default:
			return "", nil, l.errorf("unexpected %q: expected a label name or '}'", rune(c))
		}
		if err := l.operator(); err != nil {
			return "", nil, err
		}
		l.space()
		if l.peek() != '"' {
			return "", nil, l.errorf("expected a double-quoted value for label %s", label)
		}
		value, err := l.quoted()
		if err != nil {
			return "", nil, err
		}
		if l.selector {
			for _, m := range labels {
				if m.Name == label {
					return "", nil, l.errorf("label %s is matched twice", label)
				}
			}
		}
		labels = append(labels, Matcher{Name: label, Value: value})
		l.space()
		switch l.peek() {
		case ',':
			l.i++
		case '}':
		case 0:
			return "", nil, l.errorf("unterminated '{': expected ',' or '}'")
		default:
			return "", nil, l.errorf("unexpected %q: expected ',' or '}'", rune(l.peek()))
		}
	}
}

// operator reads the '=' between a label and its value.
func (l *promLexer) operator() error {
	rest := l.s[l.i:]
	switch {
	case strings.HasPrefix(rest, "=~"), strings.HasPrefix(rest, "!="), strings.HasPrefix(rest, "!~"):
		return l.errorf("operator %s is not supported: only label=\"value\" matchers", rest[:2])
	case strings.HasPrefix(rest, "="):
		l.i++
		return nil
	}
	return l.errorf("expected '=' after the label name")
}

// quoted reads a double-quoted string with the \\, \" and \n escapes.
func (l *promLexer) quoted() (string, error) {
	open := l.i
	l.i++
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch c {
		case '"':
			l.i++
			return b.String(), nil
		case '\\':
			if l.i+1 >= len(l.s) {
				break
			}
			switch e := l.s[l.i+1]; e {
			case '\\', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			default:
				return "", l.errorf(`unknown escape \%c: valid are \\, \" and \n`, e)
			}
			l.i += 2
			continue
		}
		b.WriteByte(c)
		l.i++
	}
	l.i = open
	return "", l.errorf("unterminated quoted string")
}
