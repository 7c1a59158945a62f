package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/loadplan/loadplan/kube"
	"github.com/loadplan/loadplan/plan"
	"github.com/spf13/cobra"
)

// newCmdK8s builds loadplan k8s, whose subcommand is render.
func newCmdK8s(streams *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "k8s",
		Short: "Run a plan on Kubernetes: the manifests of a run spread over many worker pods",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q for loadplan k8s; valid: render", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCmdK8sRender(streams, nil))
	return cmd
}

// k8sRenderOptions are the flags of loadplan k8s render.
type k8sRenderOptions struct {
	plan   string
	output string // a directory; "" is stdout
	kube   kube.Options
	// NAME=QUANTITY pairs of each kind of pod
	workerRequests, workerLimits           map[string]string
	coordinatorRequests, coordinatorLimits map[string]string
	redisRequests, redisLimits             map[string]string
}

// newCmdK8sRender builds loadplan k8s render: it parses the flags into k8sRenderOptions and
// calls runF with them (tests), else runK8sRender.
func newCmdK8sRender(streams *IO, runF func(*k8sRenderOptions) error) *cobra.Command {
	o := &k8sRenderOptions{}
	d := kube.DefaultResources()
	cmd := &cobra.Command{
		Use:   "render PLAN --scenario S --workers N --image IMAGE [-- RUN FLAGS]",
		Short: "Write the Kubernetes manifests of a run over many worker pods",
		Long: `Write the manifests of a run of one scenario over N worker pods, for kubectl apply:
a ConfigMap with the plan and its data files, the coordinator as a Job (loadplan run, which
holds the budget and writes the summary), the workers as an Indexed Job (pod i is worker i),
and, unless --redis gives a ledger, a Redis Deployment and Service for the run's ledger.

Every ${VAR} of the plan is read by the pods from one Secret (--secret), key VAR; the
manifests hold the names, never a value. Create the Secret before applying.

The run ID (in every object's name) is derived from the inputs: rendering the same thing
twice gives the same manifests. Give --run-id to run the same plan again.

Flags after -- are passed on to the coordinator's loadplan run (--budget 2, say).`,
		Example: `  loadplan k8s render plan.yaml --scenario peak --workers 8 --image ghcr.io/me/loadplan:1.0 | kubectl apply -f -
  loadplan k8s render plan.yaml -s peak --workers 8 --image loadplan:1.0 -n load-tests -o manifests/
  loadplan k8s render plan.yaml -s peak --workers 8 --image loadplan:1.0 --redis redis://ledger.infra:6379/0
  loadplan k8s render plan.yaml -s peak --workers 8 --image loadplan:1.0 --worker-requests cpu=2,memory=1Gi -- --budget 20`,
		Args: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				n = dash
			}
			if n != 1 {
				return fmt.Errorf("give one plan file, then any flags for loadplan run after --; got %d arguments before --", n)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.plan = args[0]
			o.kube.RunArgs = args[1:]
			if err := o.complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runK8sRender(streams, o)
		},
	}
	flags := cmd.Flags()
	flags.StringVarP(&o.kube.Scenario, "scenario", "s", "", "the scenario to run (may be left out when the plan has one)")
	flags.IntVar(&o.kube.Workers, "workers", 0, "worker pods (required)")
	flags.StringVar(&o.kube.Image, "image", "", "the loadplan image the pods run (required; the repository's Dockerfile builds one)")
	flags.StringVar(&o.kube.Redis, "redis", "", "the ledger: redis://HOST:PORT/DB or rediss://...; password from the Secret's REDIS_PASSWORD (default: a Redis of the run's own)")
	flags.StringVarP(&o.kube.Namespace, "namespace", "n", "", "namespace of every object (default: kubectl's)")
	flags.StringVar(&o.kube.RunID, "run-id", "", "the run's ID: lowercase letters, digits and '-', at most 30 (default: derived from the inputs)")
	flags.StringVar(&o.kube.Secret, "secret", kube.DefaultSecret, "the Secret the pods read the plan's ${VAR}s from")
	flags.StringVar(&o.kube.RedisImage, "redis-image", kube.DefaultRedisImage, "the image of the run's Redis (and of the pods' wait for it)")
	flags.StringVar(&o.kube.ReportClaim, "report-claim", "", "a PersistentVolumeClaim for the coordinator's RUN_ID.json and RUN_ID.html (default: the summary is in its log)")
	flags.StringVarP(&o.output, "output", "o", "", "write the manifests to files in this directory (default: stdout)")
	flags.StringToStringVar(&o.workerRequests, "worker-requests", kube.FormatResourceList(d.Worker.Requests), "each worker's requests (cpu, memory, ephemeral-storage)")
	flags.StringToStringVar(&o.workerLimits, "worker-limits", kube.FormatResourceList(d.Worker.Limits), "each worker's limits (no CPU limit by default: throttling shows as latency)")
	flags.StringToStringVar(&o.coordinatorRequests, "coordinator-requests", kube.FormatResourceList(d.Coordinator.Requests), "the coordinator's requests")
	flags.StringToStringVar(&o.coordinatorLimits, "coordinator-limits", kube.FormatResourceList(d.Coordinator.Limits), "the coordinator's limits")
	flags.StringToStringVar(&o.redisRequests, "redis-requests", kube.FormatResourceList(d.Redis.Requests), "the run's Redis's requests")
	flags.StringToStringVar(&o.redisLimits, "redis-limits", kube.FormatResourceList(d.Redis.Limits), "the run's Redis's limits (its maxmemory is 3/4 of the memory limit)")
	return cmd
}

