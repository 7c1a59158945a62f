package plan

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// rawCost is a cost rule as written at one level (defaults, task, step), before inheritance.
type rawCost struct {
	set   bool
	usage *UsageSource
	price *decimal.Decimal
	free  bool
	model string
	// modelPos and modelPath are where model: was written, for an unknown model's error.
	modelPos  pos
	modelPath string
	// bad: a cost key was given but its value is wrong (already reported): the request is
	// not also reported as saying nothing of its cost.
	bad  bool
	pos  pos
	path string
}

var costKeys = []string{"usage", "price", "model"}

func (d *decoder) costKey(c *rawCost, key string, v *yaml.Node, path string) {
	switch key {
	case "model":
		c.model = d.modelOrPrices(v, path)
		c.modelPos, c.modelPath = at(v), path
		return
	case "usage":
		c.usage = d.usageSource(v, path)
		c.bad = c.bad || c.usage == nil
	case "price":
		if s, ok := d.scalar(v, path, "an amount of USD per request, or free"); ok {
			if s == "free" {
				c.free = true
			} else if m, err := ParseMoney(s); err != nil {
				d.add(at(v), path, "%v; or write free", err)
				c.bad = true
			} else {
				c.price = &m
			}
		}
	}
	if c.usage != nil && (c.price != nil || c.free) {
		d.add(at(v), path, "give one of usage or price, not both: a request has one cost rule")
	}
	c.set, c.pos, c.path = true, at(v), path
}

// resolveCost picks the innermost rule that is set: step, then task (outer), then defaults.
func (d *decoder) resolveCost(inner *rawCost, outer rawCost, pl *Plan, p pos, path string) CostRule {
	model, modelPos, modelPath := pl.Model, pl.ModelPos, "pricing.model"
	for _, c := range []*rawCost{&outer, inner} {
		if c.model != "" {
			model, modelPos, modelPath = c.model, c.modelPos, c.modelPath
		}
	}
	var c *rawCost
	switch {
	case inner.usage != nil || inner.price != nil || inner.free:
		c = inner
	case outer.usage != nil || outer.price != nil || outer.free:
		c = &outer
	default:
		return CostRule{Kind: CostUnset, Pos: p, Model: model, Bad: inner.bad || outer.bad}
	}
	switch {
	case c.free:
		return CostRule{Kind: CostFree, Pos: c.pos}
	case c.price != nil:
		return CostRule{Kind: CostFlat, Price: *c.price, Pos: c.pos}
	default:
		if model == "" {
			d.add(c.pos, path, "priced by usage but no model is named; add pricing: {model: claude-sonnet-4-5} at the top or model: on the task (or its prices: {input: 3, output: 15}, USD per million tokens)")
		}
		return CostRule{Kind: CostUsage, Usage: *c.usage, Model: model, Pos: c.pos, ModelPos: modelPos, ModelField: modelPath}
	}
}

var usageBuckets = []string{"input", "output", "cache_read", "cache_write", "cache_write_1h"}

func (d *decoder) usageSource(n *yaml.Node, path string) *UsageSource {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		switch UsageKind(n.Value) {
		case UsageAnthropic, UsageOpenAI:
			return &UsageSource{Kind: UsageKind(n.Value)}
		}
		d.add(at(n), path, "%q is not a usage source; valid: anthropic, openai, {json: ...}, {headers: ...}, {prometheus: ...}", n.Value)
		return nil
	}
	var src *UsageSource
	d.fields(n, path, []string{"json", "headers", "prometheus"}, func(k string, v *yaml.Node) {
		if src != nil {
			d.add(at(v), join(path, k), "give one usage source")
			return
		}
		src = &UsageSource{Kind: UsageKind(k), Fields: map[string]string{}}
		keys := usageBuckets
		if k == "prometheus" {
			keys = append(append([]string{"path"}, usageBuckets[:4]...), "cost_usd")
			src.Path = "/metrics"
		}
		d.fields(v, join(path, k), keys, func(b string, v *yaml.Node) {
			s := d.str(v, join(join(path, k), b))
			if b == "path" {
				src.Path = s
				return
			}
			src.Fields[b] = s
			if k == "json" {
				if err := checkJSONPath(s); err != nil {
					d.add(at(v), join(join(path, k), b), "%v", err)
				}
			}
			if k == "prometheus" {
				if err := checkSelector(s); err != nil {
					d.add(at(v), join(join(path, k), b), "%v", err)
				}
			}
		})
		if len(src.Fields) == 0 {
			d.add(at(v), join(path, k), "names no field; give at least input and output")
		} else {
			d.requireOutput(src, at(v), join(path, k))
		}
	})
	return src
}

