package report

import (
	"fmt"
	"io"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/summary"
)

// rateLimitRow is one limit of the run's rate_limits, as text.
type rateLimitRow struct {
	Name, Limit, Lowest, Peak, Headroom string
	Tight                               bool // the run went past the limit, or a response said 0 remained
}

// rateLimitRows renders s's rate_limits: per kind, its limit (the provider's, else the
// plan's), the lowest remaining the headers said and when, the most the run used in a
// minute, and the headroom. A kind with nothing known and nothing used is left out.
func rateLimitRows(s *summary.Run) []rateLimitRow {
	if s.RateLimits == nil {
		return nil
	}
	var rows []rateLimitRow
	for _, k := range s.RateLimits.Kinds() {
		l := k.Limit
		if l == nil || (l.Limit == nil && l.LowestRemaining == nil && l.PeakPerMinute == 0) {
			continue
		}
		r := rateLimitRow{Name: k.Name, Limit: "–", Lowest: "–", Headroom: "–",
			Peak: groupThousands(float64(l.PeakPerMinute)) + "/min"}
		if l.Limit != nil {
			r.Limit = groupThousands(float64(*l.Limit)) + "/min"
			if l.PlanLimit != nil && *l.PlanLimit != *l.Limit {
				r.Limit += fmt.Sprintf(" (plan %s)", groupThousands(float64(*l.PlanLimit)))
			}
		}
		if l.LowestRemaining != nil {
			r.Lowest = groupThousands(float64(*l.LowestRemaining))
			if l.LowestElapsedS != nil {
				r.Lowest += fmt.Sprintf(" at %s", humanSeconds(*l.LowestElapsedS))
			}
			r.Tight = *l.LowestRemaining == 0
		}
		if l.Headroom != nil && l.HeadroomShare != nil {
			r.Headroom = fmt.Sprintf("%s (%s)", groupThousands(float64(*l.Headroom)), summary.FormatPctFixed(*l.HeadroomShare, 0))
			r.Tight = r.Tight || *l.Headroom < 0
		}
		rows = append(rows, r)
	}
	return rows
}

// rateLimitTable writes the run's rate-limit headroom, when it has any.
func rateLimitTable(w io.Writer, s *summary.Run) {
	rows := rateLimitRows(s)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "Rate limits (%s responses with rate-limit headers)\n", groupThousands(float64(s.RateLimits.ResponsesWithHeaders)))
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Limit", "Per minute", "Lowest remaining", "Peak used", "Headroom"})
	for _, r := range rows {
		t.AppendRow(table.Row{r.Name, r.Limit, r.Lowest, r.Peak, r.Headroom})
	}
	t.SetColumnConfigs(rightAligned(2, 5))
	t.Render()
}
