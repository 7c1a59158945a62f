package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in every scalar of the tree with the
// environment's value, in place, so that positions are kept. "$${" is a literal "${". A
// variable that is not set and has no default is an error that names it; values are never
// printed, since they are often secrets.
func expandEnv(c *collector, n *yaml.Node, env LookupEnv) {
	walkScalars(n, func(n *yaml.Node, path string) {
		if !strings.Contains(n.Value, "${") {
			return
		}
		v, missing, used := expand(n.Value, env)
		for _, ev := range used {
			if c.fromEnv == nil {
				c.fromEnv = map[pos][]envValue{}
			}
			c.fromEnv[at(n)] = append(c.fromEnv[at(n)], ev)
		}
		for _, name := range missing {
			c.add(at(n), path, "environment variable %s is not set; set it, or give a default: ${%s:-value}", name, name)
		}
		if n.Value != v {
			n.Value = v
			if n.Style == 0 && n.Tag != "!!str" {
				// A plain scalar that held a reference is retyped from what it became
				// (budget: ${BUDGET:-5} is a number).
				var probe yaml.Node
				if yaml.Unmarshal([]byte(v), &probe) == nil && len(probe.Content) == 1 && probe.Content[0].Kind == yaml.ScalarNode {
					n.Tag = probe.Content[0].Tag
				} else {
					n.Tag = "!!str"
				}
			}
		}
	})
}

// walkScalars calls f with every scalar value of the tree (mapping keys are not values) and
// the path of the field it belongs to; each node once.
func walkScalars(n *yaml.Node, f func(n *yaml.Node, path string)) {
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, e := range n.Content {
				walk(e, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], join(path, n.Content[i].Value))
			}
		case yaml.ScalarNode:
			f(n, path)
		}
	}
	walk(n, "")
}

// EnvRef is an environment variable that a plan refers to with ${NAME}.
type EnvRef struct {
	Name string
	// Required: some reference has no default (${NAME}, not ${NAME:-value}), so loading the
	// plan fails when the variable is not set.
	Required bool
	Fields   []string // the fields that refer to it, in file order (headers.Authorization)
}

// EnvRefs lists the environment variables that the plan text data refers to, sorted by name,
// without reading any of them: for a caller that must say which variables a run needs (a
// Kubernetes Secret's keys) and never handle their values. name is the file name for errors.
// It reads references exactly where Parse expands them.
func EnvRefs(name string, data []byte) (refs []EnvRef, err error) {
	defer func() {
		if r := recover(); r != nil {
			refs, err = nil, Errors{&Error{File: name, Msg: fmt.Sprintf("cannot read the file as YAML: %v", r)}}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	byName := map[string]*EnvRef{}
	walkScalars(&doc, func(n *yaml.Node, path string) {
		if !strings.Contains(n.Value, "${") {
			return
		}
		var names []string
		// An environment in which nothing is set: expand reports the references without a
		// default as missing, and no value is ever looked up.
		_, missing, _ := expand(n.Value, func(name string) (string, bool) {
			names = append(names, name)
			return "", false
		})
		for _, nm := range names {
			r := byName[nm]
			if r == nil {
				r = &EnvRef{Name: nm}
				byName[nm] = r
			}
			if !slices.Contains(r.Fields, path) {
				r.Fields = append(r.Fields, path)
			}
		}
		for _, nm := range missing {
			byName[nm].Required = true
		}
	})
	for _, r := range byName {
		refs = append(refs, *r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Name < refs[j].Name })
	return refs, nil
}

// expand substitutes references in s; it returns the names that are not set, and the values
// taken from the environment.
func expand(s string, env LookupEnv) (string, []string, []envValue) {
	var b strings.Builder
	var missing []string
	var used []envValue
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		ref := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(ref, ":-")
		if v, ok := env(name); ok && (v != "" || !hasDef) {
			b.WriteString(v)
			if v != "" {
				used = append(used, envValue{name, v})
			}
		} else if hasDef {
			b.WriteString(def)
		} else {
			missing = append(missing, name)
		}
		s = s[i+end+1:]
	}
	return b.String(), missing, used
}
