package calibration

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/loadplan/loadplan/plan"
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// MaxFileBytes bounds a calibration file: a few hundred bytes per request name.
const MaxFileBytes = 8 << 20

// Write writes c as YAML (Schema): one mapping per request name under tasks:.
func Write(w io.Writer, c *Calibration) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# What %d %s measured, per request name; give it to loadplan estimate or run with\n# --calibration FILE: it overrides each step's expect (means, cache hit rate, latency).\n", len(c.Runs), pluralRun(len(c.Runs)))
	b.WriteString("# Tokens per response with a usage report: input_tokens is the whole prompt (cached or\n# not), cacheable_tokens its cache read and writes. samples: responses with usage;\n# requests: responses timed (the latency sample).\n")
	fmt.Fprintf(&b, "version: 1\nschema: %s\nplan: %s\n", Schema, quote(c.Plan))
	fmt.Fprintf(&b, "runs: %s\n", list(c.Runs))
	b.WriteString("tasks:")
	if len(c.Steps) == 0 {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for _, s := range c.Steps {
		fmt.Fprintf(&b, "  %s:\n    requests: %d\n    samples: %d\n", quote(s.Name), s.Requests, s.Samples)
		for _, x := range []struct {
			key string
			t   *Tokens
		}{{"input_tokens", s.Prompt}, {"cacheable_tokens", s.Cacheable}, {"output_tokens", s.Output}} {
			if x.t == nil {
				continue
			}
			fmt.Fprintf(&b, "    %s: {mean: %s", x.key, x.t.Mean.String())
			for i, k := range QuantileKeys {
				fmt.Fprintf(&b, ", %s: %d", k, x.t.Quantiles[i])
			}
			b.WriteString("}\n")
		}
		if s.CacheHitRate != nil {
			fmt.Fprintf(&b, "    cache_hit_rate: %s\n", s.CacheHitRate.String())
		}
		for _, x := range []struct {
			key string
			d   *plan.Dist
		}{{"latency", s.Latency}, {"ttft", s.TTFT}} {
			if x.d != nil {
				fmt.Fprintf(&b, "    %s: {median: %s, p95: %s}\n", x.key, plan.FormatDuration(x.d.Median), plan.FormatDuration(x.d.P95))
			}
		}
	}
	if len(c.Unmatched) > 0 {
		fmt.Fprintf(&b, "unmatched: %s # measured, but not in the plan\n", list(c.Unmatched))
	}
	if len(c.NoData) > 0 {
		fmt.Fprintf(&b, "no_data: %s # in the plan, not measured: left as the plan says\n", list(c.NoData))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func pluralRun(n int) string {
	if n == 1 {
		return "run"
	}
	return "runs"
}

func quote(s string) string {
	b, _ := yaml.Marshal(s)
	return strings.TrimSpace(string(b))
}

func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Load reads a calibration file; its problems are located (file:line:col, field).
func Load(path string) (*Calibration, error) {
	f, err := inputfile.Open(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("load calibration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("load calibration %s: %w", path, err)
	}
	return Parse(path, data)
}

// decoder collects the problems of one file, located.
type decoder struct {
	file string
	errs plan.Errors
}

func (d *decoder) add(n *yaml.Node, field, format string, args ...any) {
	e := &plan.Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	if len(d.errs) < plan.MaxProblems {
		d.errs = append(d.errs, e)
	}
}

// mapping walks a mapping's keys, refusing those not in keys.
func (d *decoder) mapping(n *yaml.Node, field string, keys []string, f func(k string, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		d.add(n, field, "must be a mapping of %s", strings.Join(keys, ", "))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(field, k.Value)
		switch {
		case keys != nil && !slices.Contains(keys, k.Value):
			d.add(k, kp, "unknown key; valid: %s", strings.Join(keys, ", "))
		case seen[k.Value]:
			d.add(k, kp, "given twice")
		default:
			seen[k.Value] = true
			f(k.Value, v)
		}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func (d *decoder) scalar(n *yaml.Node, field, what string) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		d.add(n, field, "must be %s", what)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) count(n *yaml.Node, field string) int64 {
	s, ok := d.scalar(n, field, "a whole number")
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		d.add(n, field, "%q is not a whole number of 0 or more", s)
		return 0
	}
	return v
}

func (d *decoder) strings(n *yaml.Node, field string) []string {
	if n == nil || n.Kind != yaml.SequenceNode {
		d.add(n, field, "must be a list of names")
		return nil
	}
	var out []string
	for i, e := range n.Content {
		if s, ok := d.scalar(e, fmt.Sprintf("%s[%d]", field, i), "a name"); ok {
			out = append(out, s)
		}
	}
	return out
}

var (
	topKeys    = []string{"version", "schema", "plan", "runs", "tasks", "unmatched", "no_data"}
	stepKeys   = []string{"requests", "samples", "input_tokens", "cacheable_tokens", "output_tokens", "cache_hit_rate", "latency", "ttft"}
	tokenKeys  = append([]string{"mean"}, QuantileKeys...)
	latencyKey = []string{"median", "p95"}
)

// Parse decodes a calibration file's data; name is the file, for errors.
func Parse(name string, data []byte) (*Calibration, error) {
	d := &decoder{file: name}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, &plan.Error{File: name, Msg: "empty; a calibration is written by loadplan calibrate"}
	}
	c := &Calibration{File: name}
	hasTasks := false
	d.mapping(root.Content[0], "", topKeys, func(k string, v *yaml.Node) {
		switch k {
		case "version":
			if s, ok := d.scalar(v, k, "1"); ok && s != "1" {
				d.add(v, k, "%q is not a version this loadplan reads; valid: 1", s)
			}
		case "schema":
			if s, ok := d.scalar(v, k, Schema); ok && s != Schema {
				d.add(v, k, "%q is not a calibration; valid: %s (a file written by loadplan calibrate)", s, Schema)
			}
		case "plan":
			c.Plan, _ = d.scalar(v, k, "the plan's name")
		case "runs":
			c.Runs = d.strings(v, k)
		case "unmatched":
			c.Unmatched = d.strings(v, k)
		case "no_data":
			c.NoData = d.strings(v, k)
		case "tasks":
			hasTasks = true
			d.mapping(v, k, nil, func(name string, sv *yaml.Node) {
				c.Steps = append(c.Steps, d.step(name, sv))
			})
		}
	})
	if !hasTasks && len(d.errs) == 0 {
		d.add(root.Content[0], "tasks", "missing; a calibration has a tasks: mapping (written by loadplan calibrate)")
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return c, nil
}

func (d *decoder) step(name string, n *yaml.Node) Step {
	s := Step{Name: name, Line: n.Line, Column: n.Column}
	field := "tasks." + name
	d.mapping(n, field, stepKeys, func(k string, v *yaml.Node) {
		kp := join(field, k)
		switch k {
		case "requests":
			s.Requests = d.count(v, kp)
		case "samples":
			s.Samples = d.count(v, kp)
		case "input_tokens":
			s.Prompt = d.tokens(v, kp)
		case "cacheable_tokens":
			s.Cacheable = d.tokens(v, kp)
		case "output_tokens":
			s.Output = d.tokens(v, kp)
		case "cache_hit_rate":
			if t, ok := d.scalar(v, kp, "a share: 0.7 or 70%"); ok {
				r, err := plan.ParseRatio(t)
				if err != nil {
					d.add(v, kp, "%v", err)
				} else {
					s.CacheHitRate = &r
				}
			}
		case "latency":
			s.Latency = d.dist(v, kp)
		case "ttft":
			s.TTFT = d.dist(v, kp)
		}
	})
	if s.Cacheable != nil && s.Prompt != nil && s.Cacheable.Mean.GreaterThan(s.Prompt.Mean) {
		d.add(n, field+".cacheable_tokens", "mean %s is more than input_tokens' mean %s; the cacheable prefix is part of the prompt", s.Cacheable.Mean, s.Prompt.Mean)
	}
	return s
}

func (d *decoder) tokens(n *yaml.Node, field string) *Tokens {
	t := &Tokens{Quantiles: make([]int64, len(QuantileKeys))}
	given := map[string]bool{}
	d.mapping(n, field, tokenKeys, func(k string, v *yaml.Node) {
		given[k] = true
		kp := join(field, k)
		if k == "mean" {
			if s, ok := d.scalar(v, kp, "a number of tokens such as 1200 or 1399.5"); ok {
				m, err := plan.ParseTokens(s)
				if err != nil {
					d.add(v, kp, "%v", err)
				}
				t.Mean = m
			}
			return
		}
		t.Quantiles[slices.Index(QuantileKeys, k)] = d.count(v, kp)
	})
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for _, k := range tokenKeys {
		if !given[k] {
			d.add(n, join(field, k), "missing; give mean and %s (as loadplan calibrate writes them)", strings.Join(QuantileKeys, ", "))
			return nil
		}
	}
	for i := 1; i < len(t.Quantiles); i++ {
		if t.Quantiles[i] < t.Quantiles[i-1] {
			d.add(n, join(field, QuantileKeys[i]), "%d is less than %s %d; quantiles rise", t.Quantiles[i], QuantileKeys[i-1], t.Quantiles[i-1])
			return nil
		}
	}
	if t.Mean.LessThan(decimal.NewFromInt(t.Quantiles[0])) || t.Mean.GreaterThan(decimal.NewFromInt(t.Max())) {
		d.add(n, join(field, "mean"), "%s is outside [min %d, max %d]", t.Mean, t.Quantiles[0], t.Max())
		return nil
	}
	return t
}

func (d *decoder) dist(n *yaml.Node, field string) *plan.Dist {
	var ds plan.Dist
	d.mapping(n, field, latencyKey, func(k string, v *yaml.Node) {
		kp := join(field, k)
		s, ok := d.scalar(v, kp, "a duration such as 1.8s")
		if !ok {
			return
		}
		dur, err := plan.ParseDuration(s)
		if err != nil {
			d.add(v, kp, "%v", err)
			return
		}
		if k == "median" {
			ds.Median = dur
		} else {
			ds.P95 = dur
		}
	})
	if ds.P95 != 0 && ds.P95 < ds.Median {
		d.add(n, join(field, "p95"), "%s is less than the median %s", plan.FormatDuration(ds.P95), plan.FormatDuration(ds.Median))
	}
	return &ds
}
