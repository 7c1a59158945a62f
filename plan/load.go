package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// LookupEnv reads an environment variable; tests and callers may replace it.
type LookupEnv func(name string) (string, bool)

// Options change how a plan is loaded.
type Options struct {
	Env LookupEnv // nil: os.LookupEnv
}

// MaxFileBytes bounds a plan file. Plans are written by hand: a few kilobytes, a few hundred
// with long prompts inline; the bound keeps a wrong path (a log, a dump) from taking the
// memory of the YAML parser, which holds about 50 times the file's size.
const MaxFileBytes = 4 << 20

// Load reads, expands and validates the plan at path. Every problem is reported at once: the
// error is an Errors value whose items name the file, line, column and field. A path that is
// not a regular file (a device, a FIFO) or a file over MaxFileBytes is refused unread.
func Load(path string, opts Options) (*Plan, error) {
	data, _, err := inputfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("load plan: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse validates a plan held in memory; name is the file name used in errors, and relative
// data paths are resolved against its directory.
func Parse(name string, data []byte, opts Options) (p *Plan, err error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	defer func() {
		// The YAML library is not ours; a panic there must still be a located error.
		if r := recover(); r != nil {
			p, err = nil, Errors{&Error{File: name, Msg: fmt.Sprintf("cannot read the file as YAML: %v", r)}}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{&Error{File: name, Line: 1, Column: 1, Msg: "the file is empty; a plan starts with version: 1"}}
		}
		if e := tabError(name, data, err); e != nil {
			return nil, Errors{e}
		}
		return nil, Errors{yamlError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{&Error{File: name, Line: extra.Line, Column: extra.Column, Msg: "a plan is one YAML document; remove the second one (---)"}}
	}
	c := &collector{file: name}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d := &decoder{collector: c}
	if !d.checkAliases(root) {
		return nil, c.err()
	}
	expandEnv(c, root, opts.Env)
	p = &Plan{File: name, Dir: filepath.Dir(name)}
	d.plan(root, p)
	p.Prices = d.prices
	validate(c, p)
	if err := c.err(); err != nil {
		return nil, err
	}
	p.Warnings = usageWarnings(name, p)
	p.Secrets = c.env
	markSecretHeaders(p, c.env)
	return p, nil
}

// tabError explains a YAML syntax error caused by a tab in a line's indentation (YAML
// indents with spaces only; the parser says "found character that cannot start any
// token"): the first such line up to the one the parser names, and the tab's column. Nil
// when no indentation before the error has a tab.
func tabError(file string, data []byte, err error) *Error {
	last := 0 // the line the parser names; 0: none named, look everywhere
	fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &last)
	for i, line := range strings.Split(string(data), "\n") {
		if last > 0 && i+1 > last {
			break
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if col := strings.IndexByte(indent, '\t'); col >= 0 {
			return &Error{File: file, Line: i + 1, Column: col + 1, Msg: "a tab; indent YAML with spaces"}
		}
	}
	return nil
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into a located Error.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	e := &Error{File: file, Msg: "invalid YAML: " + msg}
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		e.Line, e.Column = line, 1
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			e.Msg = "invalid YAML: " + rest
		}
	}
	return e
}

var planKeys = []string{"version", "name", "seed", "target", "allowed_hosts", "headers", "pricing",
	"budget", "rate_limit", "defaults", "wait", "data", "on_start", "tasks", "scenarios", "thresholds", "slo", "monitor"}

func (d *decoder) plan(n *yaml.Node, p *Plan) {
	var tasks, scenarios, onStart, thresholds *yaml.Node
	var defaults rawCost
	hasVersion := false
	if !d.fields(n, "", planKeys, func(key string, v *yaml.Node) {
		switch key {
		case "version":
			hasVersion = true
			if ver, ok := d.integer(v, key, 0, math.MaxInt64); ok {
				if ver != Version {
					d.add(at(v), key, "version %d is not supported; this loadplan reads version: %d", ver, Version)
				}
				p.Version = int(ver)
			}
		case "name":
			p.Name = d.str(v, key)
		case "seed":
			if s, ok := d.integer(v, key, 0, math.MaxInt64); ok {
				u := uint64(s)
				p.Seed = &u
			}
		case "target":
			p.Target = d.str(v, key)
			d.checkTarget(v, key, p.Target)
		case "allowed_hosts":
			p.AllowedHosts = d.stringList(v, key)
		case "headers":
			p.Headers = d.headerList(v, key, true)
		case "pricing":
			d.pricingKey(v, p)
		case "budget":
			p.Budget = d.money(v, key)
		case "rate_limit":
			d.fields(v, key, []string{"rpm", "tpm", "itpm", "otpm", "cache_reads_count"}, func(k string, v *yaml.Node) {
				switch k {
				case "rpm":
					p.RateLimit.RPM, _ = d.integer(v, join(key, k), 1, MaxRPM)
				case "tpm":
					p.RateLimit.TPM, _ = d.integer(v, join(key, k), 1, MaxTPM)
				case "itpm":
					p.RateLimit.ITPM, _ = d.integer(v, join(key, k), 1, MaxTPM)
				case "otpm":
					p.RateLimit.OTPM, _ = d.integer(v, join(key, k), 1, MaxTPM)
				default:
					p.RateLimit.CacheReadsCount = d.boolean(v, join(key, k))
				}
			})
		case "defaults":
			d.fields(v, key, []string{"usage", "price", "model", "timeout"}, func(k string, v *yaml.Node) {
				if k == "timeout" {
					p.Defaults.Timeout = d.duration(v, join(key, k))
					return
				}
				d.costKey(&defaults, k, v, join(key, k))
			})
		case "wait":
			p.Wait = d.wait(v, key)
		case "data":
			for _, e := range d.entries(v, key, "names to data files") {
				f := &DataFile{Name: e.k.Value, Pos: at(e.k)}
				f.Path = d.str(e.v, join(key, e.k.Value))
				f.Written = f.Path
				p.Data = append(p.Data, f)
				if f.Path != "" {
					d.loadData(f, p.Dir, e.v, join(key, f.Name))
				}
			}
		case "on_start":
			onStart = v
		case "tasks":
			tasks = v
		case "scenarios":
			scenarios = v
		case "thresholds":
			thresholds = v
		case "slo":
			p.SLO = d.slo(v, key)
		case "monitor":
			p.Monitors = d.monitors(v, key)
		}
	}) {
		return
	}
	if !hasVersion {
		d.add(at(n), "version", "missing; a plan starts with version: %d", Version)
	}
	if defaults.set {
		rule := d.resolveCost(&defaults, rawCost{}, p, at(n), "defaults")
		p.Defaults.Cost = &rule
	}
	if thresholds != nil {
		p.Thresholds = d.thresholds(thresholds, "thresholds", "plan")
	}
	if onStart != nil {
		on := resolve(onStart)
		if on == nil || on.Kind != yaml.SequenceNode {
			d.add(posOf(on), "on_start", "must be a list of steps")
		} else {
			for i, s := range on.Content {
				path := fmt.Sprintf("on_start[%d]", i)
				st := d.step(s, path, p, nil, defaults)
				if st == nil {
					continue
				}
				if st.Name == "" {
					st.Name = fmt.Sprint(i)
				}
				st.Name = "on_start." + st.Name
				p.OnStart = append(p.OnStart, st)
			}
		}
	}
	if tasks == nil {
		d.add(at(n), "tasks", "missing; a plan needs at least one task")
	} else {
		for _, e := range d.entries(tasks, "tasks", "task names to tasks") {
			if t := d.task(e, p, defaults); t != nil {
				p.Tasks = append(p.Tasks, t)
			}
		}
		if len(p.Tasks) == 0 && resolve(tasks).Kind == yaml.MappingNode {
			d.add(at(tasks), "tasks", "empty; a plan needs at least one task")
		}
	}
	if scenarios == nil {
		d.add(at(n), "scenarios", "missing; a plan needs at least one scenario, e.g. smoke: {users: 10, duration: 30s}")
	} else {
		for _, e := range d.entries(scenarios, "scenarios", "scenario names to scenarios") {
			if s := d.scenario(e, p); s != nil {
				p.Scenarios = append(p.Scenarios, s)
			}
		}
	}
	nameAssumed(p)
}

func (d *decoder) checkTarget(n *yaml.Node, path, target string) {
	if target == "" {
		d.add(at(n), path, "empty; give a base URL (http://localhost:8002) or mock://")
		return
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") && !strings.HasPrefix(target, "mock://") {
		d.add(at(n), path, "%q is not a base URL; valid: http://HOST[:PORT], https://HOST[:PORT], mock://, mock://?profile=NAME, mock://?config=FILE", target)
	}
}

func (d *decoder) money(n *yaml.Node, path string) *decimal.Decimal {
	s, ok := d.scalar(n, path, "an amount of USD")
	if !ok {
		return nil
	}
	m, err := ParseMoney(s)
	if err != nil {
		d.add(at(n), path, "%v", err)
		return nil
	}
	return &m
}

func (d *decoder) duration(n *yaml.Node, path string) time.Duration {
	s, ok := d.scalar(n, path, "a duration such as 30s")
	if !ok {
		return 0
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.add(at(n), path, "%v", err)
	}
	return v
}

func (d *decoder) ratio(n *yaml.Node, path string) decimal.Decimal {
	s, ok := d.scalar(n, path, "a share such as 70% or 0.7")
	if !ok {
		return decimal.Decimal{}
	}
	v, err := ParseRatio(s)
	if err != nil {
		d.add(at(n), path, "%v", err)
	}
	return v
}

func (d *decoder) wait(n *yaml.Node, path string) Wait {
	w := Wait{Set: true}
	count := 0
	d.fields(n, path, []string{"constant", "between", "pacing"}, func(k string, v *yaml.Node) {
		count++
		p := join(path, k)
		switch k {
		case "constant":
			w.Kind, w.Min = WaitConstant, d.duration(v, p)
			w.Max = w.Min
		case "pacing":
			w.Kind, w.Min = WaitPacing, d.duration(v, p)
			w.Max = w.Min
			if w.Min == 0 {
				d.add(at(v), p, "must be more than 0s; for no wait leave wait out")
			}
		case "between":
			w.Kind = WaitBetween
			v = resolve(v)
			if v == nil || v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
				d.add(posOf(v), p, "must be two durations, [least, most], e.g. [1s, 3s]")
				return
			}
			w.Min = d.duration(v.Content[0], p+"[0]")
			w.Max = d.duration(v.Content[1], p+"[1]")
			if w.Max < w.Min {
				d.add(at(v), p, "the most (%s) is less than the least (%s)", FormatDuration(w.Max), FormatDuration(w.Min))
			}
		}
	})
	if count > 1 {
		d.add(at(n), path, "give one of constant, between or pacing")
	}
	return w
}
