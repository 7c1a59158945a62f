package executor

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/plan"
)

func TestTemplates(t *testing.T) {
	t.Parallel()
	data := []*plan.DataFile{{Name: "people", Fields: []string{"first", "last"}, Rows: []map[string]string{
		{"first": "Ada", "last": "Lovelace"}, {"first": "Alan", "last": "Turing"}, {"first": "Grace", "last": "Hopper"}}}}
	r := &runner{cfg: Config{Plan: &plan.Plan{Data: data}}}
	u := &user{idText: "7", vars: map[string]string{"sid": "s-1", "q": "a \"quoted\"\nline"}, rand: rand.New(rand.NewPCG(1, 2))}
	tests := []struct {
		name, in, want string
	}{
		{"literal", "/api/chat", "/api/chat"},
		{"user", "/users/{{user}}", "/users/7"},
		{"spaces", "/users/{{ user }}/x", "/users/7/x"},
		{"var", "session={{vars.sid}}", "session=s-1"},
		{"missing var", "[{{vars.nope}}]", "[]"},
		{"seq", "{{seq}}-{{seq}}", "1-2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.seq.Store(0)
			tp, err := compileTemplate(tc.in, data)
			if err != nil {
				t.Fatal(err)
			}
			if got := tp.render(&renderCtx{r: r, u: u}); got != tc.want {
				t.Errorf("%q rendered %q, want %q", tc.in, got, tc.want)
			}
		})
	}

	t.Run("uuid", func(t *testing.T) {
		tp, _ := compileTemplate("{{uuid}}", data)
		a, b := tp.render(&renderCtx{r: r, u: u}), tp.render(&renderCtx{r: r, u: u})
		if len(a) != 36 || a == b {
			t.Errorf("uuids %q %q", a, b)
		}
	})
	t.Run("one data row per request", func(t *testing.T) {
		tp, _ := compileTemplate("{{data.people.first}} {{data.people.last}}", data)
		seen := map[string]bool{}
		for range 200 {
			got := tp.render(&renderCtx{r: r, u: u})
			switch got {
			case "Ada Lovelace", "Alan Turing", "Grace Hopper":
				seen[got] = true
			default:
				t.Fatalf("fields of different rows mixed: %q", got)
			}
		}
		if len(seen) != 3 {
			t.Errorf("rows drawn: %v", seen)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, in := range []string{"{{nope}}", "{{data.other.x}}", "{{user"} {
			if _, err := compileTemplate(in, data); err == nil {
				t.Errorf("%q compiled", in)
			}
		}
	})
}

func TestJSONBody(t *testing.T) {
	t.Parallel()
	r := &runner{cfg: Config{Plan: &plan.Plan{}}}
	u := &user{idText: "3", vars: map[string]string{"q": "say \"hi\"\n\t<ok> é \u2028"}}
	body := map[string]any{
		"model":      "claude",
		"max_tokens": json.Number("512"),
		"stream":     true,
		"none":       nil,
		"messages":   []any{map[string]any{"role": "user", "content": "{{vars.q}}"}},
		"meta":       map[string]any{"user": "u{{user}}", "tags": []any{"a", json.Number("1.5")}},
	}
	n, err := compileJSON(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.raw != nil {
		t.Fatal("a templated body was compiled as static")
	}
	got := n.encode(nil, &renderCtx{r: r, u: u})
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(string(got)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	msg := v["messages"].([]any)[0].(map[string]any)["content"]
	if msg != u.vars["q"] {
		t.Errorf("content %q, want %q", msg, u.vars["q"])
	}
	if v["max_tokens"] != json.Number("512") || v["stream"] != true || v["none"] != nil {
		t.Errorf("scalars changed: %s", got)
	}
	if meta := v["meta"].(map[string]any); meta["user"] != "u3" || meta["tags"].([]any)[1] != json.Number("1.5") {
		t.Errorf("meta: %v", meta)
	}
	static, _ := compileJSON(map[string]any{"a": []any{"x", json.Number("2")}}, nil)
	if string(static.raw) != `{"a":["x",2]}` {
		t.Errorf("static body %s", static.raw)
	}
}
