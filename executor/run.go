package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadplan/loadplan/internal/http1"
	"github.com/loadplan/loadplan/internal/redact"
	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/monitor"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/schedule"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// DefaultStopTimeout is how long requests in flight may finish after a run stops starting
// new ones, before they are aborted.
const DefaultStopTimeout = 30 * time.Second

// DefaultPrometheusSettle is how long the final scrape of a Prometheus usage source waits
// after the last response, so that the service has exported the counters of the last
// requests.
const DefaultPrometheusSettle = time.Second

// controlInterval is how often the closed model compares the users running with the shape.
const controlInterval = 20 * time.Millisecond

// lateTolerance is how late an open-model arrival may start, for want of the generator's own
// CPU, before it counts as late; one that waits for a free virtual user is always late.
const lateTolerance = 20 * time.Millisecond

// Config is everything a run needs. Plan, Scenario, Target, Catalog and Ledger are required.
type Config struct {
	Plan     *plan.Plan
	Scenario *plan.Scenario // as overridden by the command line
	Target   string         // the resolved base URL: http://HOST[:PORT][/prefix] or https://
	Catalog  *pricing.Catalog
	// Ledger meters the run: every attempt reserves its step's worst case first. A run
	// without a budget gets an unlimited ledger, which still accounts.
	Ledger meter.Ledger
	// Capped says the run has a budget (the Ledger's): then every priced step must have a
	// bound in Bounds.
	Capped bool
	// Bounds are the steps' bounds, what each attempt reserves (the caller computes them with
	// the planner, planner.Bounds). A priced-by-usage step missing here has no worst case,
	// which only an uncapped run may have.
	Bounds map[*plan.Step]pricing.Bound
	Seed   uint64
	// StopTimeout is how long requests in flight may finish once the run stops starting new
	// ones (0: DefaultStopTimeout).
	StopTimeout time.Duration
	// Abort, when it delivers or is closed, aborts the requests in flight at once (a second
	// interrupt). Cancelling the ctx given to Run stops the run gracefully (interrupted).
	Abort <-chan struct{}
	// PrometheusSettle is how long the final scrape of a Prometheus usage source waits after
	// the last response (0: DefaultPrometheusSettle). Tests, whose services update their
	// counters as they answer, set it short.
	PrometheusSettle time.Duration
	// OnProgress is called about once a second from one goroutine.
	OnProgress func(summary.Progress)
	// OnWarning, when not nil, is told what the run's user should know at once, as a
	// sentence: the first response of a step that did not report all the usage its source
	// should (a JSON path or header that matched nothing). It is called from any goroutine
	// and must not block.
	OnWarning func(msg string)
	// Control, when not nil, changes the run while it goes (the users of the closed model)
	// and records the events of the summary.
	Control *Control
	TLS     TLSOptions
	// Client replaces the HTTP client (tests); nil: a tuned client built from TLS.
	Client *http.Client
	// Estimate is the scenario's estimate (loadplan.estimate/v1's scenario object), embedded
	// in the summary; ExpectedCost is its expected cost, for estimate_error_pct.
	Estimate     json.RawMessage
	ExpectedCost *decimal.Decimal
	// LatencyBuckets, when set, are the upper bounds at which each request name's latencies
	// and TTFTs are also counted, for Progress's histograms (a Prometheus exporter's).
	LatencyBuckets []time.Duration

	// Halt, when it delivers, stops the run gracefully for the reason it gives: another
	// process of the run stopped (package fleet's stop broadcast).
	Halt <-chan Halt
	// OnStop, if set, is called once, from a goroutine of its own, when the run stops
	// starting new work, with the reason (a worker broadcasts it to the others).
	OnStop func(reason summary.StopReason, detail string)
	// ProgressHistograms: each progress report's rows carry their cumulative latency
	// histogram, encoded (TaskProgress.Histogram), so that the progress of several workers
	// merges exactly.
	ProgressHistograms bool

	// rateWindow is the span of the rate limits (a minute when 0); tests shorten it.
	rateWindow time.Duration
}

