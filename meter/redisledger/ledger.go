package redisledger

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
)

// Defaults of Options.
const (
	DefaultGrace    = 2 * time.Second
	DefaultLeaseTTL = 3 * time.Second
	DefaultRunTTL   = 24 * time.Hour
)

const (
	// minBackoff and maxBackoff bound the pause between two attempts of a call while Redis is
	// unreachable.
	minBackoff = 10 * time.Millisecond
	maxBackoff = 200 * time.Millisecond
	// firstPoll and lastPoll bound how long a waiting Reserve sleeps before it asks again
	// without having been woken: a backstop for a wake-up lost while the subscription was
	// reconnecting, and how it notices a dead worker's lease lapse (no one publishes that).
	firstPoll = 50 * time.Millisecond
	lastPoll  = time.Second
)

// Options configure a ledger's connection to its run.
type Options struct {
	// URL is redis://[[user]:password@]host[:port][/db] or rediss://... (TLS).
	URL string
	// Password is used when the URL carries none (loadplan run passes $REDIS_PASSWORD). It is
	// never printed: every error of this package has it, and the URL's, replaced by xxxxx.
	Password string
	// RunID names the run: every worker of one run gives the same ID, and shares its budget.
	// Letters, digits, '.', '_' and '-', at most 64.
	RunID string
	// Worker names this worker within the run ("" a random name). Two live workers may not
	// share a name.
	Worker string
	// Budget caps the run in USD (nil: unlimited, the ledger still accounts). The first worker
	// to join sets the run's budget; the others must give the same.
	Budget *decimal.Decimal
	// Grace is how long Redis may be unreachable before Reserve gives up with
	// meter.ErrLedgerUnreachable (0: DefaultGrace).
	Grace time.Duration
	// LeaseTTL is how long this worker's lease lasts unrenewed (0: DefaultLeaseTTL); it is
	// renewed every LeaseTTL/3. A worker whose lease lapses is dead: its reservations are
	// charged in full.
	LeaseTTL time.Duration
	// RunTTL is how long the run's keys outlive their last renewal (0: DefaultRunTTL).
	RunTTL time.Duration
}

// ErrBadOptions is returned by Open for options that can never work (a URL that is not
// redis:// or rediss://, a bad run ID, a budget too large), as opposed to a server that
// cannot be reached or refuses.
var ErrBadOptions = errors.New("bad ledger options")

// quiet silences go-redis, which logs connection failures to stderr: a package of ours never
// prints, and those failures reach the caller as errors. The logger is the process's.
var quiet sync.Once

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Ledger is a meter.Ledger whose state is in Redis, shared by every worker of a run. Open
// joins a run; Close leaves it. Safe for concurrent use.
type Ledger struct {
	rdb      *redis.Client
	ps       *redis.PubSub
	addr     string // the redacted URL, for messages
	secrets  []string
	prefix   string
	worker   string
	keys     []string
	budget   *decimal.Decimal
	grace    time.Duration
	leaseTTL time.Duration
	serverID string // Redis's run_id when this worker joined: another is a restarted or another server

	nextID atomic.Uint64
	gen    atomic.Uint64 // incremented by every wake-up

	mu        sync.Mutex
	wake      chan struct{} // closed by the next wake-up; nil when nobody waits
	waiting   int
	held      map[uint64]int64 // reservations granted to this worker and not yet recorded as settled or released
	pending   []pending        // settles and releases Redis could not record, for Close
	downSince time.Time        // the first failure since the last success; zero when reachable
	failed    error            // latched: every Reserve returns it
	last      meter.Snapshot   // the last snapshot read
	closed    bool

	stop context.CancelFunc
	done sync.WaitGroup
}

// pending is a settle or a release that Redis could not record in time.
type pending struct {
	id        uint64
	op        string // "settle" or "release"
	actual    int64  // units
	estimated int64  // units
	valid     bool
}

var _ meter.Ledger = (*Ledger)(nil)

