package kube

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/internal/golden"
	"github.com/loadplan/loadplan/plan"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// canary is in the value of every variable the test plan refers to: it must appear in no
// output.
const canary = "sk-canary-7f3e9c1d"

func canaryEnv(name string) (string, bool) {
	if name == "TARGET" {
		return "http://" + canary + ".internal:9", true
	}
	return canary, true
}

const testPlan = "testdata/plan/plan.yaml"

// run is a rendering decoded back, strictly, into the API types.
type run struct {
	configMaps  []*corev1.ConfigMap
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	jobs        map[string]*batchv1.Job // by component: coordinator, worker
	all         []metav1.Object
}

// decodeStrict splits a YAML stream into documents and decodes each into the type its kind
// names, failing on any field the type does not have (or a field given twice).
func decodeStrict(t *testing.T, stream []byte) *run {
	t.Helper()
	r := &run{jobs: map[string]*batchv1.Job{}}
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%v in\n%s", err, doc)
		}
		var obj metav1.Object
		var job *batchv1.Job
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			o := &corev1.ConfigMap{}
			r.configMaps, obj = append(r.configMaps, o), o
		case "v1 Service":
			o := &corev1.Service{}
			r.services, obj = append(r.services, o), o
		case "apps/v1 Deployment":
			o := &appsv1.Deployment{}
			r.deployments, obj = append(r.deployments, o), o
		case "batch/v1 Job":
			job = &batchv1.Job{}
			obj = job
		default:
			t.Fatalf("unexpected object %s %s", tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("strict decoding of a %s: %v", tm.Kind, err)
		}
		if job != nil {
			r.jobs[job.Labels["app.kubernetes.io/component"]] = job
		}
		r.all = append(r.all, obj)
	}
	return r
}

// render packs the test plan with env, renders it with o and decodes the YAML back.
func render(t *testing.T, env func(string) (string, bool), o Options) (*Manifests, []byte, *run) {
	t.Helper()
	b, err := Pack(testPlan, env)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Render(b, o)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	return m, y, decodeStrict(t, y)
}

func baseOptions() Options {
	return Options{Scenario: "Smoke_Test", Workers: 4, Image: "ghcr.io/loadplan/loadplan:1.0"}
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	_, y, _ := render(t, canaryEnv, baseOptions())
	golden.Check(t, "render.golden.yaml", y, *update)
}

