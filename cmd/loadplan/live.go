package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
	"golang.org/x/term"
)

// plainEvery is how often the live view prints a line when the output is not a terminal.
const plainEvery = 5 * time.Second

// liveView shows a run's progress: on a terminal a table redrawn in place about once a
// second; elsewhere (CI logs) a plain line every plainEvery; with --quiet nothing.
type liveView struct {
	w        io.Writer
	tty      bool
	quiet    bool
	title    string
	mu       sync.Mutex
	lines    int // lines of the last frame, to redraw over it
	lastLine time.Time
	warned   bool
	note     string // a notice shown under the live table (the stop after an interrupt)
}

func newLiveView(streams *IO, quiet bool, sc *plan.Scenario, planName string) *liveView {
	v := &liveView{w: streams.Out, quiet: quiet, title: fmt.Sprintf("loadplan run %s / %s", planName, sc.Name)}
	if f, ok := streams.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		v.tty = true
	}
	return v
}

// update is the executor's OnProgress.
func (v *liveView) update(p summary.Progress) {
	if v.quiet {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tty {
		frame := v.frame(p)
		if v.lines > 0 {
			fmt.Fprintf(v.w, "\x1b[%dA\x1b[J", v.lines)
		}
		io.WriteString(v.w, frame)
		v.lines = strings.Count(frame, "\n")
		return
	}
	if now := time.Now(); v.lastLine.IsZero() || now.Sub(v.lastLine) >= plainEvery {
		v.lastLine = now
		fmt.Fprintln(v.w, plainLine(p))
	}
	if w := projectionWarning(p); w != "" && !v.warned {
		v.warned = true
		fmt.Fprintln(v.w, "warning: "+w)
	}
}

// notice tells the user something the live view cannot show yet: in the next frame on a
// terminal, at once otherwise.
func (v *liveView) notice(msg string) {
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

// finish leaves the last frame on screen; the summary follows it.
func (v *liveView) finish() {
	v.mu.Lock()
	v.lines = 0
	v.mu.Unlock()
}

func (v *liveView) frame(p summary.Progress) string {
	var b strings.Builder
	state := ""
	if p.Stopping {
		state = " · stopping: letting requests in flight finish"
	}
	fmt.Fprintf(&b, "%s · %s elapsed, %s left · %d users · %d in flight%s\n", v.title, clock(p.Elapsed), clock(p.Remaining), p.Users, p.InFlight, state)
	t := table.NewWriter()
	t.SetOutputMirror(&b)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	t.AppendHeader(table.Row{"Name", "Type", "Requests", "Fails", "RPS", "Median", "p95", "Max", "Avg size", "Cost"})
	for _, r := range p.Tasks {
		t.AppendRow(liveRow(r))
	}
	t.AppendFooter(liveRow(p.Total))
	cc := []table.ColumnConfig{}
	for i := 3; i <= 10; i++ {
		cc = append(cc, table.ColumnConfig{Number: i, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight})
	}
	t.SetColumnConfigs(cc)
	t.Render()
	b.WriteString(costLine(p))
	b.WriteString("\n")
	if p.LateStarts > 0 {
		fmt.Fprintf(&b, "late starts: %d arrivals could not start on time\n", p.LateStarts)
	}
	if w := projectionWarning(p); w != "" {
		b.WriteString("warning: " + w + "\n")
	}
	if v.note != "" {
		b.WriteString(v.note + "\n")
	}
	return b.String()
}

func liveRow(r summary.TaskProgress) table.Row {
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
		return msText(ms)
	}
	return table.Row{name, r.Method, r.Requests, fails, fmt.Sprintf("%.1f", r.CurrentRPS), lat(r.Latency.P50), lat(r.Latency.P95),
		lat(r.Latency.Max), fmt.Sprintf("%.0f B", r.AvgContentSize), pricing.FormatUSD(r.Cost)}
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
// its planned end.
func projectionWarning(p summary.Progress) string {
	if p.Budget == nil || p.Stopping || !p.Projected.GreaterThan(*p.Budget) {
		return ""
	}
	return fmt.Sprintf("at %s/min the run would cost %s, more than the budget %s: it will stop at the budget", pricing.FormatUSD(p.SpendPerMin),
		pricing.FormatUSD(p.Projected), pricing.FormatUSD(*p.Budget))
}

// plainLine is one line of progress for logs.
func plainLine(p summary.Progress) string {
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
		clock(p.Elapsed), p.Users, t.CurrentRPS, t.Requests, t.Failures, msText(t.Latency.P95), pricing.FormatUSD(p.Spent),
		usdAs(p.Reserved, p.Spent), budget, pricing.FormatUSD(p.Projected), early)
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}

func msText(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}
