package kube

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loadplan/loadplan/plan"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options.
const (
	DefaultSecret     = "loadplan"
	DefaultRedisImage = "redis:7.4-alpine"
)

// Where the pods see things.
const (
	planDir   = "/etc/loadplan" // the ConfigMap, mounted read-only
	planPath  = planDir + "/" + planKey
	redisPort = 6379
	// nonRootUID is the user the pods run as: the Dockerfile's (distroless's "nonroot").
	nonRootUID = 65532
	// redisUID is the redis user of the official Redis images.
	redisUID = 999
	// maxRunID keeps every name within 63 characters: loadplan-ID-coordinator, and the
	// workers' pod host names, loadplan-ID-worker-INDEX.
	maxRunID = 30
	// maxConfigMapBytes is what Kubernetes accepts in one ConfigMap.
	maxConfigMapBytes = 1 << 20
)

// Options say what to render.
type Options struct {
	Scenario  string // required: the scenario the coordinator runs
	Workers   int    // worker pods, at least 1
	Image     string // a loadplan image (the repository's Dockerfile builds one)
	Redis     string // the ledger, redis:// or rediss://; "" renders a Redis Deployment and Service
	Namespace string // "" leaves it to kubectl's context
	// RunID names the run in the ledger and in every object's name; "" derives one from the
	// inputs, so that rendering the same thing twice gives the same manifests.
	RunID      string
	Secret     string // the Secret the pods read the plan's ${VAR}s from; "" is DefaultSecret
	RedisImage string // "" is DefaultRedisImage
	// ReportClaim, when set, is a PersistentVolumeClaim mounted in the coordinator at
	// /reports, where it writes RUN_ID.json and RUN_ID.html.
	ReportClaim string
	// RunArgs are more flags for the coordinator's loadplan run (--budget 2, say).
	RunArgs   []string
	Resources Resources // zero fields take DefaultResources' values
}

// Manifests are the rendered objects, in the order they are best applied.
type Manifests struct {
	RunID   string
	Secret  string
	Env     []plan.EnvRef // the Secret's keys: the variables the plan refers to
	Objects []Object
	// Warnings are things the caller should tell the user (more workers than users, say).
	Warnings []string
}

// Object is one rendered object and the file it goes to when written to a directory.
type Object struct {
	File   string // configmap.yaml, redis.yaml, coordinator.yaml, workers.yaml
	Object runtime.Object
}

var runIDPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// flagsRendered are the coordinator's flags that Render sets itself.
var flagsRendered = []string{"--scenario", "-s", "--ledger", "--run-id", "--expect-workers", "--workers"}

// Render builds the manifests of a run of b's plan.
func Render(b *Bundle, o Options) (*Manifests, error) {
	sc, err := o.complete(b)
	if err != nil {
		return nil, err
	}
	r := &renderer{b: b, o: o, base: "loadplan-" + o.RunID}
	cm, err := r.configMap()
	if err != nil {
		return nil, err
	}
	m := &Manifests{RunID: o.RunID, Secret: o.Secret, Env: b.Env}
	m.Objects = append(m.Objects, Object{"configmap.yaml", cm})
	ledger := o.Redis
	if ledger == "" {
		ledger = fmt.Sprintf("redis://%s:%d/0", r.name("redis"), redisPort)
		svc, dep := r.redis()
		m.Objects = append(m.Objects, Object{"redis.yaml", svc}, Object{"redis.yaml", dep})
	}
	m.Objects = append(m.Objects, Object{"coordinator.yaml", r.coordinator(ledger)}, Object{"workers.yaml", r.workers(ledger)})
	if !sc.Open() && sc.MaxUsers() < o.Workers {
		m.Warnings = append(m.Warnings, fmt.Sprintf("scenario %s has at most %d users for %d workers: %d workers will have no user",
			sc.Name, sc.MaxUsers(), o.Workers, o.Workers-sc.MaxUsers()))
	}
	return m, nil
}

