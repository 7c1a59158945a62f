package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonpath"
)

func checkJSONPath(expr string) error {
	if _, err := jsonpath.Compile(expr); err != nil {
		return fmt.Errorf("%v; a JSONPath looks like $.usage.input_tokens or $.items[0].id", err)
	}
	return nil
}

var selectorRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{\s*([a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"[^"]*"\s*,?\s*)*\})?$`)

func checkSelector(s string) error {
	if !selectorRE.MatchString(strings.TrimSpace(s)) {
		return fmt.Errorf("%q is not a Prometheus selector; write name or name{label=\"value\"}", s)
	}
	return nil
}

// validate checks what spans several parts of the plan: weights, templates against data files
// and captures, hosts.
func validate(c *collector, p *Plan) {
	if p.Target == "" {
		c.add(pos{1, 1}, "target", "missing; give a base URL (http://localhost:8002) or mock:// for the embedded mock")
	}
	if len(p.Tasks) > 0 && p.TotalWeight() == 0 {
		c.add(p.Tasks[0].Pos, "tasks", "the weights add up to 0; give at least one task a weight of 1 or more")
	}
	for _, h := range p.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			c.add(pos{}, "allowed_hosts", "%q is not a host name; give names such as staging.internal", h)
		}
	}
	data := map[string]*DataFile{}
	for _, f := range p.Data {
		data[f.Name] = f
	}
	// Values captured in on_start are the user's for the whole run; values captured in a
	// task are the user's from then on.
	captured := map[string]bool{}
	for _, st := range p.OnStart {
		checkStep(c, st, "on_start", data, captured, true)
		for _, cp := range st.Capture {
			captured[cp.Name] = true
		}
	}
	everywhere := map[string]bool{}
	for _, t := range p.Tasks {
		for _, st := range t.Steps {
			for _, cp := range st.Capture {
				everywhere[cp.Name] = true
			}
		}
	}
	for k := range captured {
		everywhere[k] = true
	}
	for _, t := range p.Tasks {
		for _, st := range t.Steps {
			checkStep(c, st, "tasks."+t.Name, data, everywhere, false)
		}
	}
	for _, s := range p.Scenarios {
		if len(s.Stages) > 0 && s.TotalDuration() == 0 {
			c.add(s.Pos, "scenarios."+s.Name+".stages", "the stages last 0s in all; give them durations")
		}
		if s.MaxUsers() == 0 && !s.Open() && len(s.Stages) > 0 {
			c.add(s.Pos, "scenarios."+s.Name+".stages", "no stage has any users")
		}
	}
}

func checkStep(c *collector, st *Step, path string, data map[string]*DataFile, vars map[string]bool, strict bool) {
	st.Request.Strings(func(field, s string) {
		parts, err := ParseTemplate(s)
		if err != nil {
			c.add(st.Request.Pos, path+".request."+field, "%v", err)
			return
		}
		for _, p := range parts {
			switch p.Ref {
			case RefData:
				f := data[p.Name]
				if f == nil {
					names := sortedKeys(data)
					hint := "the plan has no data: section"
					if len(names) > 0 {
						hint = didYouMean(p.Name, names)
					}
					c.add(st.Request.Pos, path+".request."+field, "{{data.%s.%s}} names no data file; %s", p.Name, p.Field, hint)
				} else if len(f.Fields) > 0 && !contains(f.Fields, p.Field) {
					c.add(st.Request.Pos, path+".request."+field, "{{data.%s.%s}}: %s has no field %q; %s", p.Name, p.Field, f.Path, p.Field, didYouMean(p.Field, f.Fields))
				}
			case RefVar:
				if !vars[p.Name] {
					what := "never captured"
					if strict {
						what = "not captured by an earlier on_start step"
					}
					c.add(st.Request.Pos, path+".request."+field, "{{vars.%s}} is %s; add capture: {%s: $.path} to a step before it", p.Name, what, p.Name)
				}
			}
		}
	})
	if strings.HasPrefix(st.Request.Path, "http") {
		if _, err := url.Parse(st.Request.Path); err != nil {
			c.add(st.Request.Pos, path+".request.url", "not a URL: %v", err)
		}
	}
}
