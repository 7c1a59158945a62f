package main

import (
	"fmt"

	"github.com/loadplan/loadplan/pricing"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

type versionOptions struct{}

// newCmdVersion builds loadplan version; runF as newCmdRun's.
func newCmdVersion(streams *IO, runF func(*versionOptions) error) *cobra.Command {
	o := &versionOptions{}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print loadplan's version and the date of its embedded prices",
		Example: "  loadplan version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runVersion(streams)
		},
	}
}

func runVersion(streams *IO) error {
	c := pricing.Default()
	fmt.Fprintf(streams.Out, "loadplan %s\nprices as of %s (%s)\n", versionText(), c.AsOf, c.Source)
	return nil
}