var (
	singleTaskKeys = []string{"weight", "request", "capture", "usage", "price", "model", "expect", "check", "retry", "thresholds", "slo"}
	sequenceKeys   = []string{"weight", "steps", "usage", "price", "model", "check", "retry", "thresholds", "slo"}
	stepKeys       = []string{"name", "request", "capture", "usage", "price", "model", "expect", "check", "retry"}
)

func (d *decoder) task(e pair, p *Plan, defaults rawCost) *Task {
	name := e.k.Value
	path := "tasks." + name
	t := &Task{Name: name, Weight: 1, Pos: at(e.k)}
	n := e.v
	if n == nil || n.Kind != yaml.MappingNode {
		d.add(posOf(n), path, "must be a mapping with request: (one request) or steps: (a sequence)")
		return nil
	}
	isSeq := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "steps" {
			isSeq = true
		}
	}
	if !isSeq {
		st := d.step(n, path, p, singleTaskKeys, defaults)
		if st == nil {
			return nil
		}
		st.Name = name
		t.Steps = []*Step{st}
		d.fields(n, path, singleTaskKeys, func(k string, v *yaml.Node) { d.taskKey(t, k, v, path) })
		return t
	}
	t.Sequence = true
	outer := defaults
	var steps *yaml.Node
	var shared struct {
		check *yaml.Node
		retry *yaml.Node
	}
	d.fields(n, path, sequenceKeys, func(k string, v *yaml.Node) {
		switch k {
		case "steps":
			steps = resolve(v)
		case "usage", "price", "model":
			d.costKey(&outer, k, v, join(path, k))
		case "check":
			shared.check = v
		case "retry":
			shared.retry = v
		default:
			d.taskKey(t, k, v, path)
		}
	})
	if steps == nil || steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		d.add(posOf(steps), path+".steps", "must be a list of one or more steps")
		return nil
	}
	names := map[string]bool{}
	for i, s := range steps.Content {
		sp := fmt.Sprintf("%s.steps[%d]", path, i)
		st := d.step(s, sp, p, nil, outer)
		if st == nil {
			continue
		}
		if st.Name == "" {
			st.Name = strconv.Itoa(i)
		}
		if names[st.Name] {
			d.add(st.Pos, sp+".name", "%q names another step of this task too; step names must differ", st.Name)
		}
		names[st.Name] = true
		st.Name = name + "." + st.Name
		if shared.check != nil && len(st.Check.Status) == 0 && len(st.Check.JSON) == 0 && st.Check.Contains == "" {
			st.Check = d.check(shared.check, path+".check")
		}
		if shared.retry != nil && st.Retry.Max == 0 {
			st.Retry = d.retry(shared.retry, path+".retry")
		}
		t.Steps = append(t.Steps, st)
	}
	return t
}

func (d *decoder) taskKey(t *Task, k string, v *yaml.Node, path string) {
	switch k {
	case "weight":
		if w, ok := d.integer(v, join(path, k), 0, MaxWeight); ok {
			t.Weight = int(w)
		}
	case "thresholds":
		t.Thresholds = d.thresholds(v, join(path, k), "task:"+t.Name)
	case "slo":
		t.SLO = d.slo(v, join(path, k))
	}
}

// step decodes one request with its capture, cost, expect, check and retry. taskKeys, when
// not nil, are the keys of a one-request task (whose other keys the caller handles).
func (d *decoder) step(n *yaml.Node, path string, p *Plan, taskKeys []string, outer rawCost) *Step {
	n = resolve(n)
	st := &Step{Pos: posOf(n)}
	keys := stepKeys
	if taskKeys != nil {
		keys = taskKeys
	}
	var own rawCost
	hasRequest := false
	given := map[string]bool{} // the expect keys written
	if !d.fields(n, path, keys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "name":
			st.Name = d.str(v, kp)
		case "request":
			hasRequest = true
			st.Request = d.request(v, kp)
		case "capture":
			for _, e := range d.entries(v, kp, "variable names to JSONPaths") {
				c := Capture{Name: e.k.Value, Path: d.str(e.v, join(kp, e.k.Value))}
				if err := checkJSONPath(c.Path); err != nil {
					d.add(posOf(e.v), join(kp, c.Name), "%v", err)
				}
				st.Capture = append(st.Capture, c)
			}
		case "usage", "price", "model":
			d.costKey(&own, k, v, kp)
		case "expect":
			st.Expect, given = d.expect(v, kp)
		case "check":
			st.Check = d.check(v, kp)
		case "retry":
			st.Retry = d.retry(v, kp)
		}
	}) {
		return nil
	}
	if !hasRequest && !d.typoOf(n, "request") {
		d.add(st.Pos, path, "has no request; add request: {method: POST, path: /api/...}")
		return nil
	}
	st.Cost = d.resolveCost(&own, outer, p, st.Pos, path)
	if st.Cost.Kind == CostUnset && !st.Cost.Bad && !d.typoOf(n, costKeys...) {
		d.add(st.Pos, path, "says nothing of its cost; add usage: anthropic|openai|{json|headers|prometheus: ...}, price: 0.003 or price: free (or defaults: {usage: ...}): an unknown cost is never zero")
	}
	d.stepDefaults(st, path, given)
	if st.Cost.Kind == CostUsage && !st.Expect.HasTokens && !d.typoOf(n, "expect") {
		d.add(st.Pos, path+".expect", "priced by usage but expects no tokens; add expect: {input_tokens: N, output_tokens: N} so that its cost can be estimated")
	}
	return st
}