// complete fills in o's defaults (the Secret, the Redis image, the resources, the run ID
// derived from the inputs) and checks o against b: every problem at once. It returns the
// scenario to run.
func (o *Options) complete(b *Bundle) (*plan.Scenario, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	sc := b.Plan.Scenario(o.Scenario)
	if sc == nil {
		bad("%s has no scenario %q; its scenarios: %s", b.Plan.File, o.Scenario, strings.Join(b.Plan.ScenarioNames(), ", "))
	}
	if o.Workers < 1 {
		bad("workers: %d; give at least 1", o.Workers)
	}
	if o.Image == "" {
		bad("image: empty; give the loadplan image the pods run (the repository's Dockerfile builds one)")
	}
	if o.Namespace != "" {
		if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			bad("namespace %q: %s", o.Namespace, strings.Join(msgs, "; "))
		}
	}
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	if msgs := validation.IsDNS1123Subdomain(o.Secret); len(msgs) > 0 {
		bad("secret %q: %s", o.Secret, strings.Join(msgs, "; "))
	}
	if o.ReportClaim != "" {
		if msgs := validation.IsDNS1123Subdomain(o.ReportClaim); len(msgs) > 0 {
			bad("report claim %q: %s", o.ReportClaim, strings.Join(msgs, "; "))
		}
	}
	if o.RedisImage == "" {
		o.RedisImage = DefaultRedisImage
	}
	if o.Redis != "" {
		if err := checkRedisURL(o.Redis, o.Secret); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range o.RunArgs {
		for _, f := range flagsRendered {
			if a == f || strings.HasPrefix(a, f+"=") {
				bad("run arguments: %s is set by the manifests; leave it out", f)
			}
		}
	}
	for _, r := range b.Env {
		if msgs := validation.IsConfigMapKey(r.Name); len(msgs) > 0 {
			bad("${%s}: cannot be a key of Secret %s: %s", r.Name, o.Secret, strings.Join(msgs, "; "))
		}
	}
	res, err := o.Resources.withDefaults()
	if err != nil {
		errs = append(errs, err)
	}
	o.Resources = res
	if o.RunID != "" {
		if len(o.RunID) > maxRunID || !runIDPattern.MatchString(o.RunID) {
			bad("run ID %q: give at most %d lowercase letters, digits and '-', starting and ending with a letter or digit", o.RunID, maxRunID)
		}
	} else if sc != nil {
		o.RunID = deriveRunID(b, *o)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return sc, nil
}

// checkRedisURL refuses a ledger URL that is not Redis, and one that holds a password: the
// manifests are not a place for secrets, the Secret is.
func checkRedisURL(raw, secret string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		// The URL is not repeated: it may hold a password.
		return errors.New("redis: not a Redis URL; give redis://HOST:PORT/DB or rediss://HOST:PORT/DB")
	}
	if _, ok := u.User.Password(); ok {
		return fmt.Errorf("redis: the URL holds a password; put it in Secret %s under REDIS_PASSWORD instead, so that the manifests do not hold it", secret)
	}
	return nil
}

// deriveRunID names a run after its scenario and a digest of everything rendered: the same
// inputs give the same ID (and manifests), other inputs another.
func deriveRunID(b *Bundle, o Options) string {
	h := sha256.New()
	field := func(s []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write(s)
	}
	field(b.Source)
	for _, f := range b.Data {
		field([]byte(f.Path))
		field(f.Content)
	}
	for _, s := range []string{o.Scenario, strconv.Itoa(o.Workers), o.Image, o.Redis, o.Namespace, o.Secret, o.RedisImage, o.ReportClaim} {
		field([]byte(s))
	}
	for _, a := range o.RunArgs {
		field([]byte(a))
	}
	for _, rr := range []*corev1.ResourceRequirements{o.Resources.Worker, o.Resources.Coordinator, o.Resources.Redis} {
		if rr != nil {
			field([]byte(rr.String()))
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))[:8]
	return slug(o.Scenario, maxRunID-len(sum)-1) + "-" + sum
}

// slug makes s a piece of a DNS label, at most n characters: lowercase letters, digits, '-'.
func slug(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	out := b.String()
	if len(out) > n {
		out = strings.TrimRight(out[:n], "-")
	}
	if out == "" {
		return "run"
	}
	return out
}

// renderer builds the objects of one run.
type renderer struct {
	b    *Bundle
	o    Options
	base string // loadplan-RUN_ID: every object's name starts with it
}

func (r *renderer) name(component string) string { return r.base + "-" + component }

// labels are the Kubernetes recommended labels; the instance is the run.
func (r *renderer) labels(component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "loadplan",
		"app.kubernetes.io/instance":   r.base,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/managed-by": "loadplan",
	}
}

// selector picks the pods of one component of this run.
func (r *renderer) selector(component string) map[string]string {
	l := r.labels(component)
	delete(l, "app.kubernetes.io/managed-by")
	return l
}

func (r *renderer) meta(component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: r.name(component), Namespace: r.o.Namespace, Labels: r.labels(component)}
}