// Open connects to Redis and joins the run o.RunID as a worker, creating the run's state if
// it is the first. Its lease is renewed, and wake-ups received, by goroutines that live until
// Close (or until ctx ends). Errors never contain the password.
func Open(ctx context.Context, o Options) (*Ledger, error) {
	budgetText, budget, err := o.complete()
	if err != nil {
		return nil, err
	}
	quiet.Do(func() { redis.SetLogger(&logging.VoidLogger{}) })
	opts, addr, secrets, err := parseURL(o.URL, o.Password)
	if err != nil {
		return nil, err
	}
	setTimeouts(opts, o.Grace)
	prefix := "loadplan:{" + o.RunID + "}:"
	l := &Ledger{
		rdb: redis.NewClient(opts), addr: addr, secrets: secrets, prefix: prefix, worker: o.Worker,
		keys: []string{prefix + "state", prefix + "workers", prefix + "reaped", prefix + "waiting",
			prefix + "lease:" + o.Worker, prefix + "res:" + o.Worker},
		budget: budget, grace: o.Grace, leaseTTL: o.LeaseTTL,
		held: map[uint64]int64{},
	}
	l.last.Budget = l.budgetCopy()
	if err := l.join(ctx, o, budgetText); err != nil {
		if l.ps != nil {
			_ = l.ps.Close()
		}
		_ = l.rdb.Close()
		return nil, l.redact(err)
	}
	l.start(ctx)
	return l, nil
}

// complete fills in o's defaults (a random worker name) and checks it; the budget is
// returned as the ledger keeps it, in its units' text and as a decimal (nil: none).
func (o *Options) complete() (string, *decimal.Decimal, error) {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.RunTTL <= 0 {
		o.RunTTL = DefaultRunTTL
	}
	if !runIDPattern.MatchString(o.RunID) {
		return "", nil, fmt.Errorf("run ID %q: use 1 to 64 letters, digits, '.', '_' or '-': %w", o.RunID, ErrBadOptions)
	}
	if o.Worker == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Worker = hex.EncodeToString(b[:])
	} else if !runIDPattern.MatchString(o.Worker) {
		return "", nil, fmt.Errorf("worker name %q: use 1 to 64 letters, digits, '.', '_' or '-': %w", o.Worker, ErrBadOptions)
	}
	if o.Budget == nil {
		return "", nil, nil
	}
	units, ok := toUnits(*o.Budget, roundDown)
	if !ok {
		return "", nil, fmt.Errorf("budget %s: a Redis ledger takes 0 to %s USD: %w", o.Budget, maxAmount, ErrBadOptions)
	}
	b := fromUnits(units)
	return unitText(units), &b, nil
}

