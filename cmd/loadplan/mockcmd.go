package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/loadplan/loadplan/mock"
	"github.com/spf13/cobra"
)

type mockOptions struct {
	addr      string
	profile   string
	config    string
	seed      uint64
	model     string
	tls       bool
	timeScale float64
	prices    priceFlags
}

// newCmdMock builds loadplan mock; runF as newCmdRun's.
func newCmdMock(streams *IO, runF func(*mockOptions) error) *cobra.Command {
	o := &mockOptions{}
	cmd := &cobra.Command{
		Use:   "mock",
		Short: "Serve the embedded mock AI service in the foreground (no API key, nothing billed for real)",
		Long: `Serve the embedded mock AI service until interrupted: the AI microservice of
examples/ai-service.yaml (/health, /api/session, /api/chat/message, /api/chat/stream,
/api/dte/validate, /api/projects/match), Anthropic's /v1/messages and OpenAI's
/v1/chat/completions (plain and streamed), Prometheus /metrics, and its ledger of what it
billed at GET /_mock/ledger (POST /_mock/reset zeroes it).

Profiles: ` + strings.Join(mock.Profiles(), ", ") + `. A YAML --config changes any endpoint's
latency, tokens, cache behaviour and faults.`,
		Example: `  loadplan mock
  loadplan mock --addr 127.0.0.1:8002 --profile flaky --seed 7
  loadplan mock --tls --addr 127.0.0.1:8443
  curl -s localhost:8002/api/chat/message -d '{"message": "hello", "max_tokens": 100}'
  curl -s localhost:8002/_mock/ledger`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.prices.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runMock(cmd.Context(), streams, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8002", "listen address (keep it on loopback unless the mock must be reached from elsewhere)")
	fs.StringVar(&o.profile, "profile", "default", "built-in profile: "+strings.Join(mock.Profiles(), ", "))
	fs.StringVar(&o.config, "config", "", "a mock YAML configuration, instead of --profile")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of every random draw: the same user's requests get the same answers")
	fs.StringVar(&o.model, "model", "", "model that prices the service endpoints (default "+mock.DefaultModel+")")
	fs.BoolVar(&o.tls, "tls", false, "serve HTTPS (and HTTP/2) with a generated self-signed certificate")
	fs.Float64Var(&o.timeScale, "time-scale", 1, "multiplies every delay: 1 is real time, 0 answers at once")
	o.prices.register(fs) // what its ledger bills
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions(mock.Profiles(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// runMock is loadplan mock: the mock served until an interrupt.
func runMock(parent context.Context, streams *IO, o *mockOptions) error {
	var cfg mock.Config
	var err error
	if o.config != "" {
		cfg, err = mock.LoadConfig(o.config)
	} else {
		cfg, err = mock.Profile(o.profile)
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg.Addr, cfg.Seed, cfg.TLS, cfg.TimeScale = o.addr, o.seed, o.tls, o.timeScale
	if o.model != "" {
		cfg.Model = o.model
	}
	pc, err := o.prices.catalog()
	if err != nil {
		return err
	}
	cfg.Prices = pc.cat
	if err := cfg.Validate(); err != nil {
		return withCode(exitUsage, err)
	}
	scheme := "http"
	if cfg.TLS {
		scheme = "https"
	}
	fmt.Fprintf(streams.ErrOut, "loadplan mock: profile %s, serving %s://%s (Ctrl-C stops it)\n", cfg.Profile, scheme, cfg.Addr)
	if err := serveUntilSignal(parent, streams, cfg); err != nil {
		return withCode(exitFailed, err)
	}
	return nil
}

// serveUntilSignal serves until the first interrupt.
func serveUntilSignal(ctx context.Context, streams *IO, cfg mock.Config) error {
	ctx, sigs, stop := signalContext(ctx, streams)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return mock.Serve(ctx, cfg)
}