func (r *renderer) configMap() (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta("plan"),
	}
	total := 0
	put := func(key string, content []byte) {
		total += len(content)
		if utf8.Valid(content) {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[key] = string(content)
			return
		}
		if cm.BinaryData == nil {
			cm.BinaryData = map[string][]byte{}
		}
		cm.BinaryData[key] = content
	}
	put(planKey, r.b.Source)
	for _, f := range r.b.Data {
		key, err := configMapKey(f.Path)
		if err != nil {
			return nil, err
		}
		if _, dup := cm.Data[key]; dup {
			return nil, fmt.Errorf("data files: two paths make the ConfigMap key %s; rename one", key)
		}
		if _, dup := cm.BinaryData[key]; dup {
			return nil, fmt.Errorf("data files: two paths make the ConfigMap key %s; rename one", key)
		}
		put(key, f.Content)
	}
	if total > maxConfigMapBytes {
		return nil, fmt.Errorf("the plan and its data files are %d bytes; a ConfigMap holds at most %d (1 MiB): make the data files smaller", total, maxConfigMapBytes)
	}
	return cm, nil
}

// planVolume is the ConfigMap as the plan's directory: the plan and each data file at its
// path relative to the plan.
func (r *renderer) planVolume() corev1.Volume {
	items := []corev1.KeyToPath{{Key: planKey, Path: planKey}}
	for _, f := range r.b.Data {
		key, _ := configMapKey(f.Path) // checked by configMap
		items = append(items, corev1.KeyToPath{Key: key, Path: f.Path})
	}
	return corev1.Volume{Name: "plan", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.name("plan")},
		Items:                items,
	}}}
}

// env is what every loadplan container reads: each variable of the plan from the Secret (a
// variable with a default in the plan is optional there), and REDIS_PASSWORD for a ledger
// outside the run.
func (r *renderer) env() []corev1.EnvVar {
	var env []corev1.EnvVar
	fromSecret := func(name string, optional bool) {
		env = append(env, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.o.Secret},
			Key:                  name,
			Optional:             new(optional),
		}}})
	}
	hasPassword := false
	for _, ref := range r.b.Env {
		fromSecret(ref.Name, !ref.Required)
		hasPassword = hasPassword || ref.Name == "REDIS_PASSWORD"
	}
	if r.o.Redis != "" && !hasPassword {
		fromSecret("REDIS_PASSWORD", true)
	}
	return env
}

// podSecurity runs the pods as a user without privileges, with a read-only root file system.
func podSecurity(uid, gid int64) (*corev1.PodSecurityContext, *corev1.SecurityContext) {
	return &corev1.PodSecurityContext{
			RunAsNonRoot:   new(true),
			RunAsUser:      new(uid),
			RunAsGroup:     new(gid),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}, &corev1.SecurityContext{
			AllowPrivilegeEscalation: new(false),
			ReadOnlyRootFilesystem:   new(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
}

// loadplanPod is the pod of a coordinator or a worker.
func (r *renderer) loadplanPod(component string, args []string, rr *corev1.ResourceRequirements, extraEnv ...corev1.EnvVar) corev1.PodTemplateSpec {
	pod, ctr := podSecurity(nonRootUID, nonRootUID)
	spec := corev1.PodSpec{
		RestartPolicy:                corev1.RestartPolicyNever,
		AutomountServiceAccountToken: new(false),
		SecurityContext:              pod,
		Containers: []corev1.Container{{
			Name:            component,
			Image:           r.o.Image,
			Command:         []string{"loadplan"},
			Args:            args,
			WorkingDir:      planDir,
			Env:             append(extraEnv, r.env()...),
			Resources:       *rr,
			VolumeMounts:    []corev1.VolumeMount{{Name: "plan", MountPath: planDir, ReadOnly: true}},
			SecurityContext: ctr,
		}},
		Volumes: []corev1.Volume{r.planVolume()},
	}
	if r.o.Redis == "" {
		spec.InitContainers = []corev1.Container{r.waitForRedis()}
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: r.labels(component)}, Spec: spec}
}

// waitForRedis holds a pod until the run's Redis answers (at most two minutes), so that the
// whole run can be applied at once.
func (r *renderer) waitForRedis() corev1.Container {
	_, ctr := podSecurity(nonRootUID, nonRootUID)
	script := fmt.Sprintf(`for i in $(seq 120); do redis-cli -h %s -p %d ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "redis %s:%d did not answer in 2 minutes" >&2; exit 1`,
		r.name("redis"), redisPort, r.name("redis"), redisPort)
	return corev1.Container{
		Name:    "wait-for-redis",
		Image:   r.o.RedisImage,
		Command: []string{"sh", "-c", script},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
		SecurityContext: ctr,
	}
}

// coordinator is the Job that runs the scenario: it holds the budget, waits for the workers,
// merges their statistics and writes the summary. It is not retried: a second attempt would
// be a second run.
func (r *renderer) coordinator(ledger string) *batchv1.Job {
	args := []string{"run", planPath, "--scenario", r.o.Scenario, "--ledger", ledger, "--run-id", r.o.RunID,
		"--expect-workers", strconv.Itoa(r.o.Workers)}
	if r.o.ReportClaim != "" {
		args = append(args, "--json", "/reports/"+r.o.RunID+".json", "--html", "/reports/"+r.o.RunID+".html")
	}
	args = append(args, r.o.RunArgs...)
	tpl := r.loadplanPod("coordinator", args, r.o.Resources.Coordinator)
	if r.o.ReportClaim != "" {
		tpl.Spec.Volumes = append(tpl.Spec.Volumes, corev1.Volume{Name: "reports", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: r.o.ReportClaim}}})
		c := &tpl.Spec.Containers[0]
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "reports", MountPath: "/reports"})
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: r.meta("coordinator"),
		Spec: batchv1.JobSpec{
			Completions:  new(int32(1)),
			Parallelism:  new(int32(1)),
			BackoffLimit: new(int32(0)),
			Template:     tpl,
		},
	}
}

