package plan

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const withRefs = `version: 1
name: t
target: ${TARGET}
headers:
  Authorization: "Bearer ${API_KEY}"
  X-Team: "${TEAM:-core} ${TEAM}"
  X-Literal: "$${NOT_A_REF}"
pricing: {model: claude-sonnet-4-5}
budget: ${BUDGET:-5}
tasks:
  chat:
    request: {method: POST, path: "/chat/${API_KEY}", json: {max_tokens: 100}}
    usage: anthropic
    expect: {input_tokens: 100, output_tokens: 10}
scenarios:
  s: {users: 1, duration: 10s}
`

func TestEnvRefs(t *testing.T) {
	t.Parallel()
	refs, err := EnvRefs("plan.yaml", []byte(withRefs))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvRef{
		{Name: "API_KEY", Required: true, Fields: []string{"headers.Authorization", "tasks.chat.request.path"}},
		{Name: "BUDGET", Fields: []string{"budget"}},
		{Name: "TARGET", Required: true, Fields: []string{"target"}},
		// One reference with a default and one without: loading needs it.
		{Name: "TEAM", Required: true, Fields: []string{"headers.X-Team"}},
	}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("EnvRefs:\n got %+v\nwant %+v", refs, want)
	}
}

// TestEnvRefsAgreeWithParse: the variables EnvRefs calls required are exactly those whose
// absence Parse reports, and setting them is enough to load the plan.
func TestEnvRefsAgreeWithParse(t *testing.T) {
	t.Parallel()
	refs, err := EnvRefs("plan.yaml", []byte(withRefs))
	if err != nil {
		t.Fatal(err)
	}
	_, err = parse(t, withRefs)
	for _, r := range refs {
		reported := err != nil && strings.Contains(err.Error(), "environment variable "+r.Name+" is not set")
		if reported != r.Required {
			t.Errorf("%s: EnvRefs says required %v, Parse reports it missing: %v", r.Name, r.Required, reported)
		}
	}
	set := map[string]string{"TARGET": "http://127.0.0.1:9"}
	for _, r := range refs {
		if r.Required && set[r.Name] == "" {
			set[r.Name] = "x"
		}
	}
	env := func(name string) (string, bool) { v, ok := set[name]; return v, ok }
	if _, err := Parse(filepath.Join(t.TempDir(), "plan.yaml"), []byte(withRefs), Options{Env: env}); err != nil {
		t.Errorf("with every required variable set: %v", err)
	}
}

func TestEnvRefsBadYAML(t *testing.T) {
	t.Parallel()
	_, err := EnvRefs("plan.yaml", []byte("version: 1\n  bad: [\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "plan.yaml:") {
		t.Errorf("error %v, want one located in plan.yaml", err)
	}
}

func TestDataFileWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "abs.jsonl")
	for _, f := range []string{filepath.Join(dir, "data", "rel.jsonl"), abs} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(`{"text": "hi"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := strings.Replace(minimal, "tasks:", "data: {rel: data/rel.jsonl, abs: "+abs+"}\ntasks:", 1)
	p, err := Parse(filepath.Join(dir, "plan.yaml"), []byte(src), Options{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Data[0]; got.Written != "data/rel.jsonl" || got.Path != filepath.Join(dir, "data", "rel.jsonl") {
		t.Errorf("rel: written %q, path %q", got.Written, got.Path)
	}
	if got := p.Data[1]; got.Written != abs || got.Path != abs {
		t.Errorf("abs: written %q, path %q", got.Written, got.Path)
	}
}
