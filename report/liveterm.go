package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/monitor"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// plainEvery is how often the live view prints a line when the output is not a terminal:
// at each multiple of it since the start.
const plainEvery = 5 * time.Second

// rateWindow is the span of the live requests/s: a moving average over the last 10 s (as
// Locust's current_rps), not the last second, which is mostly 0 at an AI service's rates.
const rateWindow = 10 * time.Second

// LiveTerminal is the live view of a run in a terminal or a log (loadplan run): on a
// terminal a table redrawn in place about once a second; elsewhere (CI logs) a plain line
// every plainEvery; with --quiet nothing but the warnings, on errOut. Its methods are safe
// for concurrent use.
type LiveTerminal struct {
	w        io.Writer
	errOut   io.Writer // quiet: warnings go here
	tty      bool
	quiet    bool
	title    string
	mu       sync.Mutex
	lines    int           // lines of the last frame, to redraw over it
	nextLine time.Duration // the elapsed time of the next plain line; 0: the first
	rates    rateMeter
	warned   bool
	note     string   // a notice shown under the live table (the stop after an interrupt)
	warnings []string // the run's warnings, shown under the live table on a terminal
}

// NewLiveTerminal is the live view of a run titled title, written to w (a terminal when tty)
// and, when quiet, only its warnings to errOut.
func NewLiveTerminal(w, errOut io.Writer, tty, quiet bool, title string) *LiveTerminal {
	return &LiveTerminal{w: w, errOut: errOut, tty: tty, quiet: quiet, title: title}
}

