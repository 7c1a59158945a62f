package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

//go:embed templates/*.tmpl templates/*.css
var templateFS embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"css": func() template.CSS {
		b, _ := templateFS.ReadFile("templates/report.css")
		return template.CSS(b)
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// WriteHTML writes a run's report as one self-contained HTML page (inline CSS and SVG; no
// script, font or stylesheet is fetched): the scenario and its verdict; the cost panel
// (actual against the estimate and the budget, cumulative cost over time against the budget
// line, cost per task against its estimate); requests/s and users over time; latency p50
// and p95 over time and per task; time to first token of the streamed tasks; the monitored
// series of the target (Target health); the per-task table, the failures and the thresholds.
func WriteHTML(w io.Writer, s *summary.Run) error {
	v, err := newRunView(s)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := pageTemplates.ExecuteTemplate(w, "run.html.tmpl", v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

type kpi struct {
	Label, Value, Sub, Class string
}

type htmlTaskRow struct {
	Name, Method                                   string
	Requests, Failures, FailPct, RPS               string
	Avg, P50, P95, P99, Max, TTFT                  string
	TokensIn, TokensOut, CacheHit                  string
	Cost, CostPerRequest, CostSource, CostEstimate string
	Failing                                        bool
}

type htmlFailure struct {
	Task, Method, Error, Occurrences, Share string
}

type htmlThreshold struct {
	Name, Scope, Limit, Actual string
	Pass                       bool
}

type runView struct {
	Title, Plan, Scenario, Target string
	Started, Duration, Seed       string
	Pass                          bool
	Verdict, VerdictClass         string
	ThresholdsBeneath             string
	StopReason, StopClass         string
	StopDetail                    string
	Partial                       bool
	ExitCode                      int
	Load                          string
	KPIs                          []kpi
	CostBullet                    template.HTML
	CostNotes                     []string
	CostChart                     template.HTML
	CostPerTask                   template.HTML
	FreeTasks                     string
	TrafficChart                  template.HTML
	LatencyChart                  template.HTML
	LatencyByTask                 template.HTML
	TTFTChart                     template.HTML
	MonitorCharts                 []monitorChart
	Tasks                         []htmlTaskRow
	Total                         htmlTaskRow
	Failures                      []htmlFailure
	Thresholds                    []htmlThreshold
	HasTTFT                       bool
	RateLimits                    []rateLimitRow
	RateLimitHeaders              string // responses with rate-limit headers
}

func newRunView(s *summary.Run) (*runView, error) {
	est, err := summaryEstimate(s)
	if err != nil {
		return nil, err
	}
	v := &runView{
		Title:    fmt.Sprintf("%s / %s — loadplan report", s.Plan, s.Scenario),
		Plan:     s.Plan,
		Scenario: s.Scenario,
		Target:   s.Target,
		Started:  s.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: humanSeconds(s.DurationS),
		Seed:     strconv.FormatUint(s.Seed, 10),
		Pass:     s.Pass,
		Verdict:  string(s.Verdict()),
		// Only a PASS is green: a run stopped by its budget or interrupted is a warning
		// whatever its thresholds said about the part that ran.
		VerdictClass:      verdictClass(s.Verdict()),
		ThresholdsBeneath: thresholdsBeneath(s),
		StopReason:        strings.ReplaceAll(string(s.StopReason), "_", " "),
		StopClass:         stopClass(s.StopReason),
		StopDetail:        s.StopDetail,
		Partial:           s.Partial,
		ExitCode:          s.ExitCode,
	}
	if est != nil {
		switch {
		case est.Model == "open" && est.ArrivalRate != "":
			v.Load = fmt.Sprintf("open model, %s for %s", est.ArrivalRate, est.Duration)
		case est.MaxUsers > 0:
			v.Load = fmt.Sprintf("%d users for %s", est.MaxUsers, est.Duration)
		}
	}
	v.KPIs = runKPIs(s, est)
	v.CostBullet, v.CostNotes = costPanel(s, est)
	v.CostChart = costChart(s, est)
	v.CostPerTask, v.FreeTasks = costPerTaskChart(s, est)
	v.TrafficChart = trafficChart(s)
	v.LatencyChart = latencyChart(s)
	v.LatencyByTask = latencyByTaskChart(s)
	v.TTFTChart = ttftChart(s)
	v.HasTTFT = v.TTFTChart != ""
	v.MonitorCharts = monitorCharts(s)
	v.Tasks, v.Total = taskRows(s, est)
	if v.RateLimits = rateLimitRows(s); v.RateLimits != nil {
		v.RateLimitHeaders = groupThousands(float64(s.RateLimits.ResponsesWithHeaders))
	}
	for _, f := range summary.SortedFailures(s.Failures) {
		share := ""
		for _, t := range s.Tasks {
			if t.Name == f.Task && t.Requests > 0 {
				share = pctText(float64(f.Occurrences) / float64(t.Requests))
			}
		}
		v.Failures = append(v.Failures, htmlFailure{Task: f.Task, Method: f.Method, Error: f.Error,
			Occurrences: groupThousands(float64(f.Occurrences)), Share: share})
	}
	for _, t := range s.Thresholds {
		v.Thresholds = append(v.Thresholds, htmlThreshold{Name: t.Name, Scope: t.ScopeText(), Limit: t.Limit, Actual: t.Actual, Pass: t.Pass})
	}
	return v, nil
}

// verdictClass is the badge's class: pass (green) for PASS only, warn for a run stopped by
// its budget or interrupted, fail for the rest.
func verdictClass(v summary.Verdict) string {
	switch v {
	case summary.VerdictPass:
		return "pass"
	case summary.VerdictBudget, summary.VerdictInterrupted:
		return "warn"
	}
	return "fail"
}

func stopClass(r summary.StopReason) string {
	switch r {
	case summary.StopCompleted:
		return "ok"
	case summary.StopBudgetExhausted, summary.StopInterrupted:
		return "warn"
	}
	return "bad"
}

// compactCount writes a count for a tile: 183k, 1.2M.
func compactCount(n float64) string {
	switch {
	case n >= 1e6:
		return strconv.FormatFloat(n/1e6, 'f', 1, 64) + "M"
	case n >= 1e4:
		return strconv.FormatFloat(n/1e3, 'f', 0, 64) + "k"
	}
	return groupThousands(n)
}

func runKPIs(s *summary.Run, est *planner.Scenario) []kpi {
	a := s.Actual
	failRate := 0.0
	if a.Requests > 0 {
		failRate = float64(a.Failures) / float64(a.Requests)
	}
	reqSub := fmt.Sprintf("%.2f req/s · %s failed (%s)", a.RPS, groupThousands(float64(a.Failures)), pctText(failRate))
	if est != nil && est.Requests.Expected != nil {
		reqSub += fmt.Sprintf(" · %s expected", groupThousands(est.Requests.Expected.Float64()))
	}
	if t := arrivalsText(a); t != "" {
		reqSub += " · " + t
	}
	failClass := ""
	if a.Failures > 0 || a.DroppedArrivals > 0 {
		failClass = "warn"
	}
	out := []kpi{
		{Label: "Requests", Value: groupThousands(float64(a.Requests)), Sub: reqSub, Class: failClass},
		{Label: "Latency p95", Value: msText(a.Latency.P95), Sub: fmt.Sprintf("p50 %s · p99 %s · max %s", msText(a.Latency.P50), msText(a.Latency.P99), msText(a.Latency.Max))},
	}
	if k, ok := goodputKPI(s); ok {
		out = append(out, k)
	}
	if a.TTFT != nil {
		out = append(out, kpi{Label: "Time to first token p50", Value: msText(a.TTFT.P50), Sub: fmt.Sprintf("p95 %s · p99 %s", msText(a.TTFT.P95), msText(a.TTFT.P99))})
	}
	costSub := []string{}
	if est != nil && est.Cost.Expected != nil {
		if el := s.EstimateElapsed; el != nil && el.Cost.Expected != nil {
			costSub = append(costSub, fmt.Sprintf("estimate for the %.1f s that ran ", el.ElapsedS)+pricing.FormatUSD(*el.Cost.Expected)+signedPct(a.EstimateErrorPct),
				"full run "+pricing.FormatUSD(*est.Cost.Expected))
		} else {
			costSub = append(costSub, "estimate "+pricing.FormatUSD(*est.Cost.Expected)+signedPct(a.EstimateErrorPct))
		}
	}
	costClass := ""
	if s.Budget != nil {
		used := 0.0
		if s.Budget.Limit.IsPositive() {
			used = a.Cost.Div(s.Budget.Limit).InexactFloat64()
		}
		costSub = append(costSub, fmt.Sprintf("budget %s (%s used)", pricing.FormatUSD(s.Budget.Limit), pctText(used)))
		if used > 1 {
			costClass = "bad"
		} else if used > 0.9 {
			costClass = "warn"
		}
	}
	out = append(out, kpi{Label: "Cost", Value: pricing.FormatUSD(a.Cost), Sub: strings.Join(costSub, " · "), Class: costClass})
	cpr := "–"
	if a.CostPerRequest != nil {
		cpr = pricing.FormatUSD(*a.CostPerRequest)
	}
	out = append(out, kpi{Label: "Cost per request", Value: cpr, Sub: "cache hit rate " + pctText(a.CacheHitRate)})
	tk := a.Tokens
	all := float64(tk.Input + tk.Output + tk.CacheRead + tk.CacheWrite)
	out = append(out, kpi{Label: "Tokens", Value: compactCount(all), Sub: fmt.Sprintf("in %s · cache read %s · cache write %s · out %s",
		compactCount(float64(tk.Input)), compactCount(float64(tk.CacheRead)), compactCount(float64(tk.CacheWrite)), compactCount(float64(tk.Output)))})
	return out
}

// costPanel draws the actual cost against the estimate (expected, with the low to worst band)
// and the budget, and says in words what the meter saw.
func costPanel(s *summary.Run, est *planner.Scenario) (template.HTML, []string) {
	a := s.Actual
	c := bulletChart{Label: "Actual cost against estimate and budget", Width: 1100, Value: a.Cost.InexactFloat64(),
		ValueLabel: "actual " + pricing.FormatUSD(a.Cost), Color: palette[0]}
	var notes []string
	actualText := "Actual " + pricing.FormatUSD(a.Cost)
	if a.CostEstimated.IsPositive() {
		actualText += fmt.Sprintf(" (of which %s estimated: usage the responses did not report, charged at its bounds)", pricing.FormatUSD(a.CostEstimated))
	}
	notes = append(notes, actualText+".")
	if est != nil && est.Cost.Expected != nil {
		e := *est.Cost.Expected
		c.Markers = append(c.Markers, bulletMarker{Value: e.InexactFloat64(), Label: "estimate " + pricing.FormatUSD(e), Color: "#111827", Below: true})
		line := "Estimate " + pricing.FormatUSD(e) + " expected"
		if est.Cost.Low != nil {
			c.BandLo = est.Cost.Low.InexactFloat64()
			line += ", " + pricing.FormatUSD(*est.Cost.Low) + " low"
		}
		if est.Cost.Worst != nil {
			c.BandHi = est.Cost.Worst.InexactFloat64()
			c.BandLabel = "estimate range: low " + pricing.FormatUSD(*est.Cost.Low) + " to worst " + pricing.FormatUSD(*est.Cost.Worst)
			line += ", " + pricing.FormatUSD(*est.Cost.Worst) + " worst"
		} else {
			line += ", worst unbounded"
		}
		if a.EstimateErrorPct != nil {
			against := " against the expected estimate"
			if s.EstimateElapsed != nil {
				against = " against the expected estimate for the part that ran"
			}
			line += "; the run cost" + strings.TrimSuffix(signedPct(a.EstimateErrorPct), ")") + against
			line = strings.Replace(line, "cost (", "cost ", 1)
		}
		notes = append(notes, line+".")
	}
	capAt := c.Value
	if s.Budget != nil {
		b := s.Budget.Limit
		c.Markers = append(c.Markers, bulletMarker{Value: b.InexactFloat64(), Label: "budget " + pricing.FormatUSD(b), Color: colorBudget})
		capAt = math.Max(capAt, b.InexactFloat64())
		used := 0.0
		if b.IsPositive() {
			used = a.Cost.Div(b).InexactFloat64()
		}
		notes = append(notes, fmt.Sprintf("Budget %s: %s used, %s left.", pricing.FormatUSD(b), pctText(used), pricing.FormatUSD(decimal.Max(b.Sub(a.Cost), decimal.Zero))))
	} else {
		notes = append(notes, "No budget was set.")
	}
	for _, m := range c.Markers {
		capAt = math.Max(capAt, m.Value)
	}
	// A worst case far beyond everything else would squash the chart: clip its band.
	if c.BandHi > 0 {
		c.OverflowLabel = "shaded: estimate range " + pricing.FormatUSD(*est.Cost.Low) + " to " + pricing.FormatUSD(*est.Cost.Worst)
	}
	if c.BandHi > 2.5*capAt {
		c.ClipTo = 2 * capAt
	}
	if m := s.Meter; m != nil {
		switch {
		case !m.BoundsHeld:
			notes = append(notes, fmt.Sprintf("The declared bounds did not hold: %d responses cost more than their reservation.", m.Overruns))
		default:
			notes = append(notes, "The declared bounds held: no response cost more than its reservation.")
		}
		if n := m.UnreportedCharged - a.UnpricedResponses; n > 0 {
			notes = append(notes, fmt.Sprintf("%d responses reported no usage and were charged their reservation.", n))
		}
	}
	if t := unpricedText(a); t != "" {
		notes = append(notes, t+".")
	}
	return c.render(), notes
}

// costChart draws the cumulative spend over time against the budget and the expected
// estimate, with what was reserved for requests in flight on top.
func costChart(s *summary.Run, est *planner.Scenario) template.HTML {
	c := lineChart{Label: "Cumulative cost over time", Width: 560, Height: 280, X: xElapsed, XTitle: "time since start", YMoney: true}
	var xs, spent, held []float64
	xs, spent, held = append(xs, 0), append(spent, 0), append(held, 0)
	for _, p := range s.Timeline {
		xs = append(xs, p.T)
		spent = append(spent, p.Spent.InexactFloat64())
		held = append(held, p.Spent.Add(p.Reserved).InexactFloat64())
	}
	c.Series = append(c.Series,
		series{Name: "spent", Color: palette[0], X: xs, Y: spent, Fill: true, Width: 2.5},
		series{Name: "spent + reserved", Color: palette[5], X: xs, Y: held, Dash: true, Width: 1.5})
	if s.Budget != nil {
		c.Refs = append(c.Refs, refLine{Y: s.Budget.Limit.InexactFloat64(), Label: "budget " + pricing.FormatUSD(s.Budget.Limit), Color: colorBudget, Dash: true, Left: true})
	}
	if est != nil && est.Cost.Expected != nil {
		c.Refs = append(c.Refs, refLine{Y: est.Cost.Expected.InexactFloat64(), Label: "estimate " + pricing.FormatUSD(*est.Cost.Expected) + " (expected)", Color: colorEstimate, Dash: true, Left: true})
	}
	return c.render()
}

// taskOf is the task a statistics row belongs to: TASK.STEP and on_start.NAME rows belong to
// TASK and on_start.
func taskOf(row string) string {
	t, _, _ := strings.Cut(row, ".")
	return t
}

// costPerTaskChart draws each priced task's actual cost beside its expected estimate.
func costPerTaskChart(s *summary.Run, est *planner.Scenario) (template.HTML, string) {
	type agg struct {
		actual, expected decimal.Decimal
		hasEst           bool
	}
	var order []string
	m := map[string]*agg{}
	get := func(name string) *agg {
		if m[name] == nil {
			m[name] = &agg{}
			order = append(order, name)
		}
		return m[name]
	}
	for _, t := range s.Tasks {
		get(taskOf(t.Name)).actual = get(taskOf(t.Name)).actual.Add(t.Cost)
	}
	if est != nil {
		for _, t := range est.Tasks {
			if t.Cost.Expected != nil {
				a := get(t.Name)
				a.expected, a.hasEst = *t.Cost.Expected, true
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return m[order[i]].actual.GreaterThan(m[order[j]].actual) })
	var free []string
	c := barChart{Label: "Cost per task", Width: 560, XTitle: "USD"}
	if est != nil {
		c.Series = []string{"actual", "estimate (expected)"}
		c.Colors = []string{palette[0], "#94a3b8"}
	}
	var top float64
	for _, name := range order {
		a := m[name]
		if a.actual.IsZero() && a.expected.IsZero() {
			free = append(free, name)
			continue
		}
		g := barGroup{Label: name, Values: []float64{a.actual.InexactFloat64()}, Texts: []string{pricing.FormatUSD(a.actual)}}
		top = math.Max(top, a.actual.InexactFloat64())
		if est != nil {
			text := "–"
			if a.hasEst {
				text = pricing.FormatUSD(a.expected)
			}
			g.Values = append(g.Values, a.expected.InexactFloat64())
			g.Texts = append(g.Texts, text)
			top = math.Max(top, a.expected.InexactFloat64())
		}
		c.Groups = append(c.Groups, g)
	}
	c.XFmt = formatAxisUSDStep(niceStep(top, 5))
	if len(c.Groups) == 0 {
		return "", strings.Join(free, ", ")
	}
	return c.render(), strings.Join(free, ", ")
}

func trafficChart(s *summary.Run) template.HTML {
	c := lineChart{Label: "Requests per second and users over time", Width: 560, Height: 280, X: xElapsed, XTitle: "time since start",
		YTitle: "requests/s", Y2Title: "users"}
	var xs, rps, fps, users []float64
	// A last point closing a fraction of a second would be a spike that never happened.
	for _, p := range summary.RateTimeline(s.Timeline) {
		xs = append(xs, p.T)
		rps = append(rps, p.RPS)
		fps = append(fps, p.FPS)
		users = append(users, float64(p.Users))
	}
	c.Series = []series{
		{Name: "requests/s", Color: palette[0], X: xs, Y: rps, Fill: true},
		{Name: "failures/s", Color: palette[4], X: xs, Y: fps},
		{Name: "users", Color: palette[1], X: xs, Y: users, Right: true, Step: true, Dash: true},
	}
	return c.render()
}

// thresholdRefs are the plan- and scenario-scope latency limits to draw on a latency chart.
func thresholdRefs(s *summary.Run, kinds ...plan.ThresholdKind) []refLine {
	var out []refLine
	for _, t := range s.Thresholds {
		if t.Scope != "plan" && t.Scope != "scenario" {
			continue
		}
		for _, k := range kinds {
			if t.Name != string(k) {
				continue
			}
			d, err := plan.ParseDuration(t.Limit)
			if err != nil {
				continue
			}
			out = append(out, refLine{Y: float64(d) / float64(time.Millisecond), Label: t.Name + " limit " + t.Limit, Color: colorBudget, Dash: true})
		}
	}
	return out
}

func latencyChart(s *summary.Run) template.HTML {
	c := lineChart{Label: "Latency p50 and p95 over time", Width: 560, Height: 280, X: xElapsed, XTitle: "time since start (each point: that second's requests)",
		YFmt: formatAxisMS}
	var xs, p50, p95 []float64
	for _, p := range s.Timeline {
		if p.RPS == 0 && p.P50 == 0 {
			continue
		}
		xs = append(xs, p.T)
		p50 = append(p50, p.P50)
		p95 = append(p95, p.P95)
	}
	c.Series = []series{
		{Name: "p50", Color: palette[0], X: xs, Y: p50},
		{Name: "p95", Color: palette[1], X: xs, Y: p95},
	}
	c.Refs = thresholdRefs(s, plan.ThP95)
	return c.render()
}

func latencyByTaskChart(s *summary.Run) template.HTML {
	c := barChart{Label: "Latency percentiles per request name", Width: 560, Series: []string{"p50", "p95", "p99"},
		Colors: []string{palette[0], palette[1], palette[4]}, XFmt: formatAxisMS}
	for _, t := range s.Tasks {
		if t.Requests == 0 {
			continue
		}
		l := t.Latency
		c.Groups = append(c.Groups, barGroup{Label: t.Name, Values: []float64{l.P50, l.P95, l.P99},
			Texts: []string{msText(l.P50), msText(l.P95), msText(l.P99)}})
	}
	if len(c.Groups) == 0 {
		return ""
	}
	return c.render()
}

func ttftChart(s *summary.Run) template.HTML {
	c := barChart{Label: "Time to first token per streamed request name", Width: 560, Series: []string{"p50", "p95", "p99"},
		Colors: []string{palette[2], palette[1], palette[4]}, XFmt: formatAxisMS}
	for _, t := range s.Tasks {
		if t.TTFT == nil || t.Requests == 0 {
			continue
		}
		l := t.TTFT
		c.Groups = append(c.Groups, barGroup{Label: t.Name, Values: []float64{l.P50, l.P95, l.P99},
			Texts: []string{msText(l.P50), msText(l.P95), msText(l.P99)}})
	}
	if len(c.Groups) == 0 {
		return ""
	}
	for _, r := range thresholdRefs(s, plan.ThTTFTP95) {
		c.Refs = append(c.Refs, refLine{Y: r.Y, Label: r.Label, Color: r.Color})
	}
	return c.render()
}

func taskRows(s *summary.Run, est *planner.Scenario) ([]htmlTaskRow, htmlTaskRow) {
	expected := map[string]string{}
	if est != nil {
		for _, t := range est.Tasks {
			if t.Cost.Expected != nil {
				expected[t.Name] = pricing.FormatUSD(*t.Cost.Expected)
			}
		}
	}
	row := func(name, method string, n, f int64, rps float64, l summary.Percentiles, ttft *summary.Percentiles, tk pricing.Tokens, hit float64, cost decimal.Decimal, cpr *decimal.Decimal, src string) htmlTaskRow {
		r := htmlTaskRow{Name: name, Method: method, Requests: groupThousands(float64(n)), Failures: groupThousands(float64(f)),
			RPS: strconv.FormatFloat(rps, 'f', 2, 64), TokensIn: groupThousands(float64(tk.Input + tk.CacheRead + tk.CacheWrite)),
			TokensOut: groupThousands(float64(tk.Output)), Cost: pricing.FormatUSD(cost), CostSource: src, Failing: f > 0}
		if n > 0 {
			r.FailPct = pctText(float64(f) / float64(n))
			r.Avg, r.P50, r.P95, r.P99, r.Max = msText(l.Avg), msText(l.P50), msText(l.P95), msText(l.P99), msText(l.Max)
		} else {
			r.Avg, r.P50, r.P95, r.P99, r.Max = "–", "–", "–", "–", "–"
		}
		r.TTFT = "–"
		if ttft != nil {
			r.TTFT = msText(ttft.P50)
		}
		r.CacheHit = "–"
		if tk.CacheRead+tk.CacheWrite > 0 {
			r.CacheHit = pctText(hit)
		}
		r.CostPerRequest = "–"
		if cpr != nil {
			r.CostPerRequest = pricing.FormatUSD(*cpr)
		}
		return r
	}
	rowsOf := map[string]int{}
	for _, t := range s.Tasks {
		rowsOf[taskOf(t.Name)]++
	}
	var rows []htmlTaskRow
	for _, t := range s.Tasks {
		r := row(t.Name, t.Method, t.Requests, t.Failures, t.RPS, t.Latency, t.TTFT, t.Tokens, t.CacheHitRate, t.Cost, t.CostPerRequest, t.CostSource)
		r.CostEstimate = expected[t.Name]
		if r.CostEstimate == "" && rowsOf[taskOf(t.Name)] == 1 {
			r.CostEstimate = expected[taskOf(t.Name)] // on_start.login: the on_start estimate
		}
		rows = append(rows, r)
	}
	a := s.Actual
	total := row("Aggregated", "", a.Requests, a.Failures, a.RPS, a.Latency, a.TTFT, a.Tokens, a.CacheHitRate, a.Cost, a.CostPerRequest, "")
	if est != nil && est.Cost.Expected != nil {
		total.CostEstimate = pricing.FormatUSD(*est.Cost.Expected)
	}
	return rows, total
}