// Halt is a stop that comes from outside the run: Reason becomes its stop reason.
type Halt struct {
	Reason summary.StopReason
	Detail string
}

// TLSOptions configure HTTPS: a CA bundle to trust, a client certificate, and skipping
// verification (only when asked for).
type TLSOptions struct {
	CAFile, CertFile, KeyFile string
	Insecure                  bool
}

// stopCause is why a run stops starting new work: the cause of its stop context.
type stopCause struct {
	reason summary.StopReason
	detail string
}

func (c *stopCause) Error() string { return string(c.reason) + ": " + c.detail }

// outcomeOf is the run's outcome from every cause recorded, in order: the one ranked first
// (summary.StopReason.Rank),
// the earliest among equals (an overrun after the scenario's end is an overrun, not
// completed). first is the cause that stopped new work.
func outcomeOf(causes []*stopCause) (outcome, first *stopCause) {
	for _, c := range causes {
		if first == nil {
			first = c
		}
		if outcome == nil || c.reason.Rank() > outcome.reason.Rank() {
			outcome = c
		}
	}
	return outcome, first
}

// task is a plan task compiled.
type task struct {
	name   string
	weight int
	steps  []*step
}

// user is one virtual user: its number, random source and captured values. Only its own
// goroutine touches it.
type user struct {
	id       int
	idText   string
	idHeader []string // {idText}: the X-Loadplan-User header's value, shared by its requests
	rand     *rand.Rand
	vars     map[string]string
	stop     chan struct{} // closed when the closed model retires this user
	timer    *time.Timer
	client   *http.Client
	conn     *http1.Client // the user's own connection; nil: client is the shared one
}

// close closes the user's connection.
func (u *user) close() {
	if u.conn != nil {
		u.conn.Close()
	}
}

type runner struct {
	cfg      Config
	sc       *plan.Scenario
	client   *http.Client // the shared client: https, proxies, scrapes (and tests' Config.Client)
	connBuf  int          // the read buffer of a user's connection
	connAddr string       // the address a user's connection is kept to: the target's
	ledger   meter.Ledger
	capped   bool
	onStart  []*step
	tasks    []*task
	weights  []int // cumulative
	stats    *stats
	agg      *aggregator
	proms    map[string]*promMeter
	mon      *monitor.Group // the plan's monitors; nil without any
	limits   *limiter       // the plan's rate_limit; nil without one
	rates    *rateStats     // what the rate-limit headers said, what the run used per minute
	// secrets masks the plan's secret values in every message the run writes (failures,
	// their samples, the stop's detail, errors): a target that echoes its request must not
	// put a key into a report.
	secrets *redact.Set

	seq         atomic.Uint64
	inFlight    atomic.Int64
	users       atomic.Int64 // closed model: users running; open model: virtual users busy
	lateStarts  atomic.Int64
	dropped     atomic.Int64 // open model: arrivals due before the stop that never started
	anyResponse atomic.Bool

	stopCtx context.Context // ends when no new work may start
	stopFn  context.CancelCauseFunc
	// causes are every reason the run was given to stop, in order: the stop context keeps
	// only the first, but an overrun or an error after it still decides the outcome.
	causesMu sync.Mutex
	causes   []*stopCause
	abortCtx context.Context // ends when work in flight is abandoned
	abortFn  context.CancelCauseFunc

	start     time.Time
	lastTick  time.Time
	timeline  []summary.TimelinePoint
	lastTotal int64 // requests at the last abort-threshold check
}

