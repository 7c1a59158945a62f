package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/loadplan/loadplan/internal/promql"
	"github.com/loadplan/loadplan/plan"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// maxScrapeBytes bounds one metrics response.
const maxScrapeBytes = 16 << 20

// maxScrapeTimeout bounds one scrape; a scrape also never takes longer than its interval.
const maxScrapeTimeout = 10 * time.Second

// acceptHeader asks for the Prometheus text format.
const acceptHeader = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// Group is the monitors of one run. Run scrapes them until its context ends; Snapshot,
// Report and Series may be called meanwhile, from any goroutine.
type Group struct {
	mons []*monitor
}

// monitor is one endpoint and its series.
type monitor struct {
	url    *url.URL
	shown  string // the URL fit to print
	every  time.Duration
	client *http.Client

	mu      sync.Mutex
	series  []*series
	scrapes int
	failed  int
	lastErr string
}

// NewGroup builds the monitors of a plan against target (the run's resolved base URL: a
// monitor's relative URL is a path on it). A nil client is http.DefaultClient. The caller
// checks the hosts of absolute URLs (plan validation, run --monitor).
func NewGroup(target string, mons []*plan.Monitor, client *http.Client) (*Group, error) {
	if client == nil {
		client = http.DefaultClient
	}
	base, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("monitor: target URL: %w", err)
	}
	g := &Group{}
	for _, m := range mons {
		ref, err := url.Parse(m.URL)
		if err != nil {
			return nil, fmt.Errorf("monitor %s: %w", plan.RedactURL(m.URL), err)
		}
		u := base.ResolveReference(ref)
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("monitor %s: want an http or https URL with a host", plan.RedactURL(u.String()))
		}
		if m.Every <= 0 {
			return nil, fmt.Errorf("monitor %s: the scrape interval must be more than 0s", plan.RedactURL(u.String()))
		}
		mon := &monitor{url: u, shown: plan.RedactURL(u.String()), every: m.Every, client: client}
		for _, s := range m.Series {
			if s.Expr == nil {
				return nil, fmt.Errorf("monitor %s: series %s has no expression", mon.shown, s.Name)
			}
			mon.series = append(mon.series, &series{name: s.Name, expr: s.Expr})
		}
		g.mons = append(g.mons, mon)
	}
	return g, nil
}

// Run scrapes every monitor at once and then every interval until ctx ends. Times are
// seconds since start, the run's start. A scrape that fails is counted and remembered, never
// fatal.
func (g *Group) Run(ctx context.Context, start time.Time) {
	var wg sync.WaitGroup
	for _, m := range g.mons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.run(ctx, start)
		}()
	}
	wg.Wait()
}

