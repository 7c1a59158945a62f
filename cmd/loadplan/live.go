package main

import (
	"fmt"
	"os"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/report"
	"golang.org/x/term"
)

// newLiveView is run's live view (report.LiveTerminal) on stdout: a table redrawn in place
// when stdout is a terminal, plain lines otherwise, nothing with --quiet.
func newLiveView(streams *IO, quiet bool, sc *plan.Scenario, planName string) *report.LiveTerminal {
	tty := false
	switch out := streams.Out.(type) {
	case *os.File:
		tty = term.IsTerminal(int(out.Fd()))
	case *checkedWriter:
		fd, ok := out.Fd()
		tty = ok && term.IsTerminal(int(fd))
	}
	return report.NewLiveTerminal(streams.Out, streams.ErrOut, tty, quiet, fmt.Sprintf("loadplan run %s / %s", planName, sc.Name))
}
