package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// outputFlag is --output (-o), the format a command prints in, which every command that
// prints a result takes: the same flag, the same check and the same error (exit 2) for a
// format the command does not write.
type outputFlag struct {
	value   string
	formats []string // the formats the command writes; the first is the default
}

// register adds --output to cmd with the formats it writes (the first is the default) and
// their completion.
func (f *outputFlag) register(cmd *cobra.Command, formats ...string) {
	f.formats = formats
	list := formats[0]
	if n := len(formats); n > 1 {
		list = strings.Join(formats[:n-1], ", ") + " or " + formats[n-1]
	}
	cmd.Flags().StringVarP(&f.value, "output", "o", formats[0], "output format: "+list)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// check refuses a format the command does not write (exit 2).
func (f *outputFlag) check() error {
	if !slices.Contains(f.formats, f.value) {
		return usageError("--output %q: valid: %s", f.value, strings.Join(f.formats, ", "))
	}
	return nil
}

// json says whether the output is JSON.
func (f *outputFlag) json() bool { return f.value == "json" }
