package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

var scenarioKeys = []string{"users", "spawn_rate", "duration", "stages", "arrival_rate", "max_in_flight",
	"wait", "budget", "thresholds", "slo"}

func (d *decoder) scenario(e pair, p *Plan) *Scenario {
	name := e.k.Value
	path := "scenarios." + name
	s := &Scenario{Name: name, Pos: at(e.k), Wait: p.Wait, Budget: p.Budget}
	var own []Threshold
	var ownSLO SLO
	has := map[string]*yaml.Node{}
	if !d.fields(e.v, path, scenarioKeys, func(k string, v *yaml.Node) {
		kp := join(path, k)
		has[k] = v
		switch k {
		case "users":
			if u, ok := d.integer(v, kp, 1, MaxUsers); ok {
				s.Users = int(u)
			}
		case "spawn_rate":
			s.SpawnRate = d.spawnRate(v, kp)
		case "duration":
			s.Duration = d.duration(v, kp)
		case "stages":
			s.Stages = d.stages(v, kp)
		case "arrival_rate":
			if str, ok := d.scalar(v, kp, "a rate such as 30/s"); ok {
				r, err := ParseRate(str)
				if err != nil {
					d.add(at(v), kp, "%v", err)
				} else if r.PerSecond == 0 {
					d.add(at(v), kp, "must be more than 0, e.g. 30/s")
				}
				s.ArrivalRate = r
			}
		case "max_in_flight":
			if m, ok := d.integer(v, kp, 1, MaxInFlight); ok {
				s.MaxInFlight = int(m)
			}
		case "wait":
			s.Wait = d.wait(v, kp)
		case "budget":
			s.Budget = d.money(v, kp)
		case "thresholds":
			own = d.thresholds(v, kp, "scenario")
		case "slo":
			ownSLO = d.slo(v, kp)
		}
	}) {
		return nil
	}
	s.Thresholds = mergeThresholds(p.Thresholds, own)
	s.SLO = p.SLO.Override(ownSLO)
	where := at(e.k)
	switch {
	case has["arrival_rate"] != nil:
		for _, k := range []string{"users", "spawn_rate", "stages"} {
			if has[k] != nil {
				d.add(at(has[k]), join(path, k), "an open-model scenario (arrival_rate) has no %s; give users or arrival_rate, not both", k)
			}
		}
		if has["duration"] == nil {
			d.add(where, path+".duration", "missing; an arrival-rate scenario needs a duration, e.g. duration: 5m")
		}
		if has["wait"] != nil {
			d.add(at(has["wait"]), path+".wait", "an arrival-rate scenario does not wait: the rate paces it")
		}
		if s.MaxInFlight == 0 {
			s.MaxInFlight = DefaultMaxInFlight
		}
	case has["stages"] != nil:
		for _, k := range []string{"users", "spawn_rate", "duration", "max_in_flight"} {
			if has[k] != nil {
				d.add(at(has[k]), join(path, k), "a scenario with stages has no %s: each stage gives its duration and users", k)
			}
		}
	case has["users"] != nil:
		if has["duration"] == nil {
			d.add(where, path+".duration", "missing; give how long it runs, e.g. duration: 10m")
		}
		if has["max_in_flight"] != nil {
			d.add(at(has["max_in_flight"]), path+".max_in_flight", "only an arrival-rate scenario has max_in_flight; a closed one is bounded by its users")
		}
	default:
		d.add(where, path, "has no load; give users: N (closed model), stages: [...], or arrival_rate: 30/s (open model)")
	}
	scenarioDefaults(s, path, func(k string) bool { return has[k] != nil }, p.Wait.Set)
	return s
}

func (d *decoder) spawnRate(n *yaml.Node, path string) float64 {
	s, ok := d.scalar(n, path, "users started per second")
	if !ok {
		return 0
	}
	if strings.Contains(s, "/") {
		r, err := ParseRate(s)
		if err != nil {
			d.add(at(n), path, "%v", err)
		} else if r.PerSecond == 0 {
			d.add(at(n), path, "must be more than 0 users per second; leave it out to start all users at once")
		}
		return r.PerSecond
	}
	v, ok := d.number(n, path, MaxRate)
	if ok && v == 0 {
		d.add(at(n), path, "must be more than 0 users per second; leave it out to start all users at once")
	}
	return v
}

