package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// A fail-on rule (report compare --fail-on) breaks when a metric of the new run moved past a
// limit from the base run: "cost_per_request>+10%" breaks when cost per request rose by more
// than 10 %, "slo_attainment<-2pp" when SLO attainment fell by more than 2 percentage points.

// metricKind is what a rule's metric measures, which decides the absolute units it takes.
type metricKind int

const (
	kindMoney   metricKind = iota // USD: "$" ("+$0.01", "+0.01$")
	kindLatency                   // ms: "ms" or "s"
	kindShare                     // 0..1: "pp" (percentage points)
	kindRate                      // per second: "/s"
	kindCount                     // a count: a bare number
)

var kindUnits = map[metricKind]string{kindMoney: "% or $ (+$0.01)", kindLatency: "% or ms/s (+50ms)",
	kindShare: "% or pp (-2pp)", kindRate: "% or /s (-5/s)", kindCount: "% or a count (-10)"}

// ruleMetric reads one metric of a run; ok false when the run has no value.
type ruleMetric struct {
	kind metricKind
	get  func(*summary.Run) (value, bool)
}

func latencyOf(pick func(summary.Percentiles) float64, ttft bool) func(*summary.Run) (value, bool) {
	return func(r *summary.Run) (value, bool) {
		if ttft {
			if r.Actual.TTFT == nil {
				return value{}, false
			}
			return num(pick(*r.Actual.TTFT)), true
		}
		if r.Actual.Requests == 0 {
			return value{}, false
		}
		return num(pick(r.Actual.Latency)), true
	}
}

func goodputOf(f func(*summary.Goodput, *summary.Actual) (value, bool)) func(*summary.Run) (value, bool) {
	return func(r *summary.Run) (value, bool) {
		if r.Actual.Goodput == nil {
			return value{}, false
		}
		return f(r.Actual.Goodput, &r.Actual)
	}
}

var ruleMetrics = map[string]ruleMetric{
	"cost":             {kindMoney, func(r *summary.Run) (value, bool) { return money(r.Actual.Cost), true }},
	"cost_per_request": {kindMoney, func(r *summary.Run) (value, bool) { v := moneyPtr(r.Actual.CostPerRequest); return v, v.ok }},
	"cost_per_good_request": {kindMoney, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) {
		v := moneyPtr(g.CostPerGoodRequest)
		return v, v.ok
	})},
	"cost_per_1k_good": {kindMoney, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) {
		if g.CostPerGoodRequest == nil {
			return value{}, false
		}
		return money(g.CostPerGoodRequest.Mul(decimal.NewFromInt(1000))), true
	})},
	"wasted_cost": {kindMoney, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) { return money(g.WastedCost), true })},
	"p50":         {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P50 }, false)},
	"p90":         {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P90 }, false)},
	"p95":         {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P95 }, false)},
	"p99":         {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P99 }, false)},
	"ttft_p50":    {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P50 }, true)},
	"ttft_p95":    {kindLatency, latencyOf(func(p summary.Percentiles) float64 { return p.P95 }, true)},
	"failure_rate": {kindShare, func(r *summary.Run) (value, bool) {
		v := rateValue(r.Actual.Failures, r.Actual.Requests)
		return v, v.ok
	}},
	"cache_hit_rate": {kindShare, func(r *summary.Run) (value, bool) { return num(r.Actual.CacheHitRate), true }},
	"slo_attainment": {kindShare, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) {
		if g.SLOAttainment == nil {
			return value{}, false
		}
		return num(*g.SLOAttainment), true
	})},
	"wasted_cost_share": {kindShare, goodputOf(func(g *summary.Goodput, a *summary.Actual) (value, bool) {
		s := summary.WastedShare(g, a.Cost)
		if s == nil {
			return value{}, false
		}
		return num(*s), true
	})},
	"rps":     {kindRate, func(r *summary.Run) (value, bool) { return num(r.Actual.RPS), true }},
	"goodput": {kindRate, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) { return num(g.GoodputRPS), true })},
	"good":    {kindCount, goodputOf(func(g *summary.Goodput, _ *summary.Actual) (value, bool) { return num(float64(g.Good)), true })},
}