// setTimeouts gives the client's every operation a quarter of the grace period (50 ms to
// 1 s) and no retries of its own: the ledger retries, within its grace period.
func setTimeouts(opts *redis.Options, grace time.Duration) {
	opTimeout := min(max(grace/4, 50*time.Millisecond), time.Second)
	opts.MaxRetries = -1 // the ledger retries, within its grace period
	opts.DialTimeout = opTimeout
	opts.ReadTimeout = opTimeout
	opts.WriteTimeout = opTimeout
	opts.PoolTimeout = opTimeout
	opts.DialerRetries = 1
	opts.DisableIdentity = true
	// RESP2: with RESP3 the client looks for push notifications on the connection before every
	// command, a read system call each; the ledger uses none (its subscription has its own
	// connection).
	opts.Protocol = 2
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// join subscribes to the run's wake-ups and joins the run as this worker, with its budget.
func (l *Ledger) join(ctx context.Context, o Options, budgetText string) error {
	// The subscription comes first: a wake-up published after this worker's first Reserve
	// cannot be missed.
	l.ps = l.rdb.Subscribe(ctx, l.prefix+"wake")
	if _, err := l.ps.Receive(ctx); err != nil {
		return fmt.Errorf("ledger %s: subscribe: %w", l.addr, err)
	}
	var err error
	if l.serverID, err = l.serverRunID(ctx); err != nil {
		return fmt.Errorf("ledger %s: %w", l.addr, err)
	}
	v, err := joinScript.Run(ctx, l.rdb, l.keys, l.prefix, l.worker, "0", budgetText,
		ms(o.LeaseTTL), ms(o.RunTTL)).StringSlice()
	if err != nil {
		return fmt.Errorf("ledger %s: join run %s: %w", l.addr, o.RunID, err)
	}
	switch v[0] {
	case "budget":
		return fmt.Errorf("ledger %s: run %s has a budget of %s, not %s: every worker of a run gives the same budget",
			l.addr, o.RunID, budgetString(v[1]), budgetString(budgetText))
	case "taken":
		return fmt.Errorf("ledger %s: run %s already has a worker named %s", l.addr, o.RunID, o.Worker)
	}
	return nil
}

// start starts the ledger's goroutines: one passes the run's wake-ups on, one renews this
// worker's lease.
func (l *Ledger) start(ctx context.Context) {
	bg, stop := context.WithCancel(ctx)
	l.stop = stop
	msgs := l.ps.Channel()
	l.done.Add(2)
	go func() {
		defer l.done.Done()
		for {
			select {
			case _, ok := <-msgs:
				if !ok {
					return
				}
				l.broadcast()
			case <-bg.Done():
				return
			}
		}
	}()
	go func() {
		defer l.done.Done()
		l.renew(bg)
	}()
}

// Addr is the ledger's URL with its password, if any, replaced by xxxxx: for messages.
func (l *Ledger) Addr() string { return l.addr }

// serverRunID is the run_id of the Redis server (INFO server): a server process's random
// identity, new at every start.
func (l *Ledger) serverRunID(ctx context.Context) (string, error) {
	info, err := l.rdb.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("INFO server: %w", err)
	}
	for line := range strings.Lines(info) {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return id, nil
		}
	}
	return "", errors.New("INFO server has no run_id")
}

// budgetString is a budget in units, as stored, in USD.
func budgetString(units string) string {
	if units == "" {
		return "none"
	}
	n, err := strconv.ParseInt(units, 10, 64)
	if err != nil {
		return units
	}
	return fromUnits(n).String() + " USD"
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// parseURL checks a redis:// or rediss:// URL and returns the client's options, the URL
// redacted for messages, and the secrets to redact. It never echoes a password.
func parseURL(raw, password string) (*redis.Options, string, []string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error's text repeats the URL, password included.
		return nil, "", nil, fmt.Errorf("not a URL; want redis://HOST:PORT/DB or rediss://HOST:PORT/DB (TLS): %w", ErrBadOptions)
	}
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p, url.QueryEscape(p), url.PathEscape(p))
	}
	redacted := u.Redacted()
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, "", nil, fmt.Errorf("%s: want redis://HOST:PORT/DB or rediss://HOST:PORT/DB (TLS): %w", redactText(redacted, secrets), ErrBadOptions)
	}
	if u.Host == "" {
		return nil, "", nil, fmt.Errorf("%s: no host; want redis://HOST:PORT/DB: %w", redactText(redacted, secrets), ErrBadOptions)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %s: %w", redactText(redacted, secrets), redactText(err.Error(), secrets), ErrBadOptions)
	}
	if opts.Password == "" && password != "" {
		opts.Password = password
	}
	if opts.Password != "" {
		secrets = append(secrets, opts.Password)
	}
	return opts, redactText(redacted, secrets), secrets, nil
}

// redactText replaces every secret in s with xxxxx.
func redactText(s string, secrets []string) string {
	for _, p := range secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	return s
}

// redactedError is an error whose text has the secrets replaced; errors.Is and errors.As see
// the original, which is not otherwise exposed (its text may hold a secret).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
func (e *redactedError) As(target any) bool   { return errors.As(e.err, target) }

func (l *Ledger) redact(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: redactText(err.Error(), l.secrets), err: err}
}

func (l *Ledger) budgetCopy() *decimal.Decimal {
	if l.budget == nil {
		return nil
	}
	b := *l.budget
	return &b
}