// Update shows a progress report: it is the executor's OnProgress.
func (v *LiveTerminal) Update(p summary.Progress) {
	if v.quiet {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rates.add(p)
	if v.tty {
		frame := v.frame(p)
		if v.lines > 0 {
			fmt.Fprintf(v.w, "\x1b[%dA\x1b[J", v.lines)
		}
		io.WriteString(v.w, frame)
		v.lines = strings.Count(frame, "\n")
		return
	}
	if v.plainDue(p.Elapsed) {
		fmt.Fprintln(v.w, plainLine(p, v.rates.rate("", p.Elapsed)))
		if l := monitorLine(p.Monitor); l != "" {
			fmt.Fprintln(v.w, l)
		}
	}
	if w := projectionWarning(p); w != "" && !v.warned {
		v.warned = true
		fmt.Fprintln(v.w, "warning: "+w)
	}
}

// plainDue says whether a plain line is due at elapsed: the first progress, then at each
// multiple of plainEvery since the start (progress comes about once a second, a little
// after each second: half a second of slack keeps the line on its multiple, not a tick
// late).
func (v *LiveTerminal) plainDue(elapsed time.Duration) bool {
	if elapsed+plainSlack < v.nextLine {
		return false
	}
	v.nextLine = (elapsed+plainSlack)/plainEvery*plainEvery + plainEvery
	return true
}

// plainSlack is how early a plain line may be printed before its multiple of plainEvery.
const plainSlack = 500 * time.Millisecond

// rateMeter keeps the last rateWindow of each row's cumulative request count, to give its
// requests/s as a moving average.
type rateMeter struct {
	seen map[string][]rateSample // by row name; "" is the Aggregated row
}

type rateSample struct {
	at       time.Duration
	requests int64
}

// add records the counts of a progress.
func (m *rateMeter) add(p summary.Progress) {
	if m.seen == nil {
		m.seen = map[string][]rateSample{}
	}
	put := func(name string, n int64) {
		s := append(m.seen[name], rateSample{p.Elapsed, n})
		// Keep one sample at or before the window's start, to measure from it.
		for len(s) > 1 && s[1].at <= p.Elapsed-rateWindow {
			s = s[1:]
		}
		m.seen[name] = s
	}
	for _, r := range p.Tasks {
		put(r.Name, r.Requests)
	}
	put("", p.Total.Requests)
}

// rate is a row's requests per second over the last rateWindow (or since the start, when
// younger): the difference of its cumulative counts over the time between them.
func (m *rateMeter) rate(name string, now time.Duration) float64 {
	s := m.seen[name]
	if len(s) == 0 || now <= 0 {
		return 0
	}
	last := s[len(s)-1]
	from := rateSample{} // the start: 0 requests at 0 s
	if s[0].at <= now-rateWindow {
		from = s[0]
	}
	if last.at <= from.at {
		return 0
	}
	return float64(last.requests-from.requests) / (last.at - from.at).Seconds()
}

// Notice tells the user something the live view cannot show yet: in the next frame on a
// terminal, at once otherwise.
func (v *LiveTerminal) Notice(msg string) {
	if v.quiet {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tty {
		v.note = msg
		return
	}
	fmt.Fprintln(v.w, msg)
}

// Warn is the executor's OnWarning: under the live table on a terminal, at once otherwise
// (on stderr with --quiet, which a warning about cost is not silenced by).
func (v *LiveTerminal) Warn(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.quiet:
		fmt.Fprintln(v.errOut, "warning: "+msg)
	case v.tty:
		v.warnings = append(v.warnings, "warning: "+msg)
	default:
		fmt.Fprintln(v.w, "warning: "+msg)
	}
}

// Finish leaves the last frame on screen; the summary follows it.
func (v *LiveTerminal) Finish() {
	v.mu.Lock()
	v.lines = 0
	v.mu.Unlock()
}

func (v *LiveTerminal) frame(p summary.Progress) string {
	var b strings.Builder
	state := ""
	if p.Stopping {
		state = " · stopping: letting requests in flight finish"
	}
	fmt.Fprintf(&b, "%s · %s elapsed, %s left · %d users · %d in flight%s\n", v.title, termClock(p.Elapsed), termClock(p.Remaining), p.Users, p.InFlight, state)
	t := table.NewWriter()
	t.SetOutputMirror(&b)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	t.AppendHeader(table.Row{"Name", "Type", "Requests", "Fails", "RPS", "Median", "p95", "Max", "Avg size", "Cost"})
	for _, r := range p.Tasks {
		t.AppendRow(termRow(r, v.rates.rate(r.Name, p.Elapsed)))
	}
	t.AppendFooter(termRow(p.Total, v.rates.rate("", p.Elapsed)))
	cc := []table.ColumnConfig{}
	for i := 3; i <= 10; i++ {
		cc = append(cc, table.ColumnConfig{Number: i, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight})
	}
	t.SetColumnConfigs(cc)
	t.Render()
	b.WriteString(costLine(p))
	b.WriteString("\n")
	if l := liveGoodputLine(p); l != "" {
		b.WriteString(l + "\n")
	}
	if l := monitorLine(p.Monitor); l != "" {
		b.WriteString(l + "\n")
	}
	if p.LateStarts > 0 {
		fmt.Fprintf(&b, "late starts: %d arrivals could not start on time\n", p.LateStarts)
	}
	if w := projectionWarning(p); w != "" {
		b.WriteString("warning: " + w + "\n")
	}
	for _, w := range v.warnings {
		b.WriteString(w + "\n")
	}
	if v.note != "" {
		b.WriteString(v.note + "\n")
	}
	return b.String()
}

// liveRow is a row of the live table; rps is its requests/s over the last rateWindow.
func termRow(r summary.TaskProgress, rps float64) table.Row {
	fails := fmt.Sprint(r.Failures)
	if r.Requests > 0 && r.Failures > 0 {
		fails = fmt.Sprintf("%d (%s)", r.Failures, summary.FormatPctFixed(float64(r.Failures)/float64(r.Requests), 1))
	}
	name := r.Name
	if name == "" {
		name = "Aggregated"
	}
	lat := func(ms float64) string {
		if r.Requests == 0 {
			return "-"
		}
		return termMS(ms)
	}
	return table.Row{name, r.Method, r.Requests, fails, fmt.Sprintf("%.1f", rps), lat(r.Latency.P50), lat(r.Latency.P95),
		lat(r.Latency.Max), SizeText(r.AvgContentSize), pricing.FormatUSD(r.Cost)}
}

// costLine is the meter: spent and reserved against the budget as a bar, the spend rate and
// the projected cost at the planned end.
func costLine(p summary.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cost: spent %s, reserved %s", pricing.FormatUSD(p.Spent), usdAs(p.Reserved, p.Spent))
	if p.Budget != nil {
		fmt.Fprintf(&b, " of %s %s", pricing.FormatUSD(*p.Budget), budgetBar(p.Spent, p.Reserved, *p.Budget, 24))
	} else {
		b.WriteString(" (no budget)")
	}
	fmt.Fprintf(&b, " · %s/min · %s %s", pricing.FormatUSD(p.SpendPerMin), projectedLabel(p), pricing.FormatUSD(p.Projected))
	return b.String()
}

// projectedLabel names the projection: "projected (early)" while it still leans on the
// estimate (before one pacing period or a tenth of the run).
func projectedLabel(p summary.Progress) string {
	if p.ProjectedEarly {
		return "projected (early)"
	}
	return "projected"
}

// budgetBar draws spent (#) and reserved (+) as shares of the budget.
func budgetBar(spent, reserved, budget decimal.Decimal, width int) string {
	if !budget.IsPositive() {
		return ""
	}
	cells := func(d decimal.Decimal) int {
		n := int(d.Mul(decimal.NewFromInt(int64(width))).Div(budget).IntPart())
		return min(max(n, 0), width)
	}
	s := cells(spent)
	r := min(cells(spent.Add(reserved))-s, width-s)
	pct := spent.Div(budget).Mul(decimal.NewFromInt(100)).InexactFloat64()
	return fmt.Sprintf("[%s%s%s] %.0f%%", strings.Repeat("#", s), strings.Repeat("+", r), strings.Repeat(".", width-s-r), pct)
}

// projectionWarning says so when the spend rate would take the run past its budget before
// its planned end; nothing before there is a spend rate to project.
func projectionWarning(p summary.Progress) string {
	if p.Budget == nil || p.Stopping || !p.SpendPerMin.IsPositive() || !p.Projected.GreaterThan(*p.Budget) {
		return ""
	}
	return fmt.Sprintf("at %s/min the run would cost %s, more than the budget %s: it will stop at the budget", pricing.FormatUSD(p.SpendPerMin),
		pricing.FormatUSD(p.Projected), pricing.FormatUSD(*p.Budget))
}

// plainLine is one line of progress for logs; rps is the requests/s over the last
// rateWindow.
func plainLine(p summary.Progress, rps float64) string {
	t := p.Total
	budget := ""
	if p.Budget != nil {
		budget = " budget=" + pricing.FormatUSD(*p.Budget)
	}
	early := ""
	if p.ProjectedEarly {
		early = " (early)"
	}
	return fmt.Sprintf("[%s] users=%d rps=%.1f requests=%d failures=%d p95=%s spent=%s reserved=%s%s projected=%s%s",
		termClock(p.Elapsed), p.Users, rps, t.Requests, t.Failures, termMS(t.Latency.P95), pricing.FormatUSD(p.Spent),
		usdAs(p.Reserved, p.Spent), budget, pricing.FormatUSD(p.Projected), early)
}

// termClock is elapsed time as the live view writes it: 01:05, 1:02:03.
func termClock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}

