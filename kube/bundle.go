package kube

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loadplan/loadplan/plan"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Bundle is a plan with the files the pods need: the plan as written and its data files.
type Bundle struct {
	Plan   *plan.Plan
	Source []byte     // the plan file as written, before any ${VAR} is expanded
	Data   []DataFile // in the plan's order, one per file
	// Env lists the variables the plan refers to; the pods read them from the Secret.
	Env []plan.EnvRef
}

// DataFile is one data file of the plan, as the pods see it.
type DataFile struct {
	Names   []string // the plan's names for it (data.NAME); two names may share a file
	Path    string   // relative to the plan's directory, with slashes
	Content []byte
}

// placeholder stands, while Pack checks the plan, for a variable that the plan needs and
// that is not set where loadplan k8s render runs: the pods get it from the Secret.
const placeholder = "loadplan-k8s-render-placeholder"

// Pack reads the plan at path and its data files, and checks the plan as loadplan validate
// would. A variable the plan needs that env does not set stands in as a placeholder for the
// check (the pods read it from the Secret); an error about such a value names the variable.
func Pack(path string, env plan.LookupEnv) (*Bundle, error) {
	if env == nil {
		env = os.LookupEnv
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load plan: %w", err)
	}
	refs, err := plan.EnvRefs(path, src)
	if err != nil {
		return nil, err
	}
	required := map[string]bool{}
	for _, r := range refs {
		required[r.Name] = r.Required
	}
	checkEnv := func(name string) (string, bool) {
		if v, ok := env(name); ok {
			return v, ok
		}
		if required[name] {
			return placeholder, true
		}
		return "", false
	}
	p, err := plan.Parse(path, src, plan.Options{Env: checkEnv})
	if err != nil {
		return nil, err
	}
	b := &Bundle{Plan: p, Source: src, Env: refs}
	var errs plan.Errors
	for _, f := range p.Data {
		if err := b.addData(f); err != nil {
			errs = append(errs, &plan.Error{File: p.File, Line: f.Pos.Line, Column: f.Pos.Column, Field: "data." + f.Name, Msg: err.Error()})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return b, nil
}

// addData adds the data file f, which the plan has read already, under its path relative to
// the plan's directory: the pods mount the plan's directory and nothing else.
func (b *Bundle) addData(f *plan.DataFile) error {
	for _, r := range b.Env {
		if slices.Contains(r.Fields, "data."+f.Name) {
			return fmt.Errorf("the path comes from ${%s}; the files are packed when the manifests are rendered, so write the path itself", r.Name)
		}
	}
	rel := filepath.Clean(f.Written)
	if filepath.IsAbs(f.Written) || !filepath.IsLocal(rel) {
		return fmt.Errorf("%s is outside the plan's directory; the pods see that directory only: move the file under %s and give its path relative to the plan", f.Written, b.Plan.Dir)
	}
	rel = filepath.ToSlash(rel)
	for i := range b.Data {
		if b.Data[i].Path == rel {
			b.Data[i].Names = append(b.Data[i].Names, f.Name)
			return nil
		}
	}
	content, err := os.ReadFile(f.Path)
	if err != nil {
		return fmt.Errorf("cannot read data file %s: %w", f.Path, unwrapPathErr(err))
	}
	b.Data = append(b.Data, DataFile{Names: []string{f.Name}, Path: rel, Content: content})
	return nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// planKey is the ConfigMap key (and file name) of the plan.
const planKey = "plan.yaml"

// configMapKey is the key of a data file: its path with each character that a key cannot
// hold (a slash, say) replaced by '_': data/prompts.jsonl is data_prompts.jsonl. (The plan's
// key, plan.yaml, is not a data file's: those end in .jsonl or .csv.)
func configMapKey(p string) (string, error) {
	key := strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, path.Clean(p))
	if msgs := validation.IsConfigMapKey(key); len(msgs) > 0 {
		return "", fmt.Errorf("data file %s: cannot be a ConfigMap key: %s", p, strings.Join(msgs, "; "))
	}
	return key, nil
}
