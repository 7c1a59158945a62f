package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadplan/loadplan/internal/redact"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/summary"
	"github.com/spf13/cobra"
)

// Exit codes (DESIGN.md; scripts depend on them). Those of a run that started are the
// summary's (summary.StopReason.ExitCode picks one).
const (
	exitOK          = summary.ExitPass
	exitThresholds  = summary.ExitThresholds
	exitUsage       = 2
	exitGate        = 3
	exitBudget      = summary.ExitBudget
	exitFailed      = summary.ExitError
	exitInterrupted = summary.ExitInterrupted
)

// IO is where commands read and write; tests give their own buffers.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Signals, when not nil, delivers interrupts to the running command (tests send on it);
	// nil: the process's SIGINT and SIGTERM.
	Signals <-chan os.Signal
	Env     plan.LookupEnv
	// secrets masks the loaded plan's secrets in the error printed at the end.
	secrets *redact.Set
}

// exitError carries an exit code out of a command. Its message, if any, goes to stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a bad flag or argument: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withCode wraps err with an exit code; a nil err with a code is a silent exit.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode maps an error to the process exit code, in one place.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if _, ok := plan.AsErrors(err); ok {
		return exitUsage
	}
	return exitUsage // cobra's own errors are about flags and arguments
}

// Main runs the CLI with args and returns the exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	return MainIO(args, &IO{In: in, Out: out, ErrOut: errOut})
}

// MainIO runs the CLI with the given IO. A command whose writes to stdout failed exits 5
// (unless interrupted: 130), whatever it would have exited with: its output is lost.
func MainIO(args []string, streams *IO) int {
	s := *streams
	if s.Env == nil {
		s.Env = os.LookupEnv
	}
	out := &checkedWriter{w: s.Out}
	s.Out = out
	ctx := context.Background()
	root := newRootCmd(&s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintf(s.ErrOut, "loadplan: %s\n", s.secrets.String(err.Error()))
		}
	}
	code := exitCode(err)
	if werr := out.Err(); werr != nil && code != exitInterrupted {
		if code != exitFailed || !errors.Is(err, werr) {
			fmt.Fprintf(s.ErrOut, "loadplan: write stdout: %v\n", werr)
		}
		code = exitFailed
	}
	return code
}

func newRootCmd(streams *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "loadplan",
		Short: "Cost-aware load testing for paid APIs",
		Long: `loadplan makes load tests of paid APIs safe: it estimates what a test will cost before it
starts, refuses to start past a budget unless told to, runs the test with a live cost meter
that never spends more than the budget, and reports the actual cost of each scenario beside
latency, throughput and failures.`,
		Example: `  loadplan estimate examples/ai-service.yaml --all
  loadplan run examples/ai-service.yaml --scenario smoke --json out.json
  loadplan estimate --users 50 --duration 10m --rate 3/min --price 0.003`,
		Version:       versionText(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("loadplan {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if h := flagHint(c, err); h != "" {
			return usageError("%v\n%s\nsee '%s --help'", err, h, c.CommandPath())
		}
		return usageError("%v\nsee '%s --help'", err, c.CommandPath())
	})
	// Every command, explicitly: each is built by its newCmdX(streams, runF) (runF nil: the
	// real command), in the file named after it.
	root.AddCommand(
		newCmdEstimate(streams, nil),
		newCmdValidate(streams, nil),
		newCmdPrices(streams, nil),
		newCmdVersion(streams, nil),
		newCmdRun(streams, nil),
		newCmdReport(streams, nil),
		newCmdMock(streams, nil),
		newCmdK8s(streams),
		newCmdWorker(streams, nil),
		newCmdSweep(streams, nil),
	)
	return root
}

// signalContext returns a context cancelled on the first interrupt, and a channel that
// receives each interrupt (the first, and any later one) for commands that escalate.
func signalContext(parent context.Context, streams *IO) (context.Context, <-chan os.Signal, func()) {
	sigs := streams.Signals
	var stopNotify func()
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		sigs = ch
		stopNotify = func() { signal.Stop(ch) }
	}
	ctx, cancel := context.WithCancel(parent)
	return ctx, sigs, func() {
		cancel()
		if stopNotify != nil {
			stopNotify()
		}
	}
}
