package mock

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// exampleTask is what this package reads of a task of examples/ai-service.yaml.
type exampleTask struct {
	Request struct {
		Path string         `yaml:"path"`
		JSON map[string]any `yaml:"json"`
	} `yaml:"request"`
	Expect struct {
		InputTokens     int64             `yaml:"input_tokens"`
		CacheableTokens int64             `yaml:"cacheable_tokens"`
		CacheHitRate    string            `yaml:"cache_hit_rate"`
		OutputTokens    int64             `yaml:"output_tokens"`
		MaxInputTokens  int64             `yaml:"max_input_tokens"`
		Latency         map[string]string `yaml:"latency"`
		TTFT            map[string]string `yaml:"ttft"`
	} `yaml:"expect"`
}

func exampleTasks(t *testing.T) map[string]exampleTask {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "ai-service.yaml"))
	if err != nil {
		t.Skipf("the example plan is not here: %v", err)
	}
	var plan struct {
		Tasks map[string]exampleTask `yaml:"tasks"`
	}
	if err := yaml.Unmarshal(b, &plan); err != nil {
		t.Fatal(err)
	}
	return plan.Tasks
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDefaultProfileMatchesExample holds the default profile and examples/ai-service.yaml in
// step: a run of the example on the mock checks the estimator only while they agree.
func TestDefaultProfileMatchesExample(t *testing.T) {
	cfg, err := Profile("default")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for name, task := range exampleTasks(t) {
		ep, ok := cfg.Endpoints[task.Request.Path]
		if !ok {
			continue
		}
		seen++
		x := task.Expect
		if lat := x.Latency; lat != nil {
			want := Latency{Median: mustDuration(t, lat["median"]), P95: mustDuration(t, lat["p95"])}
			if ep.Latency != want {
				t.Errorf("%s (%s): latency %+v, the example expects %+v", name, task.Request.Path, ep.Latency, want)
			}
		}
		if ttft := x.TTFT; ttft != nil {
			want := Latency{Median: mustDuration(t, ttft["median"]), P95: mustDuration(t, ttft["p95"])}
			if ep.TTFT != want {
				t.Errorf("%s: ttft %+v, the example expects %+v", name, ep.TTFT, want)
			}
		}
		if x.InputTokens == 0 {
			continue
		}
		hit, err := parseNumber(x.CacheHitRate)
		if err != nil {
			t.Fatal(err)
		}
		if ep.InputTokens != x.InputTokens || ep.CacheableTokens != x.CacheableTokens ||
			ep.OutputTokens != x.OutputTokens || ep.MaxInputTokens != x.MaxInputTokens ||
			math.Abs(ep.CacheHitRate-hit) > 1e-12 || ep.CacheWrite1hShare != 0 {
			t.Errorf("%s (%s): profile %+v, example expects %+v", name, task.Request.Path, ep, x)
		}
	}
	if seen < 5 {
		t.Errorf("only %d of the example's tasks name a mock endpoint", seen)
	}
}

// drawMany draws n plans of endpoint path the way requests do, under a fixed seed.
func drawMany(t *testing.T, s *Server, path string, n int, maxTokens int64) []*plan {
	t.Helper()
	c := &call{s: s, ep: s.eps[path]}
	plans := make([]*plan, n)
	for i := range plans {
		c.rng = requestRand(42, "user", uint64(i))
		plans[i] = c.drawPlan(-1, maxTokens, false, false)
	}
	return plans
}