// complete checks the flags' values and parses the resources, without reading anything
// (exit 2).
func (o *k8sRenderOptions) complete() error {
	if o.kube.Workers < 1 {
		return usageError("--workers: give the number of worker pods, at least 1")
	}
	if o.kube.Image == "" {
		return usageError("--image: give the loadplan image the pods run (the repository's Dockerfile builds one)")
	}
	res, err := o.resources()
	if err != nil {
		return withCode(exitUsage, err)
	}
	o.kube.Resources = res
	return nil
}

// runK8sRender is loadplan k8s render: pack the plan, render, write; bad input is exit 2,
// a file that cannot be written exit 5.
func runK8sRender(streams *IO, o *k8sRenderOptions) error {
	var old []string
	var err error
	if o.output != "" {
		if old, err = previousManifests(o.output); err != nil {
			return err
		}
	}
	b, err := kube.Pack(o.plan, streams.Env)
	if err != nil {
		if es, ok := plan.AsErrors(err); ok {
			return withCode(exitUsage, fmt.Errorf("%s has %d %s:\n%w", o.plan, len(es), pluralWord(len(es), "problem", "problems"), err))
		}
		return withCode(exitUsage, err)
	}
	scs, err := pickScenarios(b.Plan, o.kube.Scenario, false, false)
	if err != nil {
		return err
	}
	o.kube.Scenario = scs[0].Name
	m, err := kube.Render(b, o.kube)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(streams.ErrOut, "loadplan: warning: %s\n", w)
	}
	if err := writeRendered(streams, o.output, old, m); err != nil {
		return err
	}
	secretHint(streams.ErrOut, o.kube.Namespace, m)
	return nil
}

// writeRendered writes the manifests to stdout, or into dir in place of the old ones.
func writeRendered(streams *IO, dir string, old []string, m *kube.Manifests) error {
	if dir == "" {
		y, err := m.YAML()
		if err != nil {
			return withCode(exitFailed, err)
		}
		if _, err := streams.Out.Write(y); err != nil {
			return withCode(exitFailed, err)
		}
		fmt.Fprintf(streams.ErrOut, "loadplan: run %s: %d objects, labelled app.kubernetes.io/instance=loadplan-%s\n", m.RunID, len(m.Objects), m.RunID)
		return nil
	}
	files, err := m.Files()
	if err != nil {
		return withCode(exitFailed, err)
	}
	if err := writeManifests(dir, old, files); err != nil {
		return withCode(exitFailed, err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Join(dir, f.Name)
	}
	fmt.Fprintf(streams.ErrOut, "loadplan: run %s: wrote %s, labelled app.kubernetes.io/instance=loadplan-%s\n", m.RunID, strings.Join(names, ", "), m.RunID)
	return nil
}

// secretHint says which environment variables the pods read from the Secret, and how to
// create it.
func secretHint(w io.Writer, namespace string, m *kube.Manifests) {
	if len(m.Env) == 0 {
		return
	}
	ns := ""
	if namespace != "" {
		ns = " -n " + namespace
	}
	var lits, optional []string
	for _, r := range m.Env {
		lits = append(lits, "--from-literal="+r.Name+"=...")
		if !r.Required {
			optional = append(optional, r.Name)
		}
	}
	todo := "create it first"
	if len(optional) == len(m.Env) {
		todo = "the plan has a default for each, so the Secret may be left out"
	}
	fmt.Fprintf(w, "loadplan: the pods read %d environment %s from Secret %s; %s:\n  kubectl%s create secret generic %s %s\n",
		len(m.Env), pluralWord(len(m.Env), "variable", "variables"), m.Secret, todo, ns, m.Secret, strings.Join(lits, " "))
	if len(optional) > 0 && len(optional) < len(m.Env) {
		fmt.Fprintf(w, "  (optional, the plan has a default: %s)\n", strings.Join(optional, ", "))
	}
}

func (o *k8sRenderOptions) resources() (kube.Resources, error) {
	worker, err1 := kube.Requirements("--worker", o.workerRequests, o.workerLimits)
	coordinator, err2 := kube.Requirements("--coordinator", o.coordinatorRequests, o.coordinatorLimits)
	redis, err3 := kube.Requirements("--redis", o.redisRequests, o.redisLimits)
	return kube.Resources{Worker: worker, Coordinator: coordinator, Redis: redis}, errors.Join(err1, err2, err3)
}

// previousManifests lists what a previous rendering wrote into dir, to be replaced. A
// directory that holds anything else is refused (exit 2): kubectl apply -f DIR would apply
// that too. A directory that does not exist is created later.
func previousManifests(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, withCode(exitFailed, fmt.Errorf("--output: %w", err))
	}
	var old []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		head := make([]byte, len(kube.Header))
		if f, err := os.Open(p); err == nil && e.Type().IsRegular() {
			_, _ = io.ReadFull(f, head)
			f.Close()
		}
		if !bytes.Equal(head, []byte(kube.Header)) {
			return nil, usageError("--output: %s holds %s, which loadplan did not write; give an empty or new directory (kubectl apply -f %s applies every file in it)", dir, e.Name(), dir)
		}
		old = append(old, p)
	}
	return old, nil
}

// writeManifests replaces the files of a previous rendering in dir with files.
func writeManifests(dir string, old []string, files []kube.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	return nil
}
