package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/loadplan/loadplan/"

// goList runs go list with args; a failure fails the test (the rules are never skipped).
func goList(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + string(ee.Stderr)
		}
		t.Fatalf("go list %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(string(out))
}

// TestImportGraph holds the import rules of DESIGN.md and STYLE.md: pricing is a leaf,
// planner and executor never import each other, nothing imports cmd, go-pretty is used only
// by report and cmd, go-redis only by meter/redisledger; kube renders manifests from a plan and
// runs nothing, and is the only package that imports the Kubernetes types.
func TestImportGraph(t *testing.T) {
	t.Parallel()
	out := goList(t, "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"...")
	imports := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		imports[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	if len(imports) < 10 {
		t.Fatalf("go list found only %d packages", len(imports))
	}
	for pkg, deps := range imports {
		for _, d := range deps {
			ours := strings.HasPrefix(d, module)
			dep := strings.TrimPrefix(d, module)
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
			case strings.HasPrefix(d, "github.com/redis/go-redis") && pkg != "meter/redisledger" && pkg != "fleet":
				t.Errorf("%s imports go-redis: only meter/redisledger and fleet talk to Redis", pkg)
			case pkg == "plan" && (d == "net/http" || dep == "pricing"):
				t.Errorf("plan imports %s: it knows nothing of HTTP or money arithmetic", d)
			}
		}
	}
}

// TestDependencies holds the rules that go through other packages (go list -deps): report
// renders a run's summary without the HTTP engine; summary, the floor below the executor
// and report, depends on neither; planner and executor do not meet even through a third
// package.
func TestDependencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg    string
		banned []string
		why    string
	}{
		{"report", []string{"executor"}, "report renders a summary.Run; it must not link the executor"},
		{"summary", []string{"executor", "report", "planner"}, "summary is the floor below the executor and report"},
		{"executor", []string{"planner"}, "planner and executor never meet"},
		{"planner", []string{"executor"}, "planner and executor never meet"},
		{"sweep", []string{"executor", "report"}, "sweep runs its steps through a RunStep the command builds on the executor, so that report can render its Result"},
	}
	for _, tc := range tests {
		deps := map[string]bool{}
		for _, d := range strings.Fields(goList(t, "-deps", "-f", "{{.ImportPath}}", module+tc.pkg)) {
			deps[strings.TrimPrefix(d, module)] = true
		}
		if !deps[tc.pkg] {
			t.Fatalf("go list -deps %s does not list %s itself", tc.pkg, tc.pkg)
		}
		for _, b := range tc.banned {
			if deps[b] {
				t.Errorf("%s depends on %s: %s", tc.pkg, b, tc.why)
			}
		}
	}
}