// TestRenderVariants decodes every object of several renderings strictly and checks what
// holds in all of them: valid names, labels, keys; the ledger URL; the namespace.
func TestRenderVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*Options)
	}{
		{"own redis", func(*Options) {}},
		{"external redis", func(o *Options) { o.Redis = "rediss://ledger.example.internal:6380/2" }},
		{"namespace", func(o *Options) { o.Namespace = "load-tests" }},
		{"report claim and run args", func(o *Options) { o.ReportClaim = "reports"; o.RunArgs = []string{"--budget", "1.50"} }},
		{"open scenario, one worker", func(o *Options) { o.Scenario, o.Workers = "steady", 1 }},
		{"run id", func(o *Options) { o.RunID = "nightly-42" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions()
			tc.edit(&o)
			m, y, r := render(t, canaryEnv, o)
			if bytes.Contains(y, []byte(canary)) {
				t.Fatalf("a value of the environment is in the manifests")
			}
			if len(r.configMaps) != 1 || len(r.jobs) != 2 {
				t.Fatalf("%d ConfigMaps, jobs %v", len(r.configMaps), r.jobs)
			}
			// Redis objects exactly when no --redis is given.
			wantRedis := 1
			if o.Redis != "" {
				wantRedis = 0
			}
			if len(r.services) != wantRedis || len(r.deployments) != wantRedis {
				t.Errorf("redis %q: %d Services, %d Deployments; want %d each", o.Redis, len(r.services), len(r.deployments), wantRedis)
			}
			if o.RunID != "" && m.RunID != o.RunID {
				t.Errorf("run ID %q, want %q", m.RunID, o.RunID)
			}
			base := "loadplan-" + m.RunID
			for _, obj := range r.all {
				checkMeta(t, obj, base, o.Namespace)
			}
			ledger := o.Redis
			if ledger == "" {
				svc := r.services[0]
				ledger = "redis://" + svc.Name + ":6379/0"
				if svc.Spec.Ports[0].Port != 6379 {
					t.Errorf("service port %d", svc.Spec.Ports[0].Port)
				}
				dep := r.deployments[0]
				if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
					t.Errorf("the Service's selector %v does not pick Redis's pods %v", svc.Spec.Selector, dep.Spec.Template.Labels)
				}
				sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
				if err != nil || !sel.Matches(labels.Set(dep.Spec.Template.Labels)) {
					t.Errorf("the Deployment's selector does not pick its pods: %v", err)
				}
				if dep.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort != 6379 {
					t.Errorf("redis listens on %v", dep.Spec.Template.Spec.Containers[0].Ports)
				}
			}
			coord, workers := r.jobs["coordinator"], r.jobs["worker"]
			wantCoord := []string{"run", "/etc/loadplan/plan.yaml", "--scenario", o.Scenario, "--ledger", ledger,
				"--run-id", m.RunID, "--expect-workers", strconv.Itoa(o.Workers)}
			if o.ReportClaim != "" {
				wantCoord = append(wantCoord, "--json", "/reports/"+m.RunID+".json", "--html", "/reports/"+m.RunID+".html")
			}
			wantCoord = append(wantCoord, o.RunArgs...)
			c := coord.Spec.Template.Spec.Containers[0]
			if !slices.Equal(c.Command, []string{"loadplan"}) || !slices.Equal(c.Args, wantCoord) {
				t.Errorf("coordinator runs %q %q,\nwant loadplan %q", c.Command, c.Args, wantCoord)
			}
			w := workers.Spec.Template.Spec.Containers[0]
			wantWorker := []string{"worker", "--ledger", ledger, "--run", m.RunID, "--index", "$(JOB_COMPLETION_INDEX)"}
			if !slices.Equal(w.Args, wantWorker) {
				t.Errorf("worker runs %q, want %q", w.Args, wantWorker)
			}
			for _, j := range []*batchv1.Job{coord, workers} {
				spec := j.Spec.Template.Spec
				checkPlanMount(t, r.configMaps[0], spec)
				if got := len(spec.InitContainers); got != wantRedis {
					t.Errorf("%s: %d init containers; want one that waits for the run's Redis exactly when it has one", j.Name, got)
				}
				if spec.RestartPolicy != corev1.RestartPolicyNever || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
					t.Errorf("%s: restart policy %q, service account token %v", j.Name, spec.RestartPolicy, spec.AutomountServiceAccountToken)
				}
				if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
					t.Errorf("%s: may run as root", j.Name)
				}
			}
			hasClaim := slices.ContainsFunc(coord.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
				return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == o.ReportClaim
			})
			if hasClaim != (o.ReportClaim != "") {
				t.Errorf("report claim %q mounted: %v", o.ReportClaim, hasClaim)
			}
			// -o DIR: the same objects, grouped in files.
			files, err := m.Files()
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			n := 0
			for _, f := range files {
				names = append(names, f.Name)
				n += len(decodeStrict(t, f.Content).all)
			}
			if n != len(r.all) {
				t.Errorf("files %v hold %d objects, the stream %d", names, n, len(r.all))
			}
		})
	}
}

