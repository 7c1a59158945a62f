package executor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/meter"
	"github.com/loadplan/loadplan/mock"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// parsePlan parses a plan written in a test; TARGET in it becomes target. Data files may be
// given as name → content and are written next to it.
func parsePlan(t testing.TB, yaml, target string, files map[string]string) *plan.Plan {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml = strings.ReplaceAll(yaml, "TARGET", target)
	p, err := plan.Parse(filepath.Join(dir, "plan.yaml"), []byte(yaml), plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// worstBounds computes the steps' worst cases as the planner does (DESIGN.md, "Estimation":
// input at max_input_tokens with the cacheable prefix written at the 1-hour rate, output at
// its bound); the executor does not import the planner.
func worstBounds(t testing.TB, p *plan.Plan, cat *pricing.Catalog) map[*plan.Step]Bound {
	t.Helper()
	out := map[*plan.Step]Bound{}
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, tk := range p.Tasks {
		steps = append(steps, tk.Steps...)
	}
	for _, st := range steps {
		switch st.Cost.Kind {
		case plan.CostFree:
			out[st] = Bound{Cost: &decimal.Zero}
		case plan.CostFlat:
			c := st.Cost.Price
			out[st] = Bound{Cost: &c}
		case plan.CostUsage:
			e := st.Expect
			if e.MaxOutputTokens == 0 {
				continue
			}
			cacheable := e.CacheableTokens.Ceil().IntPart()
			u := pricing.Usage{Input: e.MaxInputTokens - cacheable, CacheWrite1h: cacheable, Output: e.MaxOutputTokens}
			price, err := cat.Lookup(st.Cost.Model)
			if err != nil {
				t.Fatal(err)
			}
			c := price.WorstCost(u, pricing.AnyTier)
			out[st] = Bound{Cost: &c, Usage: &u}
		}
	}
	return out
}

// config is a run of scenario s of p against target with the given budget (nil: none).
func config(t testing.TB, p *plan.Plan, scenario, target string, budget *decimal.Decimal) Config {
	t.Helper()
	sc := p.Scenario(scenario)
	if sc == nil {
		t.Fatalf("no scenario %s", scenario)
	}
	cat := pricing.Default()
	return Config{Plan: p, Scenario: sc, Target: target, Catalog: cat, Ledger: meter.New(budget),
		Bounds: worstBounds(t, p, cat), Seed: 7, StopTimeout: 5 * time.Second}
}

// run runs cfg with a deadline well past the scenario's length.
func run(t *testing.T, cfg Config) *summary.Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Scenario.TotalDuration()+30*time.Second)
	defer cancel()
	s, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// server starts an httptest server closed at the test's end.
func server(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// startMock starts the embedded mock with cfg changed by edit, stopped at the test's end.
func startMock(t testing.TB, edit func(*mock.Config)) (string, *mock.Server) {
	t.Helper()
	cfg, err := mock.Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.TimeScale = 3, 0.001
	if edit != nil {
		edit(&cfg)
	}
	srv, err := mock.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, srv
}

// testRunner builds a runner whose steps can be run one by one (white-box tests).
func testRunner(t testing.TB, cfg Config) *runner {
	t.Helper()
	r, err := newRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.stopCtx, r.stopFn = context.WithCancelCause(context.Background())
	r.abortCtx, r.abortFn = context.WithCancelCause(context.Background())
	t.Cleanup(func() { r.stopFn(nil); r.abortFn(nil) })
	r.start, r.lastTick = time.Now(), time.Now()
	return r
}

func row(s *summary.Run, name string) *summary.TaskStats {
	for i := range s.Tasks {
		if s.Tasks[i].Name == name {
			return &s.Tasks[i]
		}
	}
	return nil
}

// testUser is a user of r whose connection is closed at the test's end.
func testUser(t testing.TB, r *runner, id int) *user {
	u := r.newUser(id, 0)
	t.Cleanup(u.close)
	return u
}
