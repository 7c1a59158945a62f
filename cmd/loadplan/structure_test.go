package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestNoInit: the commands are registered explicitly in newRootCmd, never by an init() of
// the file that builds them.
func TestNoInit(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s: func init(): register the command in newRootCmd's AddCommand list instead", fset.Position(fn.Pos()))
			}
		}
	}
}

// TestRootCommands: newRootCmd registers every command, and each runs with the --output,
// --prices and --prices-only of the shared helpers where it has them.
func TestRootCommands(t *testing.T) {
	t.Parallel()
	root := newRootCmd(&IO{})
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	want := []string{"calibrate", "estimate", "k8s", "mock", "prices", "report", "run", "sweep", "validate", "version", "worker"}
	for _, n := range want {
		if !slices.Contains(names, n) {
			t.Errorf("newRootCmd has no %s command: %v", n, names)
		}
	}
	// --output is the same flag wherever it names a format (k8s render's is a directory).
	for _, path := range [][]string{{"estimate"}, {"prices"}, {"report"}, {"report", "compare"}, {"report", "history"}, {"report", "merge"}, {"report", "locust"}, {"report", "recover"}} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		f := c.Flags().Lookup("output")
		if f == nil || f.Shorthand != "o" || f.DefValue != "table" || !strings.HasPrefix(f.Usage, "output format: table, json") && f.Usage != "output format: table or json" {
			t.Errorf("%s --output: %+v", c.CommandPath(), f)
		}
	}
	for _, path := range [][]string{{"estimate"}, {"run"}, {"validate"}, {"prices"}, {"mock"}, {"report", "locust"}} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"prices", "prices-only"} {
			if c.Flags().Lookup(name) == nil {
				t.Errorf("%s has no --%s", c.CommandPath(), name)
			}
		}
	}
}
