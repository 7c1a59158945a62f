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
	return report.NewLiveTerminal(streams.Out, streams.ErrOut, stdoutIsTerminal(streams), quiet,
		fmt.Sprintf("loadplan run %s / %s", planName, sc.Name))
}

// stdoutIsTerminal says whether the command's stdout is a terminal.
func stdoutIsTerminal(streams *IO) bool {
	switch out := streams.Out.(type) {
	case *os.File:
		return term.IsTerminal(int(out.Fd()))
	case *checkedWriter:
		fd, ok := out.Fd()
		return ok && term.IsTerminal(int(fd))
	}
	return false
}