var requestKeys = []string{"method", "path", "url", "query", "headers", "json", "body", "stream", "timeout", "follow_redirects"}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func (d *decoder) request(n *yaml.Node, path string) Request {
	r := Request{Method: "GET", Pos: posOf(resolve(n))}
	d.fields(n, path, requestKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "method":
			r.Method = strings.ToUpper(d.str(v, kp))
			if !contains(methods, r.Method) {
				d.add(at(v), kp, "%q is not an HTTP method; valid: %s", r.Method, strings.Join(methods, ", "))
			}
		case "path", "url":
			if r.Path != "" {
				d.add(at(v), kp, "give path or url, not both")
			}
			r.Path = d.str(v, kp)
			if k == "path" && !strings.HasPrefix(r.Path, "/") {
				d.add(at(v), kp, "%q must start with /; a full URL goes in url:", r.Path)
			}
			if k == "url" && !strings.HasPrefix(r.Path, "http://") && !strings.HasPrefix(r.Path, "https://") {
				d.add(at(v), kp, "%q is not an http:// or https:// URL", r.Path)
			}
		case "query":
			r.Query = d.headerList(v, kp, false)
		case "headers":
			r.Headers = d.headerList(v, kp, true)
		case "json":
			r.JSON = d.jsonValue(v, kp, 0)
			if m, ok := r.JSON.(map[string]any); ok {
				for _, key := range []string{"max_tokens", "max_completion_tokens"} {
					if num, ok := m[key].(json.Number); ok {
						if n, err := num.Int64(); err == nil && n > 0 {
							r.MaxTokens, r.MaxTokensPos = n, valuePos(v, key)
						}
					}
				}
			}
		case "body":
			r.Body = d.str(v, kp)
		case "stream":
			r.Stream = d.boolean(v, kp)
		case "timeout":
			r.Timeout = d.duration(v, kp)
		case "follow_redirects":
			r.NoFollow = !d.boolean(v, kp)
		}
	})
	if r.Path == "" {
		d.add(posOf(n), path, "has no path; add path: /api/...")
	}
	if r.JSON != nil && r.Body != "" {
		d.add(posOf(n), path, "give json or body, not both")
	}
	return r
}

var expectKeys = []string{"input_tokens", "cacheable_tokens", "cache_hit_rate", "cache_write_1h",
	"output_tokens", "max_input_tokens", "max_output_tokens", "latency", "ttft"}

// valuePos is where the value of key is written in the mapping n (zero when it is not).
func valuePos(n *yaml.Node, key string) Pos {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return Pos{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return at(n.Content[i+1])
		}
	}
	return Pos{}
}

