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
		checkURLHost(c, p, st, "on_start")
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
			checkURLHost(c, p, st, "tasks."+t.Name)
			checkStep(c, st, "tasks."+t.Name, data, everywhere, false)
		}
	}
	validateMonitors(c, p)
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

// checkURLHost refuses a request url: whose host the plan does not allow. Loopback and the
// target's own host are always allowed.
func checkURLHost(c *collector, p *Plan, st *Step, path string) {
	if !strings.HasPrefix(st.Request.Path, "http") || strings.Contains(st.Request.Path, "{{") {
		return
	}
	u, err := url.Parse(st.Request.Path)
	if err != nil {
		return
	}
	if !HostAllowed(p, u.Hostname()) {
		c.add(st.Request.Pos, path+".request.url", "host %s is not allowed; add it to allowed_hosts (loopback and the target's host are always allowed)", u.Hostname())
	}
}

// HostAllowed reports whether requests may go to host: loopback, the plan's target host and
// its allowed_hosts.
func HostAllowed(p *Plan, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.") {
		return true
	}
	if t, err := url.Parse(p.Target); err == nil && strings.EqualFold(t.Hostname(), host) && host != "" {
		return true
	}
	for _, h := range p.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// RedactURL returns a URL fit to print: a password in it and the values of its query are
// replaced, since either may hold a key. Text that is not a URL is returned as "(a URL)" when
// it could hold one, else unchanged.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.Scheme == "mock" {
		return raw // the embedded mock: nothing secret
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		} else {
			u.User = url.User("xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