// checkMeta: a valid name under the run's prefix, the namespace asked for, and the same
// recommended labels on every object and pod template.
func checkMeta(t *testing.T, obj metav1.Object, base, namespace string) {
	t.Helper()
	name := obj.GetName()
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || !strings.HasPrefix(name, base+"-") {
		t.Errorf("name %q: %v (want a DNS label under %s-)", name, msgs, base)
	}
	if obj.GetNamespace() != namespace {
		t.Errorf("%s: namespace %q, want %q", name, obj.GetNamespace(), namespace)
	}
	want := map[string]string{"app.kubernetes.io/name": "loadplan", "app.kubernetes.io/instance": base, "app.kubernetes.io/managed-by": "loadplan"}
	check := func(where string, l map[string]string) {
		for k, v := range want {
			if l[k] != v {
				t.Errorf("%s %s: label %s=%q, want %q", name, where, k, l[k], v)
			}
		}
		if l["app.kubernetes.io/component"] == "" {
			t.Errorf("%s %s: no component label", name, where)
		}
		for k, v := range l {
			if msgs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(msgs) > 0 {
				t.Errorf("%s %s: label %s=%s: %v", name, where, k, v, msgs)
			}
		}
	}
	check("metadata", obj.GetLabels())
	var tpl *corev1.PodTemplateSpec
	switch o := obj.(type) {
	case *batchv1.Job:
		tpl = &o.Spec.Template
	case *appsv1.Deployment:
		tpl = &o.Spec.Template
	}
	if tpl != nil {
		check("pod template", tpl.Labels)
		if tpl.Labels["app.kubernetes.io/component"] != obj.GetLabels()["app.kubernetes.io/component"] {
			t.Errorf("%s: the pods' component %q differs from the object's", name, tpl.Labels["app.kubernetes.io/component"])
		}
	}
}

// checkPlanMount: the pod mounts the ConfigMap as the plan's directory, every key of it at
// the path the plan gives, and the loadplan container runs there.
func checkPlanMount(t *testing.T, cm *corev1.ConfigMap, spec corev1.PodSpec) {
	t.Helper()
	c := spec.Containers[0]
	i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.ConfigMap != nil && v.ConfigMap.Name == cm.Name })
	if i < 0 {
		t.Fatalf("no volume of ConfigMap %s", cm.Name)
	}
	vol := spec.Volumes[i]
	paths := map[string]string{}
	for _, it := range vol.ConfigMap.Items {
		if _, ok := cm.Data[it.Key]; !ok {
			t.Errorf("volume item %s: no such key in the ConfigMap", it.Key)
		}
		paths[it.Key] = it.Path
	}
	if len(paths) != len(cm.Data)+len(cm.BinaryData) {
		t.Errorf("the volume projects %d keys of %d", len(paths), len(cm.Data)+len(cm.BinaryData))
	}
	want := map[string]string{"plan.yaml": "plan.yaml", "data_prompts.jsonl": "data/prompts.jsonl", "users.csv": "users.csv"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("volume items %v, want %v", paths, want)
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == vol.Name && m.MountPath == "/etc/loadplan" && m.ReadOnly && m.SubPath == ""
	})
	if !mounted || c.WorkingDir != "/etc/loadplan" {
		t.Errorf("mounts %v, working dir %q", c.VolumeMounts, c.WorkingDir)
	}
}