// ConfigError is Run's error: the plan or the configuration cannot be compiled into a run (a
// host not allowed, a template that does not parse, a CA file that cannot be read), and
// nothing was sent. Callers map it to DESIGN.md's exit 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Run runs the scenario and returns its summary. A failed request is data, not an error; the
// error, a *ConfigError, is for a configuration that cannot run at all (nothing was sent). A
// target that cannot be reached at the start ends the run with stop reason error. Cancelling
// ctx stops the run gracefully: it is then interrupted.
func Run(ctx context.Context, cfg Config) (*summary.Run, error) {
	r, err := newRunner(cfg)
	if err != nil {
		if cfg.Plan != nil {
			err = cfg.Plan.Redactor().Error(err)
		}
		return nil, &ConfigError{Err: err}
	}
	return r.run(ctx), nil
}

func newRunner(cfg Config) (*runner, error) {
	switch {
	case cfg.Plan == nil || cfg.Scenario == nil:
		return nil, errors.New("executor: no plan or scenario")
	case cfg.Target == "":
		return nil, errors.New("executor: no target")
	case cfg.Catalog == nil:
		return nil, errors.New("executor: no price catalog")
	case cfg.Ledger == nil:
		return nil, errors.New("executor: no ledger")
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.PrometheusSettle <= 0 {
		cfg.PrometheusSettle = DefaultPrometheusSettle
	}
	sc := cfg.Scenario
	if sc.Open() && sc.MaxInFlight <= 0 {
		return nil, fmt.Errorf("scenario %s: an open model needs max_in_flight", sc.Name)
	}
	if !sc.Open() && sc.TotalDuration() <= 0 {
		return nil, fmt.Errorf("scenario %s has no duration", sc.Name)
	}
	r := &runner{cfg: cfg, sc: sc, ledger: cfg.Ledger, capped: cfg.Capped,
		proms: map[string]*promMeter{}, stats: newStats(), secrets: cfg.Plan.Redactor()}
	concurrency := sc.MaxInFlight
	if !sc.Open() {
		concurrency = sc.MaxUsers()
	}
	var err error
	if r.client, err = newClient(&cfg, concurrency); err != nil {
		return nil, err
	}
	r.connBuf = connBufferSize(concurrency)
	if u, err := url.Parse(cfg.Target); err == nil && u.Scheme == "http" && u.Host != "" {
		r.connAddr = http1.Addr(u)
	}
	for _, ps := range cfg.Plan.OnStart {
		s, err := r.compileStep(ps, "on_start")
		if err != nil {
			return nil, err
		}
		s.slo = plan.SLOFor(sc, nil)
		r.onStart = append(r.onStart, s)
		r.stats.rows = append(r.stats.rows, s.stat)
	}
	sum := 0
	for _, pt := range cfg.Plan.Tasks {
		t := &task{name: pt.Name, weight: pt.Weight}
		for _, ps := range pt.Steps {
			s, err := r.compileStep(ps, pt.Name)
			if err != nil {
				return nil, err
			}
			s.slo = plan.SLOFor(sc, pt)
			t.steps = append(t.steps, s)
			r.stats.rows = append(r.stats.rows, s.stat)
		}
		if pt.Weight <= 0 {
			continue
		}
		sum += pt.Weight
		r.tasks = append(r.tasks, t)
		r.weights = append(r.weights, sum)
	}
	if sum == 0 {
		return nil, errors.New("the task weights add up to 0")
	}
	r.agg = newAggregator(r.stats)
	if len(cfg.LatencyBuckets) > 0 {
		bounds := slices.Clone(cfg.LatencyBuckets)
		slices.Sort(bounds)
		bounds = slices.Compact(bounds)
		for _, st := range r.stats.rows {
			st.buckets = newBucketCounts(bounds)
		}
	}
	if err := r.newMonitors(); err != nil {
		return nil, err
	}
	span := cfg.rateWindow
	if span <= 0 {
		span = time.Minute
	}
	r.limits = newLimiter(cfg.Plan.RateLimit, span, time.Now())
	r.rates = newRateStats(cfg.Plan.RateLimit)
	return r, nil
}

// stop stops new work (the first cause wins the stop context) and records c for the
// outcome.
func (r *runner) stop(c *stopCause) {
	r.causesMu.Lock()
	r.causes = append(r.causes, c)
	r.causesMu.Unlock()
	r.stopFn(c)
}

func (r *runner) abort(c *stopCause) { r.abortFn(c) }

// outcome is the run's stop cause as DESIGN.md ranks them, and the one that stopped new work.
func (r *runner) outcome() (outcome, first *stopCause) {
	r.causesMu.Lock()
	defer r.causesMu.Unlock()
	return outcomeOf(r.causes)
}

func (r *runner) run(ctx context.Context) *summary.Run {
	base := context.WithoutCancel(ctx)
	r.stopCtx, r.stopFn = context.WithCancelCause(base)
	r.abortCtx, r.abortFn = context.WithCancelCause(base)
	defer r.abortFn(nil)
	if r.cfg.Client == nil {
		// The client is ours: its idle connections (spares opened while faults reset others)
		// would keep the target's graceful shutdown waiting.
		defer r.client.CloseIdleConnections()
	}
	startWall := time.Now()
	r.start, r.lastTick = startWall, startWall
	r.rates.begin(startWall)
	if c := r.cfg.Control; c != nil {
		c.begin(startWall, r.sc.Open())
		stopUsers := context.AfterFunc(r.stopCtx, c.end)
		defer stopUsers()
	}

	for _, m := range r.proms {
		bctx, cancel := context.WithTimeout(r.stopCtx, 10*time.Second)
		err := m.scraper.Baseline(bctx)
		cancel()
		if err != nil {
			r.stop(&stopCause{reason: summary.StopError, detail: fmt.Sprintf("cannot read the usage counters at %s: %v", m.scraper.URL(), err)})
			return r.summarize(startWall, time.Now())
		}
	}

	done := make(chan struct{})
	unwatch := context.AfterFunc(ctx, func() {
		r.stop(&stopCause{reason: summary.StopInterrupted, detail: "interrupted: stopped starting new requests"})
	})
	defer unwatch()
	endTimer := time.AfterFunc(r.sc.TotalDuration(), func() {
		r.stop(&stopCause{reason: summary.StopCompleted, detail: "the scenario ran its full duration"})
	})
	defer endTimer.Stop()
	go r.escalate(done)
	if r.cfg.Halt != nil {
		go func() {
			select {
			case h, ok := <-r.cfg.Halt:
				if ok {
					r.stop(&stopCause{reason: h.Reason, detail: h.Detail})
				}
			case <-done:
			}
		}()
	}
	if r.cfg.OnStop != nil {
		defer context.AfterFunc(r.stopCtx, func() {
			if c, ok := context.Cause(r.stopCtx).(*stopCause); ok {
				r.cfg.OnStop(c.reason, c.detail)
			}
		})()
	}

	var bg sync.WaitGroup
	bgCtx, bgStop := context.WithCancel(base)
	bg.Add(2)
	go func() { defer bg.Done(); r.tickLoop(bgCtx) }()
	go func() { defer bg.Done(); r.promLoop(bgCtx) }()
	if r.mon != nil {
		bg.Add(1)
		go func() { defer bg.Done(); r.mon.Run(bgCtx, startWall) }()
	}

	var wg sync.WaitGroup
	if r.sc.Open() {
		r.runOpen(&wg)
	} else {
		r.runClosed(&wg)
	}
	wg.Wait()
	end := time.Now()
	close(done)
	bgStop()
	bg.Wait()
	if len(r.proms) > 0 {
		// Let the counters of the last requests be exported, then settle everything left.
		time.Sleep(min(r.cfg.PrometheusSettle, time.Until(end.Add(r.cfg.PrometheusSettle))))
		for _, m := range r.proms {
			sctx, cancel := context.WithTimeout(base, 5*time.Second)
			m.scrape(sctx, r, true)
			cancel()
		}
	}
	return r.summarize(startWall, end)
}

// escalate aborts the work in flight after the stop timeout, or at once on Abort.
func (r *runner) escalate(done <-chan struct{}) {
	abortNow := func() {
		c := &stopCause{reason: summary.StopInterrupted, detail: "interrupted twice: requests in flight aborted"}
		r.stop(c)
		r.abort(c)
	}
	select {
	case <-done:
		return
	case <-r.cfg.Abort:
		abortNow()
		return
	case <-r.stopCtx.Done():
	}
	t := time.NewTimer(r.cfg.StopTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-r.cfg.Abort:
		abortNow()
	case <-t.C:
		r.abort(&stopCause{reason: summary.StopCompleted, detail: "stop timeout: requests in flight aborted"})
	}
}

// runClosed starts and retires users as the scenario's shape says, until the run stops.
func (r *runner) runClosed(wg *sync.WaitGroup) {
	shape := schedule.Of(r.sc)
	var active []*user
	starts := map[int]uint64{}
	t := time.NewTicker(controlInterval)
	defer t.Stop()
	// A Control's user count replaces the shape from its change on, ramped from the users
	// running then.
	gen, from, to, changed := 0, 0, 0, time.Time{}
	for {
		want := shape.UsersAt(time.Since(r.start))
		if c := r.cfg.Control; c != nil {
			if n, g := c.target(); g != gen {
				gen, from, to, changed = g, len(active), n, time.Now()
			}
			if gen > 0 {
				want = rampUsers(from, to, r.sc.SpawnRate, time.Since(changed))
			}
		}
		for len(active) < want {
			k := len(active) + 1
			u := r.newUser(k, starts[k])
			starts[k]++
			active = append(active, u)
			wg.Add(1)
			go r.closedUser(wg, u)
		}
		for len(active) > want {
			// The most recently started users stop first, at their next iteration boundary.
			u := active[len(active)-1]
			close(u.stop)
			active = active[:len(active)-1]
		}
		r.users.Store(int64(len(active)))
		select {
		case <-r.stopCtx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *runner) newUser(id int, start uint64) *user {
	idText := strconv.Itoa(id)
	u := &user{id: id, idText: idText, idHeader: []string{idText}, vars: map[string]string{}, stop: make(chan struct{}),
		rand: userRand(r.cfg.Seed, id, start)}
	u.client, u.conn = r.userClient()
	return u
}

// userRand is the random source of user id (its start-th start, for a slot the stages
// retire and start again) under seed. The three are hashed together, so that a user draws
// the same whatever the others do, and no two (seed, user) pairs share a stream: seeded with
// seed + id, user N of seed S drew exactly as user N+1 of seed S-1.
func userRand(seed uint64, id int, start uint64) *rand.Rand {
	key := uint64(id)<<32 ^ start
	return rand.New(rand.NewPCG(splitmix64(seed^splitmix64(key)), splitmix64(key^splitmix64(seed^0x9e3779b97f4a7c15))))
}

// splitmix64 is SplitMix64's finaliser: a bijection of uint64 that mixes every bit.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// closedUser runs on_start once, then task iterations with their waits, until it is retired
// or the run stops.
func (r *runner) closedUser(wg *sync.WaitGroup, u *user) {
	defer wg.Done()
	defer u.close()
	began := time.Now()
	r.runSteps(u, r.onStart)
	w := r.sc.Wait
	next := began
	for {
		select {
		case <-u.stop:
			return
		case <-r.stopCtx.Done():
			return
		default:
		}
		r.runSteps(u, r.pickTask(u).steps)
		var d time.Duration
		next, d = waitAfter(w, u.rand, next, time.Now())
		if d > 0 && !r.sleep(u, d) {
			return
		}
	}
}

// waitAfter is how long a user waits after an iteration that ended at now (a pure function of
// the wait, the user's random source and the start of its current pacing period, next).
// Pacing starts an iteration at the user's start and every period after; an iteration that
// ran over its period is followed at once by the next, whose period starts then.
func waitAfter(w plan.Wait, rnd *rand.Rand, next, now time.Time) (time.Time, time.Duration) {
	switch w.Kind {
	case plan.WaitConstant:
		return next, w.Min
	case plan.WaitBetween:
		return next, w.Min + time.Duration(rnd.Int64N(int64(w.Max-w.Min)+1))
	case plan.WaitPacing:
		next = next.Add(w.Min)
		if d := next.Sub(now); d > 0 {
			return next, d
		}
		return now, 0
	}
	return next, 0
}

// sleep waits d unless the run stops or the user is retired; false if it was cut short.
func (r *runner) sleep(u *user, d time.Duration) bool {
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	select {
	case <-u.timer.C:
		return true
	case <-u.stop:
	case <-r.stopCtx.Done():
	}
	u.timer.Stop()
	return false
}

// sleepCtx waits d unless ctx ends first; false if it did.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *runner) pickTask(u *user) *task {
	n := u.rand.IntN(r.weights[len(r.weights)-1])
	i, _ := slices.BinarySearch(r.weights, n+1)
	return r.tasks[i]
}

// runOpen starts task iterations at the arrival rate on a pool of at most max_in_flight
// virtual users. An arrival that cannot start on time (no free user, or the pacer behind)
// is started as soon as it can and counted late; the arrivals still waiting when the run
// stops are counted dropped: no silent coordinated omission.
func (r *runner) runOpen(wg *sync.WaitGroup) {
	arr := schedule.Arrivals{Rate: r.sc.ArrivalRate.PerSecond, Duration: r.sc.Duration}
	work := make(chan struct{})
	vus := 0
	var timer *time.Timer
	n := uint64(0)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		// Arrivals due before the stop that never started.
		stopped := min(time.Since(r.start), arr.Duration)
		for due := n; due < uint64(arr.Total()) && arr.Due(due) < stopped; due++ {
			r.dropped.Add(1)
		}
	}()
	for ; ; n++ {
		wait, end := arr.Pace(time.Since(r.start), n)
		if end {
			return
		}
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-r.stopCtx.Done():
				return
			}
		}
		late := false
		select {
		case work <- struct{}{}:
		case <-r.stopCtx.Done():
			return
		default:
			if vus < r.sc.MaxInFlight {
				vus++
				wg.Add(1)
				go r.openUser(wg, vus, work)
			} else {
				late = true
				select {
				case work <- struct{}{}:
				case <-r.stopCtx.Done():
					return
				}
			}
		}
		if late || time.Since(r.start.Add(arr.Due(n))) > lateTolerance {
			r.lateStarts.Add(1)
		}
	}
}