// TestServedMeansMatchExample: over many draws with a fixed seed, the default profile serves
// the example's expected input and output means within 1 %, clipped to max_input_tokens and
// to the example's max_tokens; its cache hit rate within 4 standard deviations; its
// latencies with the example's median and p95.
func TestServedMeansMatchExample(t *testing.T) {
	cfg, _ := Profile("default")
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000
	for name, task := range exampleTasks(t) {
		x := task.Expect
		if x.InputTokens == 0 {
			continue
		}
		maxTokens := int64(0)
		if v, ok := task.Request.JSON["max_tokens"].(int); ok {
			maxTokens = int64(v)
		}
		for _, mt := range []int64{0, maxTokens} {
			plans := drawMany(t, s, task.Request.Path, n, mt)
			var in, out, hits float64
			var lat []float64
			for _, p := range plans {
				u := p.usage
				if u.TotalInput() > x.MaxInputTokens || (mt > 0 && u.Output > mt) {
					t.Fatalf("%s: %+v over max_input_tokens %d or max_tokens %d", name, u, x.MaxInputTokens, mt)
				}
				if u.CacheRead+u.CacheWrite() != x.CacheableTokens {
					t.Fatalf("%s: %+v does not read or write the %d cacheable tokens", name, u, x.CacheableTokens)
				}
				in += float64(u.TotalInput())
				out += float64(u.Output)
				if u.CacheRead > 0 {
					hits++
				}
				lat = append(lat, float64(p.latency))
			}
			in, out = in/n, out/n
			if math.Abs(in/float64(x.InputTokens)-1) > 0.01 {
				t.Errorf("%s (max_tokens %d): mean input %.1f, the example expects %d", name, mt, in, x.InputTokens)
			}
			if math.Abs(out/float64(x.OutputTokens)-1) > 0.01 {
				t.Errorf("%s (max_tokens %d): mean output %.1f, the example expects %d", name, mt, out, x.OutputTokens)
			}
			hit, _ := parseNumber(x.CacheHitRate)
			if sd := math.Sqrt(n * hit * (1 - hit)); math.Abs(hits-n*hit) > 4*sd {
				t.Errorf("%s: %v hits in %d, want %v ± %.0f", name, hits, n, n*hit, 4*sd)
			}
			slices.Sort(lat)
			med, p95 := lat[n/2], lat[n*95/100]
			wantMed := float64(mustDuration(t, x.Latency["median"]))
			wantP95 := float64(mustDuration(t, x.Latency["p95"]))
			if math.Abs(med/wantMed-1) > 0.03 || math.Abs(p95/wantP95-1) > 0.03 {
				t.Errorf("%s: latency median %v p95 %v, want %v %v", name, time.Duration(med),
					time.Duration(p95), time.Duration(wantMed), time.Duration(wantP95))
			}
		}
	}
}

func TestClippedMeanIsTheMean(t *testing.T) {
	tests := []struct {
		name      string
		mean      int64
		cv        float64
		cap       int64
		wantMean  float64
		wantConst bool
	}{
		{"no cap", 300, 0.25, 0, 300, false},
		{"far cap", 300, 0.25, 4096, 300, false},
		{"near cap", 300, 0.5, 350, 300, false},
		{"heavy tail", 200, 2, 1000, 200, false},
		{"mean at the cap", 500, 0.25, 500, 500, true},
		{"mean over the cap", 500, 0.25, 100, 100, true},
		{"no spread", 300, 0, 1000, 300, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTokenDist(tt.mean, tt.cv, tt.cap)
			if d.constant != tt.wantConst {
				t.Fatalf("constant %v", d.constant)
			}
			const n = 200_000
			sum := 0.0
			r := requestRand(1, tt.name, 0)
			for range n {
				v := d.draw(r)
				if tt.cap > 0 && v > tt.cap {
					t.Fatalf("draw %d over the cap %d", v, tt.cap)
				}
				sum += float64(v)
			}
			if got := sum / n; math.Abs(got/tt.wantMean-1) > 0.01 {
				t.Errorf("mean %.2f, want %v", got, tt.wantMean)
			}
		})
	}
}

// TestFaultDraws: each fault at its rate, within 4 standard deviations, over many draws.
func TestFaultDraws(t *testing.T) {
	f := Faults{Status500: 0.01, Status502: 0.02, Status503: 0.03, RateLimited: 0.04, Overloaded: 0.05,
		SlowBody: 0.06, StreamCut: 0.07, StreamError: 0.08, Reset: 0.09, InvalidJSON: 0.10}
	const n = 50_000
	var counts [faultInvalidJSON + 1]float64
	for i := range n {
		counts[f.draw(requestRand(9, "", uint64(i)))]++
	}
	rates := [...]float64{1 - 0.55, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10}
	for i, p := range rates {
		if sd := math.Sqrt(n * p * (1 - p)); math.Abs(counts[i]-n*p) > 4*sd {
			t.Errorf("fault %d: %v in %d draws, want %v ± %.0f", i, counts[i], n, n*p, 4*sd)
		}
	}
}

func TestLatencyMean(t *testing.T) {
	l := Latency{Median: time.Second, P95: 2 * time.Second}
	// σ = ln 2 / 1.6449 = 0.4214; mean = e^{σ²/2} s = 1.0930 s
	if got := l.Mean(); got < 1092*time.Millisecond || got > 1094*time.Millisecond {
		t.Errorf("mean %v", got)
	}
	if got := (Latency{Median: time.Second}).Mean(); got != time.Second {
		t.Errorf("constant latency mean %v", got)
	}
}