// expect decodes a request's expect block; given holds the keys it writes.
func (d *decoder) expect(n *yaml.Node, path string) (e Expect, given map[string]bool) {
	e = Expect{Pos: posOf(resolve(n))}
	given = map[string]bool{}
	d.fields(n, path, expectKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		num := func() int64 { x, _ := d.integer(v, kp, 0, MaxTokens); return x }
		given[k] = true
		switch k {
		case "input_tokens":
			e.InputTokens, e.HasTokens = d.tokenMean(v, kp), true
		case "output_tokens":
			e.OutputTokens, e.HasTokens = d.tokenMean(v, kp), true
		case "cacheable_tokens":
			e.CacheableTokens, e.CacheableFrom = d.tokenMean(v, kp), Origin{Pos: at(v)}
		case "max_input_tokens":
			e.MaxInputTokens, e.MaxInputFrom = num(), Origin{Pos: at(v)}
		case "max_output_tokens":
			e.MaxOutputTokens, e.MaxOutputFrom = num(), Origin{Pos: at(v)}
		case "cache_hit_rate":
			e.CacheHitRate = d.ratio(v, kp)
		case "cache_write_1h":
			e.CacheWrite1h = d.ratio(v, kp)
		case "latency":
			e.Latency = d.dist(v, kp)
		case "ttft":
			e.TTFT = d.dist(v, kp)
		}
	})
	if e.CacheableTokens.GreaterThan(e.InputTokens) {
		d.add(e.Pos, join(path, "cacheable_tokens"), "%s is more than input_tokens (%s); the cacheable prefix is part of the prompt", e.CacheableTokens, e.InputTokens)
	}
	if e.MaxInputTokens != 0 && decimal.NewFromInt(e.MaxInputTokens).LessThan(e.InputTokens) {
		d.add(e.Pos, join(path, "max_input_tokens"), "%d is less than input_tokens (%s); a bound is at least the mean", e.MaxInputTokens, e.InputTokens)
	}
	if e.MaxOutputTokens != 0 && decimal.NewFromInt(e.MaxOutputTokens).LessThan(e.OutputTokens) {
		d.add(e.Pos, join(path, "max_output_tokens"), "%d is less than output_tokens (%s); a bound is at least the mean", e.MaxOutputTokens, e.OutputTokens)
	}
	return e, given
}

// tokenMean reads an expected token count: a mean, so a non-negative decimal such as 1200
// or 1399.5, exactly (never through a float).
func (d *decoder) tokenMean(n *yaml.Node, path string) decimal.Decimal {
	s, ok := d.scalar(n, path, "a number of tokens such as 1200 or 1399.5")
	if !ok || !d.unquoted(n, path, s) {
		return decimal.Decimal{}
	}
	v, err := ParseTokens(s)
	if err != nil {
		d.add(at(resolve(n)), path, "%v", err)
		return decimal.Decimal{}
	}
	if v.GreaterThan(decimal.NewFromInt(MaxTokens)) {
		d.add(at(resolve(n)), path, "%s is too large; the largest valid value is %d", s, MaxTokens)
		return decimal.Decimal{}
	}
	return v
}

func (d *decoder) dist(n *yaml.Node, path string) Dist {
	var ds Dist
	if s := resolve(n); s != nil && s.Kind == yaml.ScalarNode {
		ds.Median = d.duration(s, path)
		return ds
	}
	d.fields(n, path, []string{"median", "p95"}, func(k string, v *yaml.Node) {
		if k == "median" {
			ds.Median = d.duration(v, join(path, k))
		} else {
			ds.P95 = d.duration(v, join(path, k))
		}
	})
	if ds.P95 != 0 && ds.P95 < ds.Median {
		d.add(posOf(n), join(path, "p95"), "%s is less than the median %s", FormatDuration(ds.P95), FormatDuration(ds.Median))
	}
	return ds
}

func (d *decoder) check(n *yaml.Node, path string) Check {
	var c Check
	d.fields(n, path, []string{"status", "json", "contains"}, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "status":
			c.Status = d.intList(v, kp, 100, 599)
		case "contains":
			c.Contains = d.str(v, kp)
		case "json":
			for _, e := range d.entries(v, kp, "JSONPaths to exists, absent or a value") {
				jc := JSONCheck{Path: e.k.Value, Op: "equals"}
				if err := checkJSONPath(jc.Path); err != nil {
					d.add(at(e.k), join(kp, jc.Path), "%v", err)
				}
				if e.v == nil || e.v.Kind != yaml.ScalarNode {
					d.add(posOf(e.v), join(kp, jc.Path), "must be exists, absent or a value to equal")
					continue
				}
				switch e.v.Value {
				case "exists", "absent":
					jc.Op = e.v.Value
				default:
					jc.Equals = e.v.Value
				}
				c.JSON = append(c.JSON, jc)
			}
		}
	})
	return c
}

func (d *decoder) retry(n *yaml.Node, path string) Retry {
	r := Retry{Max: 1}
	d.fields(n, path, []string{"on", "max", "backoff"}, func(k string, v *yaml.Node) {
		kp := join(path, k)
		switch k {
		case "on":
			r.On = d.intList(v, kp, 100, 599)
		case "max":
			if m, ok := d.integer(v, kp, 0, MaxRetries); ok {
				r.Max = int(m)
			}
		case "backoff":
			r.Backoff = d.duration(v, kp)
		}
	})
	if len(r.On) == 0 {
		d.add(posOf(n), path+".on", "missing; say which statuses to retry, e.g. on: [429, 529]")
	}
	return r
}