// openUser is one virtual user of the open model: on_start on first use, then one task
// iteration per arrival handed to it.
func (r *runner) openUser(wg *sync.WaitGroup, id int, work <-chan struct{}) {
	defer wg.Done()
	u := r.newUser(id, 0)
	defer u.close()
	r.users.Add(1)
	r.runSteps(u, r.onStart)
	r.runSteps(u, r.pickTask(u).steps)
	r.users.Add(-1)
	for {
		select {
		case <-work:
			r.users.Add(1)
			r.runSteps(u, r.pickTask(u).steps)
			r.users.Add(-1)
		case <-r.stopCtx.Done():
			return
		}
	}
}

// runSteps runs steps in order, passing captured values; a failed step ends the sequence.
func (r *runner) runSteps(u *user, steps []*step) {
	for _, s := range steps {
		if !r.runStep(u, s) {
			return
		}
	}
}

// runStep sends one step, with its retries: each attempt reserves, is sent, settled and
// recorded. It reports whether the step succeeded.
func (r *runner) runStep(u *user, s *step) bool {
	if r.stopCtx.Err() != nil {
		return false
	}
	rc := renderCtx{r: r, u: u}
	pr := r.prepare(s, &rc)
	for attempt := 0; ; attempt++ {
		var g grant
		if r.limits != nil {
			var ok bool
			if g, ok = r.limits.acquire(r.stopCtx, &s.need, time.Now); !ok {
				return false
			}
		}
		res, err := r.ledger.Reserve(r.stopCtx, s.cost.worst)
		if err != nil {
			if errors.Is(err, meter.ErrBudgetExhausted) {
				snap := r.ledger.Snapshot()
				r.stop(&stopCause{reason: summary.StopBudgetExhausted, detail: fmt.Sprintf("the next request's worst case %s does not fit: spent %s of %s",
					pricing.FormatUSD(s.cost.worst), pricing.FormatUSD(snap.Spent), budgetText(snap.Budget))})
			}
			if errors.Is(err, meter.ErrLedgerUnreachable) {
				r.stop(&stopCause{reason: summary.StopLedgerUnreachable, detail: err.Error()})
			}
			return false
		}
		if r.stopCtx.Err() != nil {
			r.ledger.Release(res)
			return false
		}
		if s.cost.prom != nil {
			s.cost.prom.begin(res)
		}
		r.inFlight.Add(1)
		o := r.send(u, s, &pr)
		r.inFlight.Add(-1)
		if o.refused && !r.anyResponse.Load() {
			r.stop(&stopCause{reason: summary.StopError, detail: fmt.Sprintf("%s unreachable: %s", r.dialled(s, pr.url), o.res.failure)})
		}
		if o.res.failure == "" {
			for _, c := range s.captures {
				v, ok := c.path.Get(o.body)
				if !ok {
					o.res.failure = "capture failed: " + c.path.String() + " missing"
					break
				}
				u.vars[c.name] = valueText(v)
			}
		}
		cost, priced := r.settle(s, res, &o)
		r.rateSettle(s, g, &o)
		s.stat.record(&o.res)
		if o.streamed && o.res.ttft > 0 && o.report.Found && o.report.Usage.Output > 0 {
			s.stat.generated(o.report.Usage.Output, o.res.latency-o.res.ttft)
		}
		if o.res.failure != "" {
			msg, sample := r.mask(s, &pr, o.res.failure), r.mask(s, &pr, o.res.failureSample)
			r.stats.fail(s.stat, msg, shorten(sample, 40))
		}
		retry := attempt < s.p.Retry.Max && o.responded && slices.Contains(s.retryOn, o.status)
		s.stat.classify(!retry && o.res.failure == "" && sloMet(s.slo, &o), cost, priced)
		if retry {
			wait := o.retryAfter
			if wait == 0 {
				wait = s.p.Retry.Backoff
				if wait == 0 {
					wait = defaultBackoff
				}
				wait = backoff(wait, attempt)
			}
			if !sleepCtx(r.stopCtx, min(wait, maxRetryAfter)) {
				return false
			}
			continue
		}
		return o.res.failure == ""
	}
}

// backoff is the wait before the retry after attempt (0-based) without a Retry-After: first
// doubled attempt times, up to maxRetryAfter. A shift would overflow: a backoff of a year
// (the plan's longest duration) shifted nine times is negative, a retry at once.
func backoff(first time.Duration, attempt int) time.Duration {
	for ; attempt > 0 && first < maxRetryAfter; attempt-- {
		first *= 2
	}
	return min(first, maxRetryAfter)
}

// dialled names what a refused request tried to reach: the target, or the step's own URL
// (scheme and host only: its path and query may carry secrets).
func (r *runner) dialled(s *step, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "the url of " + s.p.Name
	}
	base := u.Scheme + "://" + u.Host
	if t, err := url.Parse(r.cfg.Target); err == nil && strings.EqualFold(t.Host, u.Host) && t.Scheme == u.Scheme {
		return "target " + base
	}
	return base + " (the url of " + s.p.Name + ")"
}

func budgetText(b *decimal.Decimal) string {
	if b == nil {
		return "no budget"
	}
	return pricing.FormatUSD(*b)
}
