package plan

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in every scalar of the tree with the
// environment's value, in place, so that positions are kept. "$${" is a literal "${". A
// variable that is not set and has no default is an error that names it; values are never
// printed, since they are often secrets.
func expandEnv(c *collector, n *yaml.Node, env LookupEnv) {
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
		}
	}
	walk(n, "")
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
