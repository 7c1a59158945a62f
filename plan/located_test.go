package plan

import (
	"strings"
	"testing"
)

// TestOneTypoOneError: a wrong value of a cost key is one error, not also "says nothing of
// its cost"; a tab in the indentation is said in plain words at its line and column.
func TestOneTypoOneError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      string
	}{
		{"usage misspelt", strings.Replace(minimal, "usage: anthropic", "usage: antropic", 1),
			`plan.yaml:8:12: tasks.chat.usage: "antropic" is not a usage source; valid: anthropic, openai`},
		{"price not money", strings.Replace(minimal, "usage: anthropic", "price: cheap", 1),
			`plan.yaml:8:12: tasks.chat.price: `},
		{"defaults usage misspelt", strings.Replace(strings.Replace(minimal, "    usage: anthropic\n", "", 1), "tasks:", "defaults: {usage: opneai}\ntasks:", 1),
			`plan.yaml:5:19: defaults.usage: "opneai" is not a usage source`},
		{"tab indenting a key", strings.Replace(minimal, "  chat:", "\tchat:", 1), `plan.yaml:6:1: a tab; indent YAML with spaces`},
		{"tab after spaces", strings.Replace(minimal, "    usage: anthropic", "  \t  usage: anthropic", 1), `plan.yaml:8:3: a tab; indent YAML with spaces`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, c.src)
			es, ok := AsErrors(err)
			if !ok || len(es) != 1 {
				t.Fatalf("want one error, got %d:\n%v", len(es), err)
			}
			if !strings.Contains(es[0].Error(), c.want) {
				t.Errorf("error\n%s\nwant\n%s", es[0].Error(), c.want)
			}
		})
	}
}

// TestModelPos: a usage-priced request knows where its model is named, to report an
// unknown one there: pricing.model, or the task's own model:.
func TestModelPos(t *testing.T) {
	t.Parallel()
	p, err := parse(t, minimal)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Tasks[0].Steps[0].Cost
	if c.ModelField != "pricing.model" || c.ModelPos != (Pos{Line: 4, Column: 18}) {
		t.Errorf("plan model at %s %+v, want pricing.model 4:18", c.ModelField, c.ModelPos)
	}
	p, err = parse(t, strings.Replace(minimal, "    usage: anthropic", "    model: claude-haiku-4-5\n    usage: anthropic", 1))
	if err != nil {
		t.Fatal(err)
	}
	c = p.Tasks[0].Steps[0].Cost
	if c.ModelField != "tasks.chat.model" || c.ModelPos != (Pos{Line: 8, Column: 12}) || c.Model != "claude-haiku-4-5" {
		t.Errorf("task model %s at %s %+v, want tasks.chat.model 8:12", c.Model, c.ModelField, c.ModelPos)
	}
}
