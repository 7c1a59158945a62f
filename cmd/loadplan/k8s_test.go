package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const k8sCanary = "sk-k8s-canary-51d0"

// k8sPlan writes a plan with a data file and a ${VAR} into a new directory.
func k8sPlan(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "prompts.jsonl"), []byte(`{"text": "hi"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `version: 1
name: k8s
target: http://127.0.0.1:9
headers: {Authorization: "Bearer ${API_KEY}"}
data: {prompts: data/prompts.jsonl}
tasks:
  t: {request: {method: POST, path: "/x", json: {m: "{{data.prompts.text}}"}}, price: free}
scenarios:
  peak: {users: 8, duration: 1m}
`
	p := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runK8s runs the CLI with API_KEY set to the canary.
func runK8s(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(name string) (string, bool) { return k8sCanary, name == "API_KEY" }
	code := MainIO(args, &IO{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut, Env: env})
	if strings.Contains(out.String()+errOut.String(), k8sCanary) {
		t.Errorf("%v printed the value of API_KEY", args)
	}
	return code, out.String(), errOut.String()
}

// TestNewCmdK8sRender checks the flags alone: what reaches the options.
func TestNewCmdK8sRender(t *testing.T) {
	t.Parallel()
	var got *k8sRenderOptions
	cmd := newCmdK8sRender(&IO{}, func(o *k8sRenderOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"plan.yaml", "-s", "peak", "--workers", "6", "--image", "img:1", "--redis", "redis://r:6379/0",
		"-n", "lt", "--run-id", "r1", "--secret", "keys", "--worker-limits", "cpu=2,memory=2Gi", "-o", "out", "--", "--budget", "3"})
	cmd.SetOut(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	k := got.kube
	if got.plan != "plan.yaml" || k.Scenario != "peak" || k.Workers != 6 || k.Image != "img:1" || k.Redis != "redis://r:6379/0" ||
		k.Namespace != "lt" || k.RunID != "r1" || k.Secret != "keys" || got.output != "out" {
		t.Errorf("options %+v, output %q", k, got.output)
	}
	if !slices.Equal(k.RunArgs, []string{"--budget", "3"}) {
		t.Errorf("run args %q", k.RunArgs)
	}
	if !reflect.DeepEqual(got.workerLimits, map[string]string{"cpu": "2", "memory": "2Gi"}) ||
		!reflect.DeepEqual(got.workerRequests, map[string]string{"cpu": "1", "memory": "256Mi"}) {
		t.Errorf("worker limits %v, requests %v (a flag given replaces its default, one not given keeps it)", got.workerLimits, got.workerRequests)
	}
}

func TestK8sRenderStdout(t *testing.T) {
	t.Parallel()
	p := k8sPlan(t)
	code, out, errOut := runK8s(t, "k8s", "render", p, "--workers", "3", "--image", "img:1", "-n", "lt", "--", "--budget", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"kind: ConfigMap", "kind: Deployment", "kind: Service", "completionMode: Indexed",
		"namespace: lt", "- --budget", "data_prompts.jsonl: |", "key: API_KEY"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	// What the user must do, on stderr: stdout goes to kubectl.
	if !strings.Contains(errOut, "kubectl -n lt create secret generic loadplan --from-literal=API_KEY=...") ||
		!strings.Contains(errOut, "labelled app.kubernetes.io/instance=loadplan-peak-") {
		t.Errorf("stderr does not say how to create the Secret:\n%s", errOut)
	}
	// Rendering again gives the same bytes.
	_, again, _ := runK8s(t, "k8s", "render", p, "--workers", "3", "--image", "img:1", "-n", "lt", "--", "--budget", "2")
	if again != out {
		t.Errorf("two renderings of the same inputs differ")
	}
}

func TestK8sRenderDir(t *testing.T) {
	t.Parallel()
	p := k8sPlan(t)
	dir := filepath.Join(t.TempDir(), "manifests")
	list := func() []string {
		es, _ := os.ReadDir(dir)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	if code, _, errOut := runK8s(t, "k8s", "render", p, "--workers", "2", "--image", "img:1", "-o", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := list(); !slices.Equal(got, []string{"configmap.yaml", "coordinator.yaml", "redis.yaml", "workers.yaml"}) {
		t.Errorf("files %v", got)
	}
	// Rendered again with a ledger of its own: the old Redis must not stay to be applied.
	if code, _, errOut := runK8s(t, "k8s", "render", p, "--workers", "2", "--image", "img:1", "-o", dir, "--redis", "redis://r:6379/0"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := list(); !slices.Equal(got, []string{"configmap.yaml", "coordinator.yaml", "workers.yaml"}) {
		t.Errorf("files %v after a rendering without Redis", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("kind: Pod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runK8s(t, "k8s", "render", p, "--workers", "2", "--image", "img:1", "-o", dir)
	if code != exitUsage || !strings.Contains(errOut, "holds mine.yaml, which loadplan did not write") {
		t.Errorf("a directory with a file of the user's: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "mine.yaml")); err != nil {
		t.Errorf("the user's file: %v", err)
	}
}

func TestK8sRenderBadInput(t *testing.T) {
	t.Parallel()
	p := k8sPlan(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: x\ntarget: http://127.0.0.1:9\ntasks: {t: {request: {path: /}, price: free}}\nscenarios: {s: {users: 1, duratio: 1s}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{p, "--image", "i"}, "--workers: give the number of worker pods"},
		{[]string{p, "--workers", "2"}, "--image: give the loadplan image"},
		{[]string{p, "--workers", "2", "--image", "i", "-s", "nope"}, `has no scenario "nope"`},
		{[]string{p, "--workers", "2", "--image", "i", "--worker-requests", "cpu=lots"}, "--worker-requests: cpu=lots is not a quantity"},
		{[]string{p, "--workers", "2", "--image", "i", "--redis", "redis://:" + k8sCanary + "@r:6379/0"}, "REDIS_PASSWORD"},
		{[]string{p, "--workers", "2", "--image", "i", "--", "--run-id", "x"}, "--run-id is set by the manifests"},
		{[]string{p, "other.yaml", "--workers", "2", "--image", "i"}, "give one plan file"},
		{[]string{bad, "--workers", "2", "--image", "i"}, "bad.yaml:5:"},
	} {
		code, out, errOut := runK8s(t, append([]string{"k8s", "render"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want exit 2 and %q", tc.args, code, len(out), errOut, tc.want)
		}
	}
}

func TestK8sUnknownCommand(t *testing.T) {
	t.Parallel()
	code, _, errOut := runK8s(t, "k8s", "apply")
	if code != exitUsage || !strings.Contains(errOut, `unknown command "apply" for loadplan k8s; valid: render`) {
		t.Errorf("exit %d, %s", code, errOut)
	}
}
