package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/shopspring/decimal"
	"github.com/spf13/pflag"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/meter/redisledger"
)

// ledgerFlags are run's flags that choose where the meter's state lives.
type ledgerFlags struct {
	url   string // --ledger: "" the in-process meter
	runID string // --run-id
}

func (f *ledgerFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "ledger", "", "keep the budget's ledger in Redis, shared by every process of the run: redis://HOST:PORT/DB or rediss:// (TLS); password in the URL or $REDIS_PASSWORD")
	fs.StringVar(&f.runID, "run-id", "", "the run's name in the --ledger (default: random); processes giving the same share one budget")
}

// openLedger returns the run's ledger and the function that leaves it (idempotent; it reports
// a failure to leave on stderr: the run's report is written by then). Without --ledger it is
// the in-process meter. Errors never show the Redis password.
func openLedger(ctx context.Context, streams *IO, f ledgerFlags, budget *decimal.Decimal, quiet bool) (meter.Ledger, func(), error) {
	if f.url == "" {
		if f.runID != "" {
			return nil, nil, usageError("--run-id names a run in a shared ledger: give --ledger redis://HOST:PORT/DB too")
		}
		return meter.New(budget), func() {}, nil
	}
	runID := f.runID
	if runID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		runID = "run-" + hex.EncodeToString(b[:])
	}
	password, _ := streams.Env("REDIS_PASSWORD")
	l, err := redisledger.Open(ctx, redisledger.Options{URL: f.url, Password: password, RunID: runID, Budget: budget})
	if errors.Is(err, redisledger.ErrBadOptions) {
		return nil, nil, usageError("--ledger: %w", err)
	} else if err != nil {
		return nil, nil, withCode(exitFailed, fmt.Errorf("--ledger: %w", err))
	}
	if !quiet {
		fmt.Fprintf(streams.Out, "Ledger: %s, run %s\n", l.Addr(), runID)
	}
	var once sync.Once
	return l, func() {
		once.Do(func() {
			if err := l.Close(); err != nil {
				fmt.Fprintf(streams.ErrOut, "loadplan: --ledger: %v\n", err)
			}
		})
	}, nil
}
