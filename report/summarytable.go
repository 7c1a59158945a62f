package report

import (
	"fmt"
	"io"

	"github.com/loadplan/loadplan/summary"
)

// SummaryTable writes a saved run summary for the terminal (loadplan report RUN.json): when
// and how it ran, then the same tables and lines as at the end of the run.
func SummaryTable(w io.Writer, s *summary.Run) error {
	if err := summaryHeader(w, s); err != nil {
		return err
	}
	return RunSummary(w, s)
}

// MergeTable writes a merged summary for the terminal (loadplan report merge): as
// SummaryTable, but its last lines say what the merged runs' outcome was without an exit
// code, which the merge command does not return.
func MergeTable(w io.Writer, s *summary.Run) error {
	if err := summaryHeader(w, s); err != nil {
		return err
	}
	runSummaryBody(w, s)
	MergedResult(w, s)
	return nil
}

func summaryHeader(w io.Writer, s *summary.Run) error {
	est, err := summaryEstimate(s)
	if err != nil {
		return err
	}
	load := ""
	if est != nil && est.MaxUsers > 0 {
		load = fmt.Sprintf("; %d users for %s", est.MaxUsers, est.Duration)
	} else if est != nil && est.ArrivalRate != "" {
		load = fmt.Sprintf("; %s for %s", est.ArrivalRate, est.Duration)
	}
	fmt.Fprintf(w, "Started %s, ran %s, seed %d%s\n", s.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), humanSeconds(s.DurationS), s.Seed, load)
	return nil
}