func (m *monitor) run(ctx context.Context, start time.Time) {
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		// A scrape is dated when it begins.
		m.scrape(ctx, math.Round(time.Since(start).Seconds()*1000)/1000)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scrape scrapes, then evaluates every series on the samples, at t seconds since the start.
func (m *monitor) scrape(ctx context.Context, at float64) {
	sctx, cancel := context.WithTimeout(ctx, min(m.every, maxScrapeTimeout))
	samples, err := m.fetch(sctx)
	cancel()
	if ctx.Err() != nil {
		return // the run ended during the scrape: not a failure
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scrapes++
	if err != nil {
		m.failed++
		m.lastErr = err.Error()
		return
	}
	byName := make(map[string][]*model.Sample, len(m.series))
	for _, s := range samples {
		name := string(s.Metric[model.MetricNameLabel])
		byName[name] = append(byName[name], s)
	}
	for _, s := range m.series {
		s.observe(at, byName)
	}
}

// fetch reads one exposition and returns its samples (histograms and summaries flattened
// into their _bucket, _sum and _count series), parsed by the Prometheus text parser.
func (m *monitor) fetch(ctx context.Context) (samples model.Vector, err error) {
	defer func() {
		// The parser is not ours; whatever a service exposes must not crash the run.
		if r := recover(); r != nil {
			samples, err = nil, fmt.Errorf("scrape %s: the metrics could not be read: %v", m.shown, r)
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", m.shown, err)
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := m.client.Do(req)
	if err != nil {
		// The client's error carries the URL unmasked; say it ourselves.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("scrape %s: %w", m.shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("scrape %s: status %s", m.shown, resp.Status)
	}
	body := &io.LimitedReader{R: resp.Body, N: maxScrapeBytes + 1}
	// Always the text parser: an exporter that answers OpenMetrics anyway is read as text (its
	// "# EOF" is a comment). expfmt's OpenMetrics decoder builds an ABNF grammar on first use
	// (seconds of CPU) and parses a line in milliseconds: too dear for a load generator.
	parser := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := parser.TextToMetricFamilies(body)
	if body.N <= 0 {
		return nil, fmt.Errorf("scrape %s: response larger than %d bytes", m.shown, maxScrapeBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", m.shown, err)
	}
	fams := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		fams = append(fams, f)
	}
	samples, err = expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, fams...)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", m.shown, err)
	}
	return samples, nil
}

// series is one named series: its expression, its points and, for rate and increase, the
// counters' recent values.
type series struct {
	name    string
	expr    *promql.Expr
	points  []Point
	missing int    // scrapes that succeeded but gave the series no value
	note    string // why the last of them gave none
	raw     []counters
}

// counters are the values of the series a rate or increase selects, at one scrape.
type counters struct {
	t    float64
	vals map[model.Fingerprint]float64
}

func (s *series) skip(format string, args ...any) {
	s.missing++
	s.note = fmt.Sprintf(format, args...)
}

// observe evaluates the expression on one scrape's samples, by metric name, at time t.
func (s *series) observe(t float64, byName map[string][]*model.Sample) {
	sel := s.expr.Selector
	all, present := byName[sel.Name]
	if !present {
		s.skip("no metric %s in the scrape", sel.Name)
		return
	}
	var matched []*model.Sample
	for _, smp := range all {
		labels := smp.Metric
		if sel.Matches(func(name string) string { return string(labels[model.LabelName(name)]) }) {
			matched = append(matched, smp)
		}
	}
	if !s.expr.Sum && len(matched) != 1 {
		if len(matched) == 0 {
			s.skip("no series of %s matches %s", sel.Name, sel)
		} else {
			s.skip("%s matches %d series; select one with labels, or add them up with sum(...)", sel, len(matched))
		}
		return
	}
	if s.expr.Func == promql.FuncNone {
		v := 0.0
		for _, smp := range matched {
			v += float64(smp.Value)
		}
		s.add(t, v)
		return
	}
	c := counters{t: t, vals: make(map[model.Fingerprint]float64, len(matched))}
	for _, smp := range matched {
		c.vals[smp.Metric.Fingerprint()] = float64(smp.Value)
	}
	s.raw = append(s.raw, c)
	v, ok := s.window(t)
	if !ok {
		s.skip("%s needs two scrapes", s.expr.Func)
		return
	}
	s.add(t, v)
}

func (s *series) add(t, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.skip("the value is %v", v)
		return
	}
	s.points = append(s.points, Point{T: t, V: v})
}

// window computes rate or increase at t from the raw counters: from the last scrape at or
// before t - range (the first one until the run is that old) to the newest, adding up each
// series' increases scrape to scrape, a drop being a counter reset (the value after it is the
// increase), as PromQL's increase does, without its extrapolation to the window's edges. A
// series that appears counts from 0. rate divides by the time between the two scrapes.
func (s *series) window(t float64) (float64, bool) {
	rng := s.expr.Range.Seconds()
	b := 0
	for i := len(s.raw) - 1; i >= 0; i-- {
		if s.raw[i].t <= t-rng {
			b = i
			break
		}
	}
	if b > 0 {
		// Older scrapes are no longer needed.
		s.raw = append(s.raw[:0], s.raw[b:]...)
		b = 0
	}
	if len(s.raw) < 2 {
		return 0, false
	}
	inc := 0.0
	for i := b + 1; i < len(s.raw); i++ {
		for fp, v := range s.raw[i].vals {
			d := v - s.raw[i-1].vals[fp]
			if d < 0 {
				d = v
			}
			inc += d
		}
	}
	if s.expr.Func == promql.FuncIncrease {
		return inc, true
	}
	span := s.raw[len(s.raw)-1].t - s.raw[b].t
	if span <= 0 {
		return 0, false
	}
	return inc / span, true
}
