// Package kube renders the Kubernetes manifests of a run spread over many worker pods: a
// ConfigMap with the plan and its data files, the coordinator as a Job, the workers as an
// Indexed Job, and, when no ledger URL is given, a Redis Deployment and Service for the ledger.
// It builds the objects as the k8s.io/api types and returns them and their YAML; it never
// prints and never talks to a cluster.
//
//	b, err := kube.Pack("plan.yaml", os.LookupEnv)        // the plan, its data, its ${VAR}s
//	m, err := kube.Render(b, kube.Options{Scenario: "peak", Workers: 8, Image: "loadplan:1"})
//	out, err := m.YAML()                                    // kubectl apply -f -
//
// Secrets: the pods read every environment variable the plan refers to (${VAR}) from one
// Secret, by name and key; the manifests hold the names, never a value. Pack reads the
// variables that are set only to check the plan, and the rendered objects are built from the
// plan file as written, so no value from the environment can reach them.
package kube
