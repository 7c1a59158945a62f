package main

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/spf13/cobra"
)

// secondsDuration is a duration flag that reads a bare number as seconds, as Locust's
// timespan does for -t/--run-time and --stop-timeout ("10" is 10s), besides Go's forms
// (30s, 10m, 1h20m).
type secondsDuration struct{ d *time.Duration }

func (s secondsDuration) String() string {
	if s.d == nil {
		return "0s"
	}
	return s.d.String()
}

func (s secondsDuration) Set(v string) error {
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	*s.d = d
	return nil
}

func (s secondsDuration) Type() string { return "duration" }

// parseSeconds reads "10" or "2.5" as seconds, else a Go duration ("30s", "1h20m").
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: give seconds (10) or a unit (30s, 10m, 1h20m)", v)
	}
	return d, nil
}

// addPlanFile gives cmd Locust's -f PLAN (locust -f locustfile.py): the plan may be named by
// the flag instead of the first argument.
func addPlanFile(cmd *cobra.Command) {
	var file string
	cmd.Flags().StringVarP(&file, "file", "f", "", "the plan file (as locust -f); the same as giving PLAN as the argument")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
	with := func(args []string) []string {
		if file == "" {
			return args
		}
		return append([]string{file}, args...)
	}
	args, run := cmd.Args, cmd.RunE
	cmd.Args = func(c *cobra.Command, a []string) error {
		if file != "" && len(a) > 0 && a[0] == file {
			return usageError("the plan is given twice: as -f %s and as an argument", file)
		}
		if args == nil {
			return nil
		}
		return args(c, with(a))
	}
	cmd.RunE = func(c *cobra.Command, a []string) error { return run(c, with(a)) }
}

// planArg is the plan a command line names, by -f or as the first argument; "" when none.
func planArg(cmd *cobra.Command, args []string) string {
	if f := cmd.Flags().Lookup("file"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

// registerScenarioCompletion completes --scenario with the scenarios of the plan given.
func registerScenarioCompletion(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("scenario", func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		path := planArg(c, args)
		if path == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		p, err := plan.Load(path, plan.Options{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return p.ScenarioNames(), cobra.ShellCompDirectiveNoFileComp
	})
}

func registerProfileCompletion(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions(mock.Profiles(), cobra.ShellCompDirectiveNoFileComp))
}

// modelNames are the embedded catalog's models, for completion.
func modelNames(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var names []string
	for _, p := range pricing.Default().Prices {
		names = append(names, p.Model)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// foreignFlags are flags of Locust and k6 that loadplan does not have, with loadplan's way.
var foreignFlags = map[string]string{
	"vus":             "--users (-u)",
	"hatch-rate":      "--spawn-rate (-r)",
	"locustfile":      "-f PLAN, or the plan as the argument",
	"config":          "the plan file: -f PLAN",
	"iterations":      "--run-time (-t) and --budget; loadplan has no iteration count",
	"stage":           "stages: [{duration: 2m, users: 100}, ...] in the plan's scenario",
	"rps":             "--arrival-rate 30/s (open model)",
	"tags":            "--scenario (-s)",
	"exclude-tags":    "--scenario (-s)",
	"web-port":        "nothing: loadplan has no web UI and always runs headless; --html FILE writes a report",
	"web-host":        "nothing: loadplan has no web UI and always runs headless; --html FILE writes a report",
	"autostart":       "nothing: loadplan always starts at once (headless)",
	"master":          "--ledger redis://... --run-id ID on each worker process, or loadplan k8s (README: Running on many machines)",
	"worker":          "--ledger redis://... --run-id ID on each worker process, or loadplan k8s (README: Running on many machines)",
	"expect-workers":  "--ledger redis://... --run-id ID on each worker process, or loadplan k8s (README: Running on many machines)",
	"processes":       "--ledger redis://... --run-id ID on each worker process, or loadplan k8s (README: Running on many machines)",
	"loglevel":        "--quiet (-q) for one line; loadplan has no log level",
	"logfile":         "--json FILE for the summary, --history FILE for a line per run",
	"only-summary":    "--quiet (-q)",
	"print-stats":     "nothing: the live view is on unless --quiet",
	"out":             "--json FILE, --csv PREFIX, --html FILE",
	"summary-export":  "--json FILE",
	"env":             "${VAR} in the plan, read from the environment",
	"reset-stats":     "nothing: statistics cover the whole run",
	"html-report":     "--html FILE",
	"json-file":       "--json FILE",
	"run-time-limit":  "--run-time (-t)",
	"max-duration":    "--run-time (-t)",
	"no-web":          "nothing: loadplan always runs headless",
	"users-per-sec":   "--spawn-rate (-r)",
	"throughput":      "--arrival-rate 30/s",
	"skip-log-setup":  "nothing",
	"csv-full-hist":   "--csv-full-history",
	"no-usage-report": "nothing: loadplan sends no usage report",
}

var (
	unknownLong  = regexp.MustCompile(`unknown flag: --([^\s=]+)`)
	unknownShort = regexp.MustCompile(`unknown shorthand flag: '(.)'`)
)

// foreignShort are shorthand flags of Locust and k6 with loadplan's way.
var foreignShort = map[string]string{
	"H": "--host URL (loadplan run)",
	"L": "--quiet (-q) for one line; loadplan has no log level",
	"T": "--scenario (-s)",
	"d": "--run-time (-t)",
	"i": "--run-time (-t) and --budget; loadplan has no iteration count",
	"e": "${VAR} in the plan, read from the environment",
	"o": "--json FILE, --csv PREFIX, --html FILE",
	"r": "--spawn-rate (-r) on estimate and run",
	"u": "--users (-u) on estimate and run",
	"t": "--run-time (-t) on estimate and run",
}

// flagHint says loadplan's way for a flag of Locust or k6 it does not have; "" for others.
func flagHint(c *cobra.Command, err error) string {
	msg := err.Error()
	if m := unknownLong.FindStringSubmatch(msg); m != nil {
		name := m[1]
		if h, ok := foreignFlags[name]; ok {
			return fmt.Sprintf("--%s is a Locust or k6 flag; in loadplan: %s", name, h)
		}
		if other := ownedElsewhere(c, name); other != "" {
			return fmt.Sprintf("--%s is a flag of %s", name, other)
		}
	}
	if m := unknownShort.FindStringSubmatch(msg); m != nil {
		if h, ok := foreignShort[m[1]]; ok {
			return fmt.Sprintf("-%s: in loadplan, %s", m[1], h)
		}
	}
	return ""
}

// ownedElsewhere names the commands that have flag name when c does not ("loadplan run").
func ownedElsewhere(c *cobra.Command, name string) string {
	var owners []string
	for _, sub := range c.Root().Commands() {
		if sub != c && sub.Flags().Lookup(name) != nil {
			owners = append(owners, sub.CommandPath())
		}
	}
	return strings.Join(owners, ", ")
}

// versionText is loadplan's version from its build information: the module version (a tag,
// or Go's pseudo-version of the commit) and the VCS revision, its time and whether the tree
// was modified; -ldflags "-X main.version=..." overrides the module version.
func versionText() string {
	v, rev, at, modified := version, "", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	out := v + " (revision " + rev
	if at != "" {
		out += ", " + at
	}
	if modified {
		out += ", modified"
	}
	return out + ")"
}
