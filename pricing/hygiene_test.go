package pricing

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoFloatsNearMoney keeps floats out of the package: money is parsed from text and stays a
// decimal. Test files are exempt (they say the words to forbid them).
func TestNoFloatsNearMoney(t *testing.T) {
	forbidden := []string{"NewFromFloat", "float64", "float32", "InexactFloat64", "Float64()", "ParseFloat"}
	for _, path := range sourceFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range forbidden {
			if strings.Contains(string(data), word) {
				t.Errorf("%s uses %s: money is decimal from text to text", path, word)
			}
		}
	}
}

// TestLeafPackage holds DESIGN.md's rule that pricing imports no other package of ours, and
// that library code never prints.
func TestLeafPackage(t *testing.T) {
	for _, path := range sourceFiles(t) {
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/loadplan/loadplan") {
				t.Errorf("%s imports %s: pricing is a leaf", path, p)
			}
			if p == "log" || p == "log/slog" {
				t.Errorf("%s imports %s: library code never prints", path, p)
			}
		}
		data, _ := os.ReadFile(path)
		for _, call := range []string{"fmt.Print", "os.Stdout", "os.Stderr", "os.Exit"} {
			if strings.Contains(string(data), call) {
				t.Errorf("%s uses %s: library code never prints", path, call)
			}
		}
	}
}

// sourceFiles lists the package's non-test Go files.
func sourceFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if !strings.HasSuffix(p, "_test.go") {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no source files found")
	}
	return out
}
