package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// File is one file of manifests.
type File struct {
	Name    string
	Content []byte
}

// YAML is every object as one stream of YAML documents, for kubectl apply -f -.
func (m *Manifests) YAML() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(m.header())
	for i, o := range m.Objects {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := encode(o.Object)
		if err != nil {
			return nil, err
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// Files are the objects grouped by File, in the order they are best applied; kubectl apply
// -f DIR applies them in the order of their names, which works as well.
func (m *Manifests) Files() ([]File, error) {
	var files []File
	at := map[string]int{}
	for _, o := range m.Objects {
		y, err := encode(o.Object)
		if err != nil {
			return nil, err
		}
		i, ok := at[o.File]
		if !ok {
			i = len(files)
			at[o.File] = i
			files = append(files, File{Name: o.File, Content: []byte(m.header())})
		} else {
			files[i].Content = append(files[i].Content, "---\n"...)
		}
		files[i].Content = append(files[i].Content, y...)
	}
	return files, nil
}

// Header is how every rendered stream and file begins (a YAML comment): a tool may tell its
// own files by it.
const Header = "# loadplan run "

// header says, in a YAML comment, what the manifests are and what they need.
func (m *Manifests) header() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s, rendered by loadplan k8s render.\n", Header, m.RunID)
	if len(m.Env) > 0 {
		names := make([]string, len(m.Env))
		todo := "it may be left out (the plan has a default for each)"
		for i, r := range m.Env {
			names[i] = r.Name
			if !r.Required {
				names[i] += " (optional)"
			} else {
				todo = "create it first"
			}
		}
		fmt.Fprintf(&b, "# The pods read %s from Secret %s; %s.\n", strings.Join(names, ", "), m.Secret, todo)
	}
	return b.String()
}

// encode is an object's YAML, without the status that the API types carry (a Service's
// is not even empty): the cluster writes it.
func encode(obj runtime.Object) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", obj, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(j, &fields); err != nil {
		return nil, fmt.Errorf("encode %T: %w", obj, err)
	}
	if _, ok := fields["status"]; ok {
		delete(fields, "status")
		if j, err = json.Marshal(fields); err != nil {
			return nil, fmt.Errorf("encode %T: %w", obj, err)
		}
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", obj, err)
	}
	return y, nil
}
