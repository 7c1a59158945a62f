package kube

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources are the requests and limits of each kind of pod.
type Resources struct {
	Worker, Coordinator, Redis *corev1.ResourceRequirements
}

// DefaultResources are what each pod asks for unless told otherwise. A worker gets a core and
// no CPU limit: a throttled load generator shows its own queueing as the target's latency.
// Memory limits stop a runaway pod; Redis's also bounds its maxmemory (see redisArgs).
func DefaultResources() Resources {
	rr := func(cpu, mem, memLimit string) *corev1.ResourceRequirements {
		return &corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memLimit)},
		}
	}
	return Resources{
		Worker:      rr("1", "256Mi", "1Gi"),
		Coordinator: rr("250m", "256Mi", "512Mi"),
		Redis:       rr("100m", "64Mi", "256Mi"),
	}
}

// resourceNames are the resources a pod here may ask for.
var resourceNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

// ParseResourceList reads a flag's NAME=QUANTITY pairs (cpu=500m, memory=1Gi) into a list of
// resources; flag names the flag in errors.
func ParseResourceList(flag string, pairs map[string]string) (corev1.ResourceList, error) {
	names := make([]string, 0, len(pairs))
	for n := range pairs {
		names = append(names, n)
	}
	sort.Strings(names)
	list := corev1.ResourceList{}
	var errs []error
	for _, n := range names {
		if !slices.Contains(resourceNames, corev1.ResourceName(n)) {
			errs = append(errs, fmt.Errorf("%s: unknown resource %q; valid: cpu, memory, ephemeral-storage", flag, n))
			continue
		}
		q, err := resource.ParseQuantity(pairs[n])
		if err != nil || q.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s=%s is not a quantity; give one such as cpu=500m, memory=512Mi", flag, n, pairs[n]))
			continue
		}
		list[corev1.ResourceName(n)] = q
	}
	return list, errors.Join(errs...)
}

// Requirements reads the requests and limits flags of one kind of pod, whose names start with
// prefix (--worker: --worker-requests, --worker-limits).
func Requirements(prefix string, requests, limits map[string]string) (*corev1.ResourceRequirements, error) {
	req, err1 := ParseResourceList(prefix+"-requests", requests)
	lim, err2 := ParseResourceList(prefix+"-limits", limits)
	return &corev1.ResourceRequirements{Requests: req, Limits: lim}, errors.Join(err1, err2)
}

// FormatResourceList is the inverse of ParseResourceList, for a flag's default.
func FormatResourceList(l corev1.ResourceList) map[string]string {
	m := make(map[string]string, len(l))
	for n, q := range l {
		m[string(n)] = q.String()
	}
	return m
}

func (r Resources) withDefaults() (Resources, error) {
	d := DefaultResources()
	pick := func(given, def *corev1.ResourceRequirements) *corev1.ResourceRequirements {
		if given == nil {
			return def
		}
		return given
	}
	out := Resources{Worker: pick(r.Worker, d.Worker), Coordinator: pick(r.Coordinator, d.Coordinator), Redis: pick(r.Redis, d.Redis)}
	var errs []error
	for _, c := range []struct {
		name string
		rr   *corev1.ResourceRequirements
	}{{"worker", out.Worker}, {"coordinator", out.Coordinator}, {"redis", out.Redis}} {
		for _, name := range resourceNames {
			req, hasReq := c.rr.Requests[name]
			if lim, ok := c.rr.Limits[name]; ok && hasReq && req.Cmp(lim) > 0 {
				errs = append(errs, fmt.Errorf("%s resources: the %s request %s is more than its limit %s", c.name, name, req.String(), lim.String()))
			}
		}
	}
	return out, errors.Join(errs...)
}
