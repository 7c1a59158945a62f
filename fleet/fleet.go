package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/summary"
)

// keyTTL is how long a run's keys outlive their last write.
const keyTTL = 24 * time.Hour

// pollEvery is how often a waiting call looks again.
const pollEvery = 50 * time.Millisecond

// maxStream caps the statistics stream (about 1 KB a report): an hour of 20 workers.
const maxStream = 100_000

// ErrStarted is returned by Ready to a worker that arrives after the run started: the load
// was split among the workers present at the start.
var ErrStarted = errors.New("the run started without this worker")

// ErrNoRun is returned by Definition when no coordinator published the run in time.
var ErrNoRun = errors.New("no such run")

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Definition is everything a worker needs to run its share of a run, published by the
// coordinator: the plan with its data files, the flags that shape the run, and what the
// coordinator computed from them (seed, budget, target, the steps' worst cases), which
// every worker must agree with.
type Definition struct {
	RunID   string `json:"run_id"`
	Workers int    `json:"workers"` // expected
	// PlanFile is the plan's file name; Files hold it and its data files, by their paths
	// relative to the plan's directory (slashes), and the price catalogs under prices/.
	PlanFile string            `json:"plan_file"`
	Files    map[string][]byte `json:"files"`
	// Prices and PricesOnly are the keys in Files of the --prices and --prices-only catalogs.
	Prices      string        `json:"prices,omitempty"`
	PricesOnly  string        `json:"prices_only,omitempty"`
	Scenario    string        `json:"scenario"`
	Users       int           `json:"users,omitempty"` // the overrides of the command line, as given
	SpawnRate   float64       `json:"spawn_rate,omitempty"`
	RunTime     time.Duration `json:"run_time,omitempty"`
	ArrivalRate string        `json:"arrival_rate,omitempty"`
	Seed        uint64        `json:"seed"`
	// Budget is the run's budget (nil: uncapped), which the workers' ledgers share.
	Budget      *decimal.Decimal `json:"budget"`
	Target      string           `json:"target"` // resolved, or mock://... for a worker's own mock
	Profile     string           `json:"profile,omitempty"`
	StopTimeout time.Duration    `json:"stop_timeout"`
	// Bounds are the steps' worst cases in USD by step name ("" none): a worker refuses to
	// run when its own differ (another price catalog, another plan).
	Bounds    map[string]string `json:"bounds"`
	Published time.Time         `json:"published"`
	// TLS files are paths on the worker's machine.
	CAFile   string `json:"ca_file,omitempty"`
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
}

// Member is a worker that is ready.
type Member struct {
	Index int    `json:"index"`
	Host  string `json:"host"`
	PID   int    `json:"pid"`
}

// Start is the barrier's outcome: when the run starts and who runs it.
type Start struct {
	At       time.Time `json:"at"`
	Present  []Member  `json:"present"` // by index
	Expected int       `json:"expected"`
	TimedOut bool      `json:"timed_out"` // started without every expected worker
}

// Position is the place of worker index among those present, and how many they are: its
// share of the load is schedule.Share(total, n, pos). ok is false for a worker not present.
func (s Start) Position(index int) (pos, n int, ok bool) {
	for i, m := range s.Present {
		if m.Index == index {
			return i, len(s.Present), true
		}
	}
	return 0, len(s.Present), false
}

// Stop is a stop broadcast: why the run stops, and whether work in flight is abandoned.
type Stop struct {
	Reason summary.StopReason `json:"reason"`
	Detail string             `json:"detail"`
	From   string             `json:"from"` // "coordinator" or "worker N"
	Abort  bool               `json:"abort,omitempty"`
}

// Report kinds.
const (
	KindProgress = "progress" // a second's progress
	KindFinal    = "final"    // the worker's summary: it is done
	KindFailed   = "failed"   // the worker could not run; Error says why
)

// Report is one message of a worker on the statistics stream.
type Report struct {
	Index    int               `json:"index"`
	Host     string            `json:"host"`
	Kind     string            `json:"kind"`
	Sent     time.Time         `json:"sent"`
	Progress *summary.Progress `json:"progress,omitempty"`
	Summary  *summary.Run      `json:"summary,omitempty"`
	Error    string            `json:"error,omitempty"`
}

// Client talks to the fleet keys of one run. Safe for concurrent use.
type Client struct {
	rdb     *redis.Client
	prefix  string
	addr    string
	secrets []string
}

// Dial connects to the Redis at rawURL (redis:// or rediss://; password from the URL, else
// password) for run runID and checks that it answers. Errors never show the password.
func Dial(ctx context.Context, rawURL, password, runID string) (*Client, error) {
	if !runIDPattern.MatchString(runID) {
		return nil, fmt.Errorf("run ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", runID)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, errors.New("want redis://HOST:PORT/DB or rediss://HOST:PORT/DB (TLS)")
	}
	c := &Client{prefix: "loadplan:{" + runID + "}:fleet:", addr: u.Redacted()}
	if p, ok := u.User.Password(); ok && p != "" {
		c.secrets = append(c.secrets, p, url.QueryEscape(p), url.PathEscape(p))
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", c.addr, c.redactText(err.Error()))
	}
	if opts.Password == "" {
		opts.Password = password
	}
	if opts.Password != "" {
		c.secrets = append(c.secrets, opts.Password)
	}
	opts.Protocol = 2
	opts.DisableIdentity = true
	opts.MaxRetries = 1
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 2*time.Second, time.Second
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c.rdb = redis.NewClient(opts)
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		_ = c.rdb.Close()
		return nil, c.wrap("ping", err)
	}
	return c, nil
}