func (d *decoder) stages(n *yaml.Node, path string) []Stage {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.add(posOf(n), path, "must be a list of {duration: 2m, users: 100}")
		return nil
	}
	if len(n.Content) > MaxStages {
		d.add(at(n), path, "%d stages is too many; at most %d", len(n.Content), MaxStages)
		return nil
	}
	var out []Stage
	var total time.Duration
	for i, e := range n.Content {
		sp := fmt.Sprintf("%s[%d]", path, i)
		var st Stage
		hasDur, hasUsers := false, false
		d.fields(e, sp, []string{"duration", "users"}, func(k string, v *yaml.Node) {
			if k == "duration" {
				hasDur = true
				st.Duration = d.duration(v, join(sp, k))
			} else {
				hasUsers = true
				u, _ := d.integer(v, join(sp, k), 0, MaxUsers)
				st.Users = int(u)
			}
		})
		if !hasDur || !hasUsers {
			d.add(posOf(resolve(e)), sp, "a stage needs both duration and users")
		}
		if total <= MaxDuration { // each is at most MaxDuration: the sum stops before it overflows
			if total += st.Duration; total > MaxDuration {
				d.add(posOf(resolve(e)), sp, "the stages last more than a year in all; a scenario lasts at most %s", FormatDuration(MaxDuration))
			}
		}
		out = append(out, st)
	}
	return out
}

// mergeThresholds returns the plan's thresholds overridden, kind by kind, by a scenario's.
func mergeThresholds(planTh, own []Threshold) []Threshold {
	out := make([]Threshold, 0, len(planTh)+len(own))
	for _, t := range planTh {
		overridden := false
		for _, o := range own {
			overridden = overridden || o.Kind == t.Kind
		}
		if !overridden {
			out = append(out, t)
		}
	}
	return append(out, own...)
}

func (d *decoder) thresholds(n *yaml.Node, path, scope string) []Threshold {
	valid := make([]string, len(ThresholdKinds))
	for i, k := range ThresholdKinds {
		valid[i] = string(k)
	}
	for _, k := range MonitorThresholdKinds {
		valid = append(valid, string(k))
	}
	var out []Threshold
	d.fields(n, path, valid, func(k string, v *yaml.Node) {
		kp := join(path, k)
		if ThresholdKind(k).IsMonitor() {
			out = append(out, d.monitorThreshold(v, kp, scope, ThresholdKind(k))...)
			return
		}
		t := Threshold{Kind: ThresholdKind(k), Scope: scope, Pos: at(v)}
		limit := resolve(v)
		if limit != nil && limit.Kind == yaml.MappingNode {
			limit = nil
			d.fields(v, kp, []string{"limit", "abort_on_fail"}, func(lk string, lv *yaml.Node) {
				if lk == "limit" {
					limit = resolve(lv)
				} else {
					t.AbortOnFail = d.boolean(lv, join(kp, lk))
				}
			})
			if limit == nil {
				d.add(at(v), kp+".limit", "missing; the long form is {limit: 5s, abort_on_fail: true}")
				return
			}
			kp += ".limit"
		}
		s, ok := d.scalar(limit, kp, "a limit")
		if !ok {
			return
		}
		parsed, err := ParseThreshold(t.Kind, scope, s)
		if err != nil {
			d.add(at(limit), kp, "%v", err)
			return
		}
		parsed.AbortOnFail, parsed.Pos = t.AbortOnFail, t.Pos
		out = append(out, parsed)
	})
	return out
}

// ParseThreshold parses a threshold of kind k and scope ("plan", "scenario", "task:NAME")
// whose limit is written as in a plan ("5s", "1%", "0.7", "30/s", "30", "0.01"). Text keeps
// the limit in the plan's units; a bare rps limit is requests per second ("30" is "30/s").
// The thresholds of a saved summary are judged again with it (report merge).
func ParseThreshold(k ThresholdKind, scope, limit string) (Threshold, error) {
	t := Threshold{Kind: k, Scope: scope, Text: limit}
	var err error
	switch k {
	case ThP50, ThP90, ThP95, ThP99, ThTTFTP50, ThTTFTP95:
		t.Duration, err = ParseDuration(limit)
	case ThFailureRate, ThCacheHitRate, ThSLOAttainment, ThWastedCostShare:
		var r decimal.Decimal
		r, err = ParseRatio(limit)
		t.Ratio = r.InexactFloat64()
	case ThRPS, ThGoodput:
		if strings.Contains(limit, "/") {
			var r Rate
			r, err = ParseRate(limit)
			t.Ratio = r.PerSecond
		} else if t.Ratio, err = strconv.ParseFloat(limit, 64); err != nil || CheckRate(t.Ratio) != nil {
			err = fmt.Errorf("%q is not a rate; write requests per second (30) or with a unit (30/s, 1800/min), at most %d/s", limit, MaxRate)
		} else {
			t.Text = limit + "/s"
		}
	case ThCostPerRequest, ThTotalCost, ThCostPer1kGood:
		t.Money, err = ParseMoney(limit)
	default:
		err = fmt.Errorf("%q is not a threshold; valid: %s", k, thresholdKindList())
	}
	if err != nil {
		return Threshold{}, err
	}
	return t, nil
}

func thresholdKindList() string {
	names := make([]string, len(ThresholdKinds))
	for i, k := range ThresholdKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