// RuleMetrics lists the metrics a fail-on rule may name.
func RuleMetrics() []string {
	names := make([]string, 0, len(ruleMetrics))
	for n := range ruleMetrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Rule is one parsed fail-on rule.
type Rule struct {
	Text     string  // as written
	Task     string  // task:NAME.METRIC: the request name whose row is judged; "": the whole run
	Metric   string  // a key of RuleMetrics
	Up       bool    // ">": breaks when the change is above Limit; "<": below
	Limit    float64 // in the rule's unit: percent when Relative, else the metric's absolute unit (ms, share points as a fraction, /s, count)
	Money    *decimal.Decimal
	Relative bool
}

// ParseFailOn parses a comma-separated list of rules, METRIC>CHANGE or METRIC<CHANGE, where
// CHANGE is relative (+10%) or absolute in the metric's unit (+$0.01, +50ms, -2pp, -5/s).
// An error names the rule and what is valid.
func ParseFailOn(spec string) ([]Rule, error) {
	var rules []Rule
	for _, text := range strings.Split(spec, ",") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		r, err := parseRule(text)
		if err != nil {
			return nil, fmt.Errorf("--fail-on rule %q: %w", text, err)
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("--fail-on: no rule; write e.g. 'cost_per_request>+10%%,p95>+20%%,slo_attainment<-2pp'")
	}
	return rules, nil
}

func parseRule(text string) (Rule, error) {
	i := strings.IndexAny(text, "<>")
	if i < 0 {
		return Rule{}, fmt.Errorf("no > or <; write METRIC>CHANGE (breaks on a rise past CHANGE) or METRIC<CHANGE (on a fall), e.g. p95>+20%%")
	}
	r := Rule{Text: text, Metric: strings.TrimSpace(text[:i]), Up: text[i] == '>'}
	if rest, ok := strings.CutPrefix(r.Metric, "task:"); ok {
		// task:NAME.METRIC judges one request name's row (NAME may hold dots: TASK.STEP).
		j := strings.LastIndex(rest, ".")
		if j <= 0 {
			return Rule{}, fmt.Errorf("%q names no task and metric; write task:NAME.METRIC, e.g. task:chat.p95>+20%%", r.Metric)
		}
		r.Task, r.Metric = rest[:j], rest[j+1:]
	}
	m, ok := ruleMetrics[r.Metric]
	if !ok {
		return Rule{}, fmt.Errorf("unknown metric %q; valid: %s", r.Metric, strings.Join(RuleMetrics(), ", "))
	}
	ch := strings.TrimSpace(text[i+1:])
	bad := func() (Rule, error) {
		return Rule{}, fmt.Errorf("%q is not a change of %s; write %s", ch, r.Metric, kindUnits[m.kind])
	}
	number := func(s string) (float64, bool) {
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && s != "" && !strings.ContainsAny(s, "xXpPnN_")
	}
	sign, body := "", ch
	if strings.HasPrefix(body, "+") || strings.HasPrefix(body, "-") {
		sign, body = body[:1], body[1:]
	}
	switch {
	case strings.HasSuffix(body, "%"):
		f, ok := number(sign + strings.TrimSuffix(body, "%"))
		if !ok {
			return bad()
		}
		r.Limit, r.Relative = f, true
		return r, nil
	case m.kind == kindMoney && (strings.HasPrefix(body, "$") || strings.HasSuffix(body, "$")):
		d, err := decimal.NewFromString(sign + strings.Trim(body, "$"))
		if err != nil || strings.ContainsAny(body, "eE") {
			return bad()
		}
		r.Money = &d
		return r, nil
	case m.kind == kindLatency && strings.HasSuffix(body, "ms"):
		f, ok := number(sign + strings.TrimSuffix(body, "ms"))
		if !ok {
			return bad()
		}
		r.Limit = f
		return r, nil
	case m.kind == kindLatency && strings.HasSuffix(body, "s"):
		f, ok := number(sign + strings.TrimSuffix(body, "s"))
		if !ok {
			return bad()
		}
		r.Limit = f * 1000
		return r, nil
	case m.kind == kindShare && strings.HasSuffix(body, "pp"):
		f, ok := number(sign + strings.TrimSuffix(body, "pp"))
		if !ok {
			return bad()
		}
		r.Limit = f / 100
		return r, nil
	case m.kind == kindRate && strings.HasSuffix(body, "/s"):
		f, ok := number(sign + strings.TrimSuffix(body, "/s"))
		if !ok {
			return bad()
		}
		r.Limit = f
		return r, nil
	case m.kind == kindCount:
		f, ok := number(sign + body)
		if !ok {
			return bad()
		}
		r.Limit = f
		return r, nil
	}
	return bad()
}

// RuleResult is one rule judged on two runs.
type RuleResult struct {
	Rule   string `json:"rule"`
	Metric string `json:"metric"`
	Base   any    `json:"base"`   // a number, a decimal string for USD, or null
	New    any    `json:"new"`    // likewise
	Change string `json:"change"` // as the rule measures it: "+12.5%", "-3.1pp", "+$0.0004", "+40 ms"
	Broken bool   `json:"broken"`
	// Verdict is "holds", "BROKEN", or "BROKEN (no data)" when a run lacks the metric (an
	// unknown never passes).
	Verdict string `json:"verdict"`

	unit metricKind
}

// JudgeRules judges each rule on base and new.
func JudgeRules(rules []Rule, base, next *summary.Run) []RuleResult {
	out := make([]RuleResult, 0, len(rules))
	for _, r := range rules {
		m := ruleMetrics[r.Metric]
		v0, ok0 := m.get(taskRun(base, r.Task))
		v1, ok1 := m.get(taskRun(next, r.Task))
		res := RuleResult{Rule: r.Text, Metric: r.Metric, Base: v0.json(), New: v1.json(), Change: "-", unit: m.kind}
		if !ok0 || !ok1 {
			res.Broken, res.Verdict = true, "BROKEN (no data)"
			out = append(out, res)
			continue
		}
		var past bool
		switch {
		case r.Relative:
			var pct float64
			switch {
			case v0.money != nil && !v0.money.IsZero():
				pct = v1.money.Sub(*v0.money).Div(*v0.money).InexactFloat64() * 100
			case v0.money == nil && v0.f != 0:
				pct = (v1.f - v0.f) / math.Abs(v0.f) * 100
			case v1.f == v0.f:
				pct = 0
			default: // from zero: an infinite change, its sign that of the new value
				pct = math.Copysign(math.Inf(1), v1.f-v0.f)
			}
			res.Change = signedPctText(pct)
			if math.IsInf(pct, 0) {
				res.Change = signed(pct, "∞%")
			}
			past = r.Up && pct > r.Limit || !r.Up && pct < r.Limit
		case r.Money != nil:
			d := v1.money.Sub(*v0.money)
			res.Change = signed(d.InexactFloat64(), pricing.FormatUSD(d.Abs()))
			past = r.Up && d.GreaterThan(*r.Money) || !r.Up && d.LessThan(*r.Money)
		default:
			d := v1.f - v0.f
			res.Change = absChangeText(m.kind, d)
			past = r.Up && d > r.Limit || !r.Up && d < r.Limit
		}
		res.Broken = past
		res.Verdict = "holds"
		if past {
			res.Verdict = "BROKEN"
		}
		out = append(out, res)
	}
	return out
}

// taskRun is the run as one request name saw it (its row as the run's figures), for a
// task:NAME rule; the run itself for ""; a run with no requests when it has no such row (its
// figures are then "no data").
func taskRun(r *summary.Run, task string) *summary.Run {
	if task == "" {
		return r
	}
	v := &summary.Run{DurationS: r.DurationS}
	for _, t := range r.Tasks {
		if t.Name == task {
			v.Actual = summary.Actual{Requests: t.Requests, Failures: t.Failures, RPS: t.RPS, Cost: t.Cost,
				CostEstimated: t.CostEstimated, Tokens: t.Tokens, CacheHitRate: t.CacheHitRate, Latency: t.Latency,
				TTFT: t.TTFT, CostPerRequest: t.CostPerRequest, Goodput: t.Goodput}
			return v
		}
	}
	v.Actual.CacheHitRate = math.NaN() // no such row: nothing to compare, not a rate of 0
	return v
}

func absChangeText(k metricKind, d float64) string {
	switch k {
	case kindLatency:
		return signed(d, msText(math.Abs(d)))
	case kindShare:
		return signed(d, strconv.FormatFloat(math.Abs(d)*100, 'f', 2, 64)+"pp")
	case kindRate:
		return signed(d, strconv.FormatFloat(math.Abs(d), 'f', 2, 64)+"/s")
	}
	return signed(d, formatNumber(math.Abs(d)))
}

// ruleValueText writes one side of a rule's metric.
func ruleValueText(k metricKind, v any) string {
	switch k {
	case kindLatency:
		return formatChangeValue("ms", v)
	case kindShare:
		return formatChangeValue("ratio", v)
	case kindRate:
		if v == nil {
			return "-"
		}
		return formatChangeValue("req/s", v) + "/s"
	}
	return formatChangeValue("", v)
}

// Broken counts the broken rules.
func Broken(results []RuleResult) int {
	n := 0
	for _, r := range results {
		if r.Broken {
			n++
		}
	}
	return n
}

// RulesTable writes the rules' results for the terminal, after a comparison.
func RulesTable(w io.Writer, results []RuleResult) error {
	fmt.Fprintf(w, "\nFail-on rules: %s\n", rulesVerdict(results))
	for _, r := range results {
		fmt.Fprintf(w, "  %-8s %s: base %s, new %s, change %s\n", r.Verdict, r.Rule,
			ruleValueText(r.unit, r.Base), ruleValueText(r.unit, r.New), r.Change)
	}
	return nil
}

func rulesVerdict(results []RuleResult) string {
	if n := Broken(results); n > 0 {
		return fmt.Sprintf("%d of %d broken", n, len(results))
	}
	return fmt.Sprintf("all %d hold", len(results))
}

// CompareMarkdown writes a comparison as Markdown for a pull-request comment: the verdict
// first (the fail-on rules' when given, else better/worse counts), the rules, then every
// change as a table.
func CompareMarkdown(w io.Writer, c *Comparison, results []RuleResult) error {
	switch {
	case len(results) > 0 && Broken(results) > 0:
		fmt.Fprintf(w, "### ❌ loadplan: %s\n\n", rulesVerdict(results))
	case len(results) > 0:
		fmt.Fprintf(w, "### ✅ loadplan: fail-on rules %s\n\n", rulesVerdict(results))
	default:
		fmt.Fprintf(w, "### loadplan: %d better, %d worse, %d same\n\n", c.Better, c.Worse, c.Same)
	}
	name := func(r RunRef) string {
		if r.File != "" {
			return "`" + r.File + "`"
		}
		return r.Plan + "/" + r.Scenario
	}
	fmt.Fprintf(w, "Base %s (%s/%s, %s) → new %s (%s/%s, %s)\n\n", name(c.Before), c.Before.Plan, c.Before.Scenario,
		c.Before.StartedAt.Format("2006-01-02 15:04 UTC"), name(c.After), c.After.Plan, c.After.Scenario, c.After.StartedAt.Format("2006-01-02 15:04 UTC"))
	for _, n := range c.Notes {
		fmt.Fprintf(w, "> note: %s\n\n", n)
	}
	if len(results) > 0 {
		fmt.Fprintln(w, "| Rule | Base | New | Change | Verdict |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---|")
		for _, r := range results {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", r.Rule, mdCell(ruleValueText(r.unit, r.Base)),
				mdCell(ruleValueText(r.unit, r.New)), r.Change, r.Verdict)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "| Metric | Base | New | Change | Change % | Verdict |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	for _, ch := range c.Changes {
		n := metricNames[ch.Metric]
		if ch.Task != "" {
			n = ch.Task + ": " + strings.ToLower(n[:1]) + n[1:]
		}
		pct := "-"
		if ch.DeltaPct != nil {
			pct = signedPctText(*ch.DeltaPct)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdCell(n), mdCell(formatChangeValue(ch.Unit, ch.Before)),
			mdCell(formatChangeValue(ch.Unit, ch.After)), mdCell(formatDelta(ch.Unit, ch.Delta)), pct, ch.Verdict)
	}
	fmt.Fprintf(w, "\n%d better, %d worse, %d same (changes within %g%% count as the same)\n", c.Better, c.Worse, c.Same, SameBandPct)
	return nil
}

// mdCell escapes a table cell's pipes.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