func TestConfigMapHoldsThePlanAndItsData(t *testing.T) {
	t.Parallel()
	_, _, r := render(t, canaryEnv, baseOptions())
	cm := r.configMaps[0]
	for key, file := range map[string]string{"plan.yaml": "plan.yaml", "data_prompts.jsonl": "data/prompts.jsonl", "users.csv": "users.csv"} {
		want, err := os.ReadFile(filepath.Join("testdata/plan", file))
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data[key] != string(want) {
			t.Errorf("key %s holds %q, want the file %s as written:\n%s", key, cm.Data[key], file, want)
		}
	}
	if len(cm.Data) != 3 || len(cm.BinaryData) != 0 {
		t.Errorf("keys %v, binary %v: want plan.yaml and two data files (two names share one)", keys(cm.Data), cm.BinaryData)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestWorkersAreAnIndexedJob(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 3, 9} {
		o := baseOptions()
		o.Workers = n
		_, _, r := render(t, canaryEnv, o)
		j := r.jobs["worker"].Spec
		if j.CompletionMode == nil || *j.CompletionMode != batchv1.IndexedCompletion {
			t.Errorf("workers=%d: completion mode %v, want Indexed", n, j.CompletionMode)
		}
		if j.Parallelism == nil || *j.Parallelism != int32(n) || j.Completions == nil || *j.Completions != int32(n) {
			t.Errorf("workers=%d: parallelism %v, completions %v", n, j.Parallelism, j.Completions)
		}
		// A lost worker is not restarted, and does not fail the others.
		if j.BackoffLimitPerIndex == nil || *j.BackoffLimitPerIndex != 0 || j.BackoffLimit != nil {
			t.Errorf("workers=%d: backoffLimitPerIndex %v, backoffLimit %v", n, j.BackoffLimitPerIndex, j.BackoffLimit)
		}
		c := j.Template.Spec.Containers[0]
		// The index reaches the command line: $(JOB_COMPLETION_INDEX) is expanded by the
		// kubelet only from a variable the container declares.
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "JOB_COMPLETION_INDEX" })
		if i < 0 {
			t.Fatalf("workers=%d: JOB_COMPLETION_INDEX not in the container's env: %v", n, c.Env)
		}
		if ref := c.Env[i].ValueFrom; ref == nil || ref.FieldRef == nil || ref.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			t.Errorf("JOB_COMPLETION_INDEX from %+v, want the pod's completion index annotation", c.Env[i].ValueFrom)
		}
		if k := slices.Index(c.Args, "--index"); k < 0 || c.Args[k+1] != "$(JOB_COMPLETION_INDEX)" {
			t.Errorf("worker args %q: no --index $(JOB_COMPLETION_INDEX)", c.Args)
		}
		coord := r.jobs["coordinator"].Spec
		if coord.BackoffLimit == nil || *coord.BackoffLimit != 0 || *coord.Completions != 1 || *coord.Parallelism != 1 {
			t.Errorf("coordinator: backoff %v completions %v parallelism %v; want one attempt, one pod", coord.BackoffLimit, coord.Completions, coord.Parallelism)
		}
		spread := j.Template.Spec.TopologySpreadConstraints
		if len(spread) != 1 || !labels.SelectorFromSet(spread[0].LabelSelector.MatchLabels).Matches(labels.Set(j.Template.Labels)) {
			t.Errorf("workers are not spread over nodes by their own labels: %+v", spread)
		}
	}
}

// TestSecretsAreReferencedNeverCopied: each ${VAR} of the plan is a key of the Secret, optional
// when the plan gives it a default; no value of the environment is in any output, nor in an
// error.
func TestSecretsAreReferencedNeverCopied(t *testing.T) {
	t.Parallel()
	o := baseOptions()
	o.Secret = "staging-keys"
	m, y, r := render(t, canaryEnv, o)
	if bytes.Contains(y, []byte(canary)) {
		t.Fatal("a value of the environment is in the manifests")
	}
	want := []corev1.EnvVar{
		{Name: "API_KEY", ValueFrom: secretRef("staging-keys", "API_KEY", false)},
		{Name: "TARGET", ValueFrom: secretRef("staging-keys", "TARGET", true)},
	}
	for _, j := range r.jobs {
		env := j.Spec.Template.Spec.Containers[0].Env
		env = slices.DeleteFunc(slices.Clone(env), func(e corev1.EnvVar) bool { return e.Name == "JOB_COMPLETION_INDEX" })
		if !reflect.DeepEqual(env, want) {
			t.Errorf("%s env %+v,\nwant %+v", j.Name, env, want)
		}
	}
	if names := []string{m.Env[0].Name, m.Env[1].Name}; len(m.Env) != 2 || !slices.Equal(names, []string{"API_KEY", "TARGET"}) {
		t.Errorf("Manifests.Env %+v", m.Env)
	}
	if !strings.Contains(string(y), "# The pods read API_KEY, TARGET (optional) from Secret staging-keys") {
		t.Errorf("the header does not say what the Secret holds:\n%s", y[:200])
	}
	// A ledger outside the run: its password comes from the Secret too, never from the URL.
	o.Redis = "redis://ledger:6379/0"
	_, _, r = render(t, canaryEnv, o)
	env := r.jobs["worker"].Spec.Template.Spec.Containers[0].Env
	if !slices.ContainsFunc(env, func(e corev1.EnvVar) bool {
		return e.Name == "REDIS_PASSWORD" && reflect.DeepEqual(e.ValueFrom, secretRef("staging-keys", "REDIS_PASSWORD", true))
	}) {
		t.Errorf("no optional REDIS_PASSWORD from the Secret: %+v", env)
	}
	b, err := Pack(testPlan, canaryEnv)
	if err != nil {
		t.Fatal(err)
	}
	o.Redis = "redis://:" + canary + "@ledger:6379/0"
	_, err = Render(b, o)
	if err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "REDIS_PASSWORD") {
		t.Errorf("a password in --redis: error %v; want a refusal that points to REDIS_PASSWORD and does not repeat it", err)
	}
}

