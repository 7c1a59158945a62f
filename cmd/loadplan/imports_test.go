package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraph holds the import rules of DESIGN.md and STYLE.md: pricing is a leaf,
// planner and executor never import each other, nothing imports cmd, go-pretty is used only
// by report and cmd, go-redis only by meter/redisledger; kube renders manifests from a plan and
// runs nothing, and is the only package that imports the Kubernetes types.
func TestImportGraph(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/loadplan/loadplan/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/loadplan/loadplan/"
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[strings.TrimPrefix(f[0], mod)] = f[1:]
	}
	if len(imports) < 10 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	for pkg, deps := range imports {
		for _, d := range deps {
			ours := strings.HasPrefix(d, mod)
			dep := strings.TrimPrefix(d, mod)
			switch {
			case pkg == "pricing" && ours:
				t.Errorf("pricing imports %s: it must be a leaf", dep)
			case pkg == "planner" && dep == "executor", pkg == "executor" && dep == "planner":
				t.Errorf("%s imports %s", pkg, dep)
			case ours && strings.HasPrefix(dep, "cmd/"):
				t.Errorf("%s imports %s", pkg, dep)
			case strings.HasPrefix(d, "github.com/jedib0t/go-pretty") && pkg != "report" && !strings.HasPrefix(pkg, "cmd/"):
				t.Errorf("%s imports go-pretty: only report and cmd render tables", pkg)
			case pkg == "kube" && ours && dep != "plan":
				t.Errorf("kube imports %s: it renders manifests from a plan and runs nothing", dep)
			case (strings.HasPrefix(d, "k8s.io/") || strings.HasPrefix(d, "sigs.k8s.io/")) && pkg != "kube":
				t.Errorf("%s imports %s: only kube uses the Kubernetes types", pkg, d)
			case strings.HasPrefix(d, "github.com/redis/go-redis") && pkg != "meter/redisledger":
				t.Errorf("%s imports go-redis: only meter/redisledger talks to Redis", pkg)
			case pkg == "plan" && (d == "net/http" || dep == "pricing"):
				t.Errorf("plan imports %s: it knows nothing of HTTP or money arithmetic", d)
			}
		}
	}
}
