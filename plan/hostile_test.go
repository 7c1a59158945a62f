package plan

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBomb is a request body of levels nested aliases, each a list of nine of the one
// before: 9^levels values from a few hundred bytes.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("version: 1\ntarget: mock://\nx:\n  a0: &a0 [\"lol\"]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	fmt.Fprintf(&b, "tasks:\n  t:\n    request: {method: POST, path: /x, json: {v: *a%d}}\n    price: free\nscenarios:\n  s: {users: 1, duration: 1s}\n", levels)
	return b.String()
}

// TestAliasBomb: seven levels of aliases took 4.4 s and 443 MB to "validate", nine more than
// 1.4 GB; twenty would never end. The expansion is counted before anything is built, and
// refused where it goes past MaxAliasValues, located at the alias.
func TestAliasBomb(t *testing.T) {
	t.Parallel()
	for _, levels := range []int{7, 9, 20} {
		t.Run(fmt.Sprint(levels, " levels"), func(t *testing.T) {
			_, err := Parse("plan.yaml", []byte(aliasBomb(levels)), Options{Env: noEnv})
			if err == nil || !strings.Contains(err.Error(), "aliases add more than 100000 values to the plan here") {
				t.Fatalf("error %v; want the alias expansion refused", err)
			}
			es, _ := AsErrors(err)
			if len(es) != 1 || es[0].Line == 0 || !strings.HasPrefix(es[0].Field, "x.a") {
				t.Errorf("errors %v: want one, located at an alias under x", es)
			}
		})
	}
	// Four levels (6,561 values) are what a plan may share through aliases.
	if _, err := Parse("plan.yaml", []byte(aliasBomb(4)), Options{Env: noEnv}); err != nil && strings.Contains(err.Error(), "alias") {
		t.Errorf("four levels refused: %v", err)
	}
}

// TestAliasOfItself: yaml.v3 accepts an anchor whose value holds an alias of it.
func TestAliasOfItself(t *testing.T) {
	t.Parallel()
	src := strings.Replace(minimal, "json: {max_tokens: 100}", "json: &j {max_tokens: 100, again: *j}", 1)
	_, err := Parse("plan.yaml", []byte(src), Options{Env: noEnv})
	if err == nil || !strings.Contains(err.Error(), "7:76: tasks.chat.request.json.again: the alias *j stands for a value that holds it") {
		t.Fatalf("error %v", err)
	}
}

// TestProblemsAreCapped: 5 MB of unknown keys made 206,000 problems and 43 MB of stderr, 50
// MB ran out of memory. The first MaxProblems in file order are kept, the rest counted.
func TestProblemsAreCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(minimal)
	const unknown = 100_000
	for i := range unknown {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, err := Parse("plan.yaml", []byte(b.String()), Options{Env: noEnv})
	es, ok := AsErrors(err)
	if !ok {
		t.Fatalf("error %v", err)
	}
	if len(es) != MaxProblems+1 || es.Total() != unknown {
		t.Fatalf("%d items, %d problems in all; want %d items and %d problems", len(es), es.Total(), MaxProblems+1, unknown)
	}
	if es[0].Line != 12 || es[0].Field != "k0" || es[MaxProblems-1].Field != "k49" {
		t.Errorf("not the first problems in file order: %v … %v", es[0], es[MaxProblems-1])
	}
	last := es[len(es)-1]
	if last.More != unknown-MaxProblems || !strings.Contains(last.Error(), "plan.yaml: and 99950 more problems (the first 50 are shown)") {
		t.Errorf("last item %q, More %d", last.Error(), last.More)
	}
}

// TestProblemsInFileOrder: problems found out of order (validate's after the decoder's) are
// kept by place, and one found twice is reported once.
func TestProblemsInFileOrder(t *testing.T) {
	t.Parallel()
	c := &collector{file: "f"}
	for i := MaxProblems + 10; i >= 1; i-- {
		c.add(pos{i, 1}, "x", "problem %d", i)
		c.add(pos{i, 1}, "x", "problem %d", i) // twice
	}
	es, _ := AsErrors(c.err())
	if es.Total() != MaxProblems+10 || es[0].Line != 1 || es[MaxProblems-1].Line != MaxProblems {
		t.Fatalf("total %d, first %v, last kept %v", es.Total(), es[0], es[MaxProblems-1])
	}
}