func secretRef(secret, key string, optional bool) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key, Optional: &optional}}
}

// TestPackWithoutTheSecrets: the machine that renders need not hold the secrets; a value
// that is missing there and wrong for its field is reported by name, never by the stand-in.
func TestPackWithoutTheSecrets(t *testing.T) {
	t.Parallel()
	none := func(string) (string, bool) { return "", false }
	if _, err := Pack(testPlan, none); err != nil {
		t.Errorf("API_KEY unset: %v", err)
	}
	dir := t.TempDir()
	src := "version: 1\nname: x\ntarget: ${TARGET}\npricing: {model: claude-sonnet-4-5}\n" +
		"tasks: {t: {request: {method: GET, path: /}, price: free}}\nscenarios: {s: {users: 1, duration: 1s}}\n"
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Pack(filepath.Join(dir, "plan.yaml"), none)
	if err == nil || !strings.Contains(err.Error(), "${TARGET}") || strings.Contains(err.Error(), placeholder) {
		t.Errorf("target from an unset ${TARGET}: error %v; want one that names ${TARGET}", err)
	}
}

func TestResources(t *testing.T) {
	t.Parallel()
	_, _, r := render(t, canaryEnv, baseOptions())
	d := DefaultResources()
	if got := r.jobs["worker"].Spec.Template.Spec.Containers[0].Resources; !equalResources(got, *d.Worker) {
		t.Errorf("worker resources %v, want the defaults %v", got.String(), d.Worker.String())
	}
	if _, ok := d.Worker.Limits[corev1.ResourceCPU]; ok {
		t.Errorf("a default CPU limit on the workers throttles the load generator")
	}
	if got := r.jobs["coordinator"].Spec.Template.Spec.Containers[0].Resources; !equalResources(got, *d.Coordinator) {
		t.Errorf("coordinator resources %v, want %v", got.String(), d.Coordinator.String())
	}
	redis := r.deployments[0].Spec.Template.Spec.Containers[0]
	if !equalResources(redis.Resources, *d.Redis) {
		t.Errorf("redis resources %v", redis.Resources.String())
	}
	// 256Mi × 3/4 = 201326592 bytes; no eviction.
	if k := slices.Index(redis.Args, "--maxmemory"); k < 0 || redis.Args[k+1] != "201326592" || !slices.Contains(redis.Args, "noeviction") {
		t.Errorf("redis args %q", redis.Args)
	}

	o := baseOptions()
	o.Resources.Worker = &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("2Gi")},
	}
	o.Resources.Redis = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
	_, _, r = render(t, canaryEnv, o)
	if got := r.jobs["worker"].Spec.Template.Spec.Containers[0].Resources; !equalResources(got, *o.Resources.Worker) {
		t.Errorf("worker resources %v, want %v", got.String(), o.Resources.Worker.String())
	}
	redis = r.deployments[0].Spec.Template.Spec.Containers[0]
	if k := slices.Index(redis.Args, "--maxmemory"); k < 0 || redis.Args[k+1] != "805306368" { // 1Gi × 3/4
		t.Errorf("redis args %q", redis.Args)
	}

	o.Resources.Worker = &corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
	b, _ := Pack(testPlan, canaryEnv)
	if _, err := Render(b, o); err == nil || !strings.Contains(err.Error(), "worker resources: the memory request 2Gi is more than its limit 1Gi") {
		t.Errorf("request over limit: %v", err)
	}
}

// equalResources compares quantities as quantities (1000m and 1 are the same).
func equalResources(a, b corev1.ResourceRequirements) bool {
	same := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if p, ok := y[k]; !ok || q.Cmp(p) != 0 {
				return false
			}
		}
		return true
	}
	return same(a.Requests, b.Requests) && same(a.Limits, b.Limits)
}

