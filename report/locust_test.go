package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func loadLocustPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Load("testdata/locust/plan.yaml", plan.Options{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPriceLocustReference(t *testing.T) {
	t.Parallel()
	path := "testdata/locust/results_stats.csv"
	rows, err := ReadLocustStats(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want the 5 request rows (no Aggregated)", len(rows))
	}
	p := loadLocustPlan(t)
	cat := pricing.Default()
	lc, err := PriceLocust(path, rows, p, cat)
	if err != nil {
		t.Fatal(err)
	}
	var messages *plan.Step
	for _, task := range p.Tasks {
		if task.Name == "messages" {
			messages = task.Steps[0]
		}
	}
	_, exp, _, err := planner.StepCost(messages, cat)
	if err != nil {
		t.Fatal(err)
	}
	want := exp.Mul(decimal.NewFromInt(1683))
	if !lc.Cost.Equal(want) {
		t.Errorf("cost %s, want 1683 × %s = %s", lc.Cost, exp, want)
	}
	if lc.Requests != 2981 || lc.PricedRequests != 298+1683 || lc.UnpricedRequests != 316+311+373 {
		t.Errorf("requests %d priced %d unpriced %d", lc.Requests, lc.PricedRequests, lc.UnpricedRequests)
	}
	if got := strings.Join(lc.Unpriced, "; "); got != "GET /v1/does-not-exist; GET /v1/messages; POST /v1/messages [bad json]" {
		t.Errorf("unpriced: %s", got)
	}
	for _, r := range lc.Rows {
		if r.Pricing == "unpriced" && (r.Cost != nil || r.Reason == "") {
			t.Errorf("%s %s: an unpriced row must have no cost and a reason: %+v", r.Type, r.Name, r)
		}
		if r.Name == "/health" && (r.Pricing != "free" || !r.Cost.IsZero()) {
			t.Errorf("/health: %+v", r)
		}
	}
	var b bytes.Buffer
	if err := LocustTable(&b, lc); err != nil {
		t.Fatal(err)
	}
	golden(t, "golden/locust.table", b.Bytes())
}

func TestPriceLocustByName(t *testing.T) {
	t.Parallel()
	// A locustfile that names its requests after the plan's tasks, and a flat-priced path with
	// a template.
	csv := "Type,Name,Request Count,Failure Count,Median Response Time\r\n" +
		"POST,chat_message,100,2,1800\r\nGET,/v1/items/42,10,0,5\r\nPOST,on_start.login,5,0,9\r\n,Aggregated,115,2,900\r\n"
	path := filepath.Join(t.TempDir(), "byname_stats.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadLocustStats(path)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := PriceLocust(path, rows, loadExample(t), pricing.Default())
	if err != nil {
		t.Fatal(err)
	}
	if lc.Rows[0].Match != "name" || lc.Rows[0].Step != "chat_message" || lc.Rows[0].Pricing != "expected tokens" {
		t.Errorf("chat_message: %+v", lc.Rows[0])
	}
	if lc.Rows[2].Pricing != "free" {
		t.Errorf("on_start.login: %+v", lc.Rows[2])
	}
	item := loadLocustPlan(t)
	lc2, err := PriceLocust(path, rows, item, pricing.Default())
	if err != nil {
		t.Fatal(err)
	}
	r := lc2.Rows[1]
	if r.Step != "item" || r.Pricing != "flat" || !r.Cost.Equal(decimalOf("0.005")) {
		t.Errorf("/v1/items/42 against /v1/items/{{seq}}: %+v", r)
	}
}

func TestReadLocustStatsBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"stats history", "testdata/locust/results_stats_history.csv", []string{"results_stats_history.csv", `"Request Count"`, "looks like PREFIX_stats_history.csv"}},
		{"failures", "testdata/locust/results_failures.csv", []string{"results_failures.csv", "looks like PREFIX_failures.csv"}},
		{"empty", write("empty.csv", ""), []string{"empty.csv", "empty file"}},
		{"not a count", write("nan.csv", "Type,Name,Request Count\r\nGET,/a,12x\r\n"), []string{"nan.csv:2", `"12x"`}},
		{"ragged", write("ragged.csv", "Type,Name,Request Count\r\nGET,/a\r\n"), []string{"ragged.csv:2", "wrong number of fields"}},
		{"missing", filepath.Join(dir, "nope.csv"), []string{"nope.csv", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLocustStats(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