// termMS is a latency as the live view writes it: 9.5ms, 120ms, 1.25s.
func termMS(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}

// monitorLine is the target's latest monitored values: "target: cpu 12.3% · memory 45.2 MiB
// · breaker_trips 0 (12 scrapes)", and the failed scrapes with the last reason.
func monitorLine(m *monitor.Snapshot) string {
	if m == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("target:")
	for i, v := range m.Values {
		if i > 0 {
			b.WriteString(" ·")
		}
		val := "-"
		if v.OK {
			val = monitor.Format(v.Unit, v.V)
		}
		fmt.Fprintf(&b, " %s %s", v.Name, val)
	}
	fmt.Fprintf(&b, " (%d scrapes", m.Scrapes)
	if m.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed: %s", m.Failed, m.LastError)
	}
	b.WriteString(")")
	return b.String()
}

// usdAs writes v in USD with as many decimals as pricing.FormatUSD writes ref: the live
// view's reserved with the precision of its spent.
func usdAs(v, ref decimal.Decimal) string {
	r := pricing.FormatUSD(ref)
	places := 0
	if i := strings.LastIndexByte(r, '.'); i >= 0 {
		places = len(r) - i - 1
	}
	return "$" + v.StringFixed(int32(places))
}

// liveGoodputLine is the live view's goodput so far, when a request was not good:
// "goodput: 41 of 45 good (91.1% SLO attainment), wasted $0.021"; "" otherwise.
func liveGoodputLine(p summary.Progress) string {
	t := p.Total
	if !p.GoodKnown || t.Requests == 0 || t.Good >= t.Requests {
		return ""
	}
	return fmt.Sprintf("goodput: %d of %d good (%s SLO attainment), wasted %s", t.Good, t.Requests,
		summary.FormatPctFixed(float64(t.Good)/float64(t.Requests), 1), pricing.FormatUSD(t.WastedCost))
}