func TestRunID(t *testing.T) {
	t.Parallel()
	id := func(edit func(*Options)) string {
		t.Helper()
		b, err := Pack(testPlan, canaryEnv)
		if err != nil {
			t.Fatal(err)
		}
		o := baseOptions()
		edit(&o)
		m, err := Render(b, o)
		if err != nil {
			t.Fatal(err)
		}
		return m.RunID
	}
	a := id(func(*Options) {})
	if a != id(func(*Options) {}) {
		t.Errorf("the same inputs give two run IDs")
	}
	if !strings.HasPrefix(a, "smoke-test-") || len(a) != len("smoke-test-")+8 {
		t.Errorf("run ID %q; want smoke-test- and 8 hex digits", a)
	}
	for name, edit := range map[string]func(*Options){
		"workers":  func(o *Options) { o.Workers++ },
		"image":    func(o *Options) { o.Image += "-rc1" },
		"redis":    func(o *Options) { o.Redis = "redis://r:6379/0" },
		"run args": func(o *Options) { o.RunArgs = []string{"--budget", "1"} },
	} {
		if b := id(edit); b == a {
			t.Errorf("another %s, the same run ID %s", name, a)
		}
	}
	if got := slug("Ünïcode  scénario__X", 20); got != "n-code-sc-nario-x" {
		t.Errorf("slug %q", got)
	}
	if got := slug("___", 20); got != "run" {
		t.Errorf("slug of nothing usable %q", got)
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	b, err := Pack(testPlan, canaryEnv)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no such scenario", func(o *Options) { o.Scenario = "nope" }, `has no scenario "nope"; its scenarios: Smoke_Test, steady`},
		{"no workers", func(o *Options) { o.Workers = 0 }, "workers: 0; give at least 1"},
		{"no image", func(o *Options) { o.Image = "" }, "image: empty"},
		{"bad namespace", func(o *Options) { o.Namespace = "Load_Tests" }, `namespace "Load_Tests"`},
		{"bad run id", func(o *Options) { o.RunID = "Nightly" }, `run ID "Nightly"`},
		{"long run id", func(o *Options) { o.RunID = strings.Repeat("a", 31) }, "at most 30"},
		{"not redis", func(o *Options) { o.Redis = "http://ledger:6379" }, "redis: not a Redis URL"},
		{"flag set by the manifests", func(o *Options) { o.RunArgs = []string{"--ledger=redis://x:1/0"} }, "--ledger is set by the manifests"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := baseOptions()
			tc.edit(&o)
			_, err := Render(b, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestPackRefusesDataOutsideThePlan(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "plans")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rows := []byte(`{"text": "x"}` + "\n")
	for _, f := range []string{filepath.Join(root, "shared.jsonl"), filepath.Join(dir, "big.jsonl")} {
		if err := os.WriteFile(f, rows, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan := func(data string) string {
		p := filepath.Join(dir, "plan.yaml")
		src := "version: 1\nname: x\ntarget: http://127.0.0.1:9\npricing: {model: claude-sonnet-4-5}\ndata: {" + data + "}\n" +
			"tasks: {t: {request: {method: GET, path: /}, price: free}}\nscenarios: {s: {users: 1, duration: 1s}}\n"
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(name string) (string, bool) { return map[string]string{"DATA": "big.jsonl"}[name], name == "DATA" }
	for data, want := range map[string]string{
		"rows: ../shared.jsonl":                        "plan.yaml:5:8: data.rows: ../shared.jsonl is outside the plan's directory",
		"rows: " + filepath.Join(root, "shared.jsonl"): "is outside the plan's directory",
		"rows: " + filepath.Join(dir, "big.jsonl"):     "is outside the plan's directory", // absolute, though inside
		"rows: \"${DATA}\"":                            "data.rows: the path comes from ${DATA}",
	} {
		_, err := Pack(plan(data), env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("data {%s}: error %v, want %q", data, err, want)
		}
	}
}

func TestConfigMapSizeLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var rows bytes.Buffer
	for rows.Len() <= maxConfigMapBytes {
		rows.WriteString(`{"text": "` + strings.Repeat("x", 1000) + `"}` + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "rows.jsonl"), rows.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "version: 1\nname: x\ntarget: http://127.0.0.1:9\npricing: {model: claude-sonnet-4-5}\ndata: {rows: rows.jsonl}\n" +
		"tasks: {t: {request: {method: GET, path: /}, price: free}}\nscenarios: {s: {users: 1, duration: 1s}}\n"
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Pack(filepath.Join(dir, "plan.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(b, Options{Scenario: "s", Workers: 1, Image: "i"})
	if err == nil || !strings.Contains(err.Error(), "a ConfigMap holds at most 1048576 (1 MiB)") {
		t.Errorf("error %v", err)
	}
}

func TestWarnsOfIdleWorkers(t *testing.T) {
	t.Parallel()
	m, _, _ := render(t, canaryEnv, baseOptions()) // 2 users, 4 workers
	if len(m.Warnings) != 1 || m.Warnings[0] != "scenario Smoke_Test has at most 2 users for 4 workers: 2 workers will have no user" {
		t.Errorf("warnings %q", m.Warnings)
	}
	o := baseOptions()
	o.Scenario = "steady" // an arrival rate splits over any number of workers
	if m, _, _ = render(t, canaryEnv, o); len(m.Warnings) != 0 {
		t.Errorf("warnings %q", m.Warnings)
	}
}

func TestParseResourceList(t *testing.T) {
	t.Parallel()
	l, err := ParseResourceList("--worker-requests", map[string]string{"cpu": "1500m", "memory": "1Gi"})
	if err != nil {
		t.Fatal(err)
	}
	if q := l[corev1.ResourceCPU]; q.MilliValue() != 1500 {
		t.Errorf("cpu %v", q.String())
	}
	if q := l[corev1.ResourceMemory]; q.Value() != 1<<30 {
		t.Errorf("memory %v", q.String())
	}
	if !reflect.DeepEqual(FormatResourceList(l), map[string]string{"cpu": "1500m", "memory": "1Gi"}) {
		t.Errorf("formatted %v", FormatResourceList(l))
	}
	_, err = ParseResourceList("--worker-limits", map[string]string{"gpu": "1", "memory": "lots", "cpu": "-1"})
	for _, want := range []string{`--worker-limits: unknown resource "gpu"; valid: cpu, memory, ephemeral-storage`,
		"--worker-limits: memory=lots is not a quantity", "--worker-limits: cpu=-1 is not a quantity"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
}

// TestThePodsLoadThePlan lays the ConfigMap out as the pods' volume does (each item at its
// path under the mount) and loads the plan from there, as loadplan run does in the pod: the
// data files are where the plan looks for them.
func TestThePodsLoadThePlan(t *testing.T) {
	t.Parallel()
	_, _, r := render(t, canaryEnv, baseOptions())
	cm := r.configMaps[0]
	spec := r.jobs["coordinator"].Spec.Template.Spec
	mount := t.TempDir()
	for _, v := range spec.Volumes {
		if v.ConfigMap == nil || v.ConfigMap.Name != cm.Name {
			continue
		}
		for _, it := range v.ConfigMap.Items {
			p := filepath.Join(mount, filepath.FromSlash(it.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(cm.Data[it.Key]), 0o444); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := spec.Containers[0].Args
	if args[1] != "/etc/loadplan/plan.yaml" || spec.Containers[0].VolumeMounts[0].MountPath != "/etc/loadplan" {
		t.Fatalf("the coordinator loads %s from a mount at %s", args[1], spec.Containers[0].VolumeMounts[0].MountPath)
	}
	p, err := plan.Load(filepath.Join(mount, "plan.yaml"), plan.Options{Env: canaryEnv})
	if err != nil {
		t.Fatalf("the plan as the pods see it: %v", err)
	}
	rows := map[string]int{}
	for _, d := range p.Data {
		rows[d.Name] = len(d.Rows)
	}
	if !reflect.DeepEqual(rows, map[string]int{"prompts": 2, "users": 2, "again": 2}) {
		t.Errorf("data rows in the pod %v", rows)
	}
}