// workers is the Indexed Job of the workers: pod i is worker i (Kubernetes sets
// JOB_COMPLETION_INDEX from the pod's completion index). A worker that fails is not started
// again (backoffLimitPerIndex: 0): the coordinator charges its lease and the run goes on
// without it; the other workers carry on, which a plain backoffLimit would not let them do.
func (r *renderer) workers(ledger string) *batchv1.Job {
	index := corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
		FieldPath: fmt.Sprintf("metadata.annotations['%s']", batchv1.JobCompletionIndexAnnotation)}}}
	args := []string{"worker", "--ledger", ledger, "--run", r.o.RunID, "--index", "$(JOB_COMPLETION_INDEX)"}
	tpl := r.loadplanPod("worker", args, r.o.Resources.Worker, index)
	// Spread the workers over the nodes where the cluster can: the point of many workers.
	tpl.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       corev1.LabelHostname,
		WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: r.selector("worker")},
	}}
	n := int32(r.o.Workers)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: r.meta("worker"),
		Spec: batchv1.JobSpec{
			CompletionMode:       new(batchv1.IndexedCompletion),
			Completions:          new(n),
			Parallelism:          new(n),
			BackoffLimitPerIndex: new(int32(0)),
			Template:             tpl,
		},
	}
}

// redis is the run's own ledger: one Redis that keeps nothing on disk (a ledger lives as long
// as its run) and refuses writes rather than evict a key when full.
func (r *renderer) redis() (*corev1.Service, *appsv1.Deployment) {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta("redis"),
		Spec: corev1.ServiceSpec{
			Selector: r.selector("redis"),
			Ports:    []corev1.ServicePort{{Name: "redis", Port: redisPort, TargetPort: intstr.FromString("redis")}},
		},
	}
	pod, ctr := podSecurity(redisUID, redisUID)
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: r.meta("redis"),
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: r.selector("redis")},
			// Never two at once: each would be a ledger of its own.
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: r.labels("redis")},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: new(false),
					SecurityContext:              pod,
					Containers: []corev1.Container{{
						Name:            "redis",
						Image:           r.o.RedisImage,
						Args:            redisArgs(r.o.Resources.Redis),
						Ports:           []corev1.ContainerPort{{Name: "redis", ContainerPort: redisPort}},
						Resources:       *r.o.Resources.Redis,
						ReadinessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("redis")}}, PeriodSeconds: 2},
						VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
						SecurityContext: ctr,
					}},
					Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
	return svc, dep
}

// redisArgs start Redis without persistence and, under a memory limit, with a maxmemory of
// three quarters of it and no eviction: a full ledger refuses a reservation (the workers stop
// sending) instead of being killed, or worse, dropping a run's keys.
func redisArgs(rr *corev1.ResourceRequirements) []string {
	args := []string{"redis-server", "--save", "", "--appendonly", "no", "--protected-mode", "no"}
	if lim, ok := rr.Limits[corev1.ResourceMemory]; ok && lim.Value() > 0 {
		args = append(args, "--maxmemory", strconv.FormatInt(lim.Value()/4*3, 10), "--maxmemory-policy", "noeviction")
	}
	return args
}