// Addr is the Redis URL with its password replaced by xxxxx.
func (c *Client) Addr() string { return c.addr }

// Close closes the connection.
func (c *Client) Close() error { return c.rdb.Close() }

func (c *Client) redactText(s string) string {
	for _, p := range c.secrets {
		if p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
	}
	return s
}

// wrap names the Redis and what was being done, without the password; errors.Is still
// sees the cause.
func (c *Client) wrap(what string, err error) error {
	return &redactedError{msg: c.redactText(fmt.Sprintf("fleet %s: %s: %v", c.addr, what, err)), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) key(name string) string { return c.prefix + name }

// Publish publishes the run's definition. A run ID that was published already is an error:
// one ID names one run.
func (c *Client) Publish(ctx context.Context, d *Definition) error {
	d.Published = time.Now().UTC()
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	ok, err := c.rdb.SetNX(ctx, c.key("def"), b, keyTTL).Result()
	if err != nil {
		return c.wrap("publish the run", err)
	}
	if !ok {
		return fmt.Errorf("fleet %s: run %s exists already: give another --run-id", c.addr, d.RunID)
	}
	return nil
}

// Definition waits at most wait for the run's definition (a worker may start before its
// coordinator) and returns it.
func (c *Client) Definition(ctx context.Context, wait time.Duration) (*Definition, error) {
	deadline := time.Now().Add(wait)
	for {
		b, err := c.rdb.Get(ctx, c.key("def")).Bytes()
		if err == nil {
			var d Definition
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, fmt.Errorf("fleet %s: the run's definition: %w", c.addr, err)
			}
			return &d, nil
		}
		if !errors.Is(err, redis.Nil) {
			return nil, c.wrap("read the run's definition", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("fleet %s: no coordinator published the run in %s: %w", c.addr, wait, ErrNoRun)
		}
		if !sleep(ctx, pollEvery) {
			return nil, ctx.Err()
		}
	}
}

// Ready says that worker m is ready to start. Another worker with its index is an error, and
// so is a run that started already (ErrStarted).
func (c *Client) Ready(ctx context.Context, m Member) error {
	b, _ := json.Marshal(m)
	ok, err := c.rdb.HSetNX(ctx, c.key("ready"), strconv.Itoa(m.Index), b).Result()
	if err != nil {
		return c.wrap("say ready", err)
	}
	if !ok {
		return fmt.Errorf("fleet %s: another worker has index %d: give each worker its own --index", c.addr, m.Index)
	}
	c.rdb.Expire(ctx, c.key("ready"), keyTTL)
	if n, err := c.rdb.Exists(ctx, c.key("start")).Result(); err == nil && n > 0 {
		s, err := c.start(ctx)
		if err == nil {
			if _, _, present := s.Position(m.Index); !present {
				return fmt.Errorf("fleet %s: worker %d: %w", c.addr, m.Index, ErrStarted)
			}
		}
	}
	return nil
}

// AwaitReady is the coordinator's barrier: it waits until n workers are ready, or timeout
// has passed, and starts the run with the workers present (none present is an error).
func (c *Client) AwaitReady(ctx context.Context, n int, timeout time.Duration) (Start, error) {
	deadline := time.Now().Add(timeout)
	for {
		cnt, err := c.rdb.HLen(ctx, c.key("ready")).Result()
		if err != nil {
			return Start{}, c.wrap("count the workers ready", err)
		}
		timedOut := time.Now().After(deadline)
		if int(cnt) >= n || timedOut {
			all, err := c.rdb.HGetAll(ctx, c.key("ready")).Result()
			if err != nil {
				return Start{}, c.wrap("read the workers ready", err)
			}
			s := Start{At: time.Now().UTC(), Expected: n, TimedOut: int(cnt) < n}
			for _, v := range all {
				var m Member
				if json.Unmarshal([]byte(v), &m) == nil {
					s.Present = append(s.Present, m)
				}
			}
			sort.Slice(s.Present, func(i, j int) bool { return s.Present[i].Index < s.Present[j].Index })
			if len(s.Present) == 0 {
				return s, fmt.Errorf("no worker joined run in %s: start them with loadplan worker --ledger URL --run ID --index N", timeout)
			}
			b, _ := json.Marshal(s)
			if err := c.rdb.Set(ctx, c.key("start"), b, keyTTL).Err(); err != nil {
				return Start{}, c.wrap("start the run", err)
			}
			return s, nil
		}
		if !sleep(ctx, pollEvery) {
			return Start{}, ctx.Err()
		}
	}
}

func (c *Client) start(ctx context.Context) (Start, error) {
	var s Start
	b, err := c.rdb.Get(ctx, c.key("start")).Bytes()
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// AwaitStart waits until the coordinator starts the run, and returns who runs it.
func (c *Client) AwaitStart(ctx context.Context) (Start, error) {
	for {
		s, err := c.start(ctx)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, redis.Nil) {
			return Start{}, c.wrap("wait for the start", err)
		}
		if !sleep(ctx, pollEvery) {
			return Start{}, ctx.Err()
		}
	}
}

// Halt broadcasts a stop; the first stop given stays (a later one with Abort still aborts).
func (c *Client) Halt(ctx context.Context, s Stop) error {
	b, _ := json.Marshal(s)
	if err := c.rdb.SetNX(ctx, c.key("stop"), b, keyTTL).Err(); err != nil {
		return c.wrap("broadcast the stop", err)
	}
	if s.Abort {
		if err := c.rdb.SetNX(ctx, c.key("abort"), b, keyTTL).Err(); err != nil {
			return c.wrap("broadcast the abort", err)
		}
	}
	return nil
}

// Watch polls the stop broadcast every interval until ctx ends. It delivers the stop once,
// and then the abort once, if there is one. When Redis cannot be read for grace, it delivers
// a stop of its own: ledger_unreachable.
func (c *Client) Watch(ctx context.Context, every, grace time.Duration) <-chan Stop {
	out := make(chan Stop, 2)
	go func() {
		defer close(out)
		stopped := false
		var failingSince time.Time
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			keys := []string{c.key("stop"), c.key("abort")}
			vals, err := c.rdb.MGet(ctx, keys...).Result()
			switch {
			case err != nil && ctx.Err() != nil:
				return
			case err != nil:
				if failingSince.IsZero() {
					failingSince = time.Now()
				}
				if time.Since(failingSince) >= grace {
					out <- Stop{Reason: summary.StopLedgerUnreachable, Detail: c.redactText(fmt.Sprintf("fleet %s unreachable for %s: %v", c.addr, grace, err)), From: "this worker", Abort: stopped}
					return
				}
			default:
				failingSince = time.Time{}
				if s, ok := decodeStop(vals[0]); ok && !stopped {
					stopped = true
					out <- s
				}
				if s, ok := decodeStop(vals[1]); ok && stopped {
					s.Abort = true
					out <- s
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func decodeStop(v any) (Stop, bool) {
	text, ok := v.(string)
	if !ok {
		return Stop{}, false
	}
	var s Stop
	if json.Unmarshal([]byte(text), &s) != nil {
		return Stop{}, false
	}
	return s, true
}

// Send adds a report to the statistics stream.
func (c *Client) Send(ctx context.Context, r Report) error {
	r.Sent = time.Now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	err = c.rdb.XAdd(ctx, &redis.XAddArgs{Stream: c.key("stats"), MaxLen: maxStream, Approx: true, Values: []any{"r", b}}).Err()
	if err != nil {
		return c.wrap("send statistics", err)
	}
	c.rdb.Expire(ctx, c.key("stats"), keyTTL)
	return nil
}

// Reports reads the reports after the stream ID after ("0": from the start), waiting at most
// block for one, and returns them and the ID to read after next.
func (c *Client) Reports(ctx context.Context, after string, block time.Duration) ([]Report, string, error) {
	res, err := c.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{c.key("stats"), after}, Count: 1000, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, after, nil
	}
	if err != nil {
		return nil, after, c.wrap("read statistics", err)
	}
	var out []Report
	for _, st := range res {
		for _, m := range st.Messages {
			after = m.ID
			text, _ := m.Values["r"].(string)
			var r Report
			if json.Unmarshal([]byte(text), &r) == nil {
				out = append(out, r)
			}
		}
	}
	return out, after, nil
}

// WorkerSeed is worker index's seed in a run of seed: the two hashed together (SplitMix64),
// so that no two workers draw the same users and a run is reproducible worker by worker.
func WorkerSeed(seed uint64, index int) uint64 {
	return splitmix64(seed ^ splitmix64(uint64(index)+0x632be59bd9b4e019))
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Latest is a mailbox of one value: Put replaces what was not taken yet. A worker's
// progress callback puts, a sender goroutine takes, so a slow Redis never slows the run.
type Latest[T any] struct {
	mu   sync.Mutex
	v    *T
	note chan struct{}
}

// NewLatest returns an empty mailbox.
func NewLatest[T any]() *Latest[T] { return &Latest[T]{note: make(chan struct{}, 1)} }

// Put replaces the value.
func (l *Latest[T]) Put(v T) {
	l.mu.Lock()
	l.v = &v
	l.mu.Unlock()
	select {
	case l.note <- struct{}{}:
	default:
	}
}

// Take waits for a value until ctx ends.
func (l *Latest[T]) Take(ctx context.Context) (T, bool) {
	for {
		l.mu.Lock()
		v := l.v
		l.v = nil
		l.mu.Unlock()
		if v != nil {
			return *v, true
		}
		select {
		case <-l.note:
		case <-ctx.Done():
			var zero T
			return zero, false
		}
	}
}
