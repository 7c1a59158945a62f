package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/loadplan/loadplan/internal/inputfile"
	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// LocustStat is one row of a Locust PREFIX_stats.csv.
type LocustStat struct {
	Type     string
	Name     string
	Requests int64
	Failures int64
	Line     int // in the file
}

// ReadLocustStats reads the request rows of a Locust PREFIX_stats.csv (the Aggregated row is
// left out). A file without Locust's Type, Name and Request Count columns, a row of the wrong
// width or a count that is not a whole number is an error naming the file and the line.
func ReadLocustStats(path string) ([]LocustStat, error) {
	f, err := inputfile.Open(path, MaxInputBytes)
	if err != nil {
		return nil, fmt.Errorf("read locust stats: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file; want a Locust stats CSV (PREFIX_stats.csv, written by locust --csv PREFIX)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a CSV file: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	var missing []string
	for _, c := range []string{"Type", "Name", "Request Count"} {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		hint := ""
		switch {
		case hasAll(col, "Timestamp", "User Count"):
			hint = " (this looks like PREFIX_stats_history.csv; give PREFIX_stats.csv)"
		case hasAll(col, "Method", "Error", "Occurrences"):
			hint = " (this looks like PREFIX_failures.csv; give PREFIX_stats.csv)"
		}
		return nil, fmt.Errorf("%s: not a Locust stats CSV: no %s column%s; its columns: %s", path,
			strings.Join(quoteAll(missing), ", "), hint, strings.Join(header, ","))
	}
	failCol, hasFail := col["Failure Count"]
	var out []LocustStat
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		row := LocustStat{Type: rec[col["Type"]], Name: rec[col["Name"]], Line: line}
		if row.Type == "" && row.Name == aggregatedName {
			continue
		}
		if row.Requests, err = parseCount(rec[col["Request Count"]]); err != nil {
			return nil, fmt.Errorf("%s:%d: Request Count %q is not a whole number of requests", path, line, rec[col["Request Count"]])
		}
		if hasFail {
			if row.Failures, err = parseCount(rec[failCol]); err != nil {
				return nil, fmt.Errorf("%s:%d: Failure Count %q is not a whole number of requests", path, line, rec[failCol])
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func hasAll(col map[string]int, names ...string) bool {
	for _, n := range names {
		if _, ok := col[n]; !ok {
			return false
		}
	}
	return true
}

func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a count")
	}
	return n, nil
}

// LocustCost is a Locust run priced with a plan (loadplan report locust).
type LocustCost struct {
	File             string            `json:"file"`
	Plan             string            `json:"plan"`
	Catalog          planner.Catalog   `json:"catalog"`
	Rows             []LocustPricedRow `json:"rows"`
	Requests         int64             `json:"requests"`
	PricedRequests   int64             `json:"priced_requests"`
	UnpricedRequests int64             `json:"unpriced_requests"`
	// Cost is the cost of the priced requests; with unpriced requests the run cost more.
	Cost           decimal.Decimal  `json:"cost"`
	CostPerRequest *decimal.Decimal `json:"cost_per_request"` // over the priced requests
	Unpriced       []string         `json:"unpriced"`
	Assumptions    []string         `json:"assumptions"`
}

// LocustPricedRow is one Locust request name and what it cost. Unpriced rows have a null cost
// and a reason: an unknown cost is never $0.
type LocustPricedRow struct {
	Type           string           `json:"type"`
	Name           string           `json:"name"`
	Requests       int64            `json:"requests"`
	Failures       int64            `json:"failures"`
	Step           string           `json:"step,omitempty"`  // the plan's request it matched
	Match          string           `json:"match,omitempty"` // name | path
	Pricing        string           `json:"pricing"`         // free | flat | expected tokens | unpriced
	Model          string           `json:"model,omitempty"`
	CostPerRequest *decimal.Decimal `json:"cost_per_request"`
	Cost           *decimal.Decimal `json:"cost"`
	Reason         string           `json:"reason,omitempty"`
}

// PriceLocust prices the request counts of a Locust run with a plan: each Locust Name is
// matched to a request of the plan by its statistics name (a task, TASK.STEP or
// on_start.NAME), else by its path (templates in the plan's path match any segment) and
// method; it costs the request's flat price, nothing when free, or its expected tokens at the
// catalog's prices. Every request is priced, failed ones too: Locust's CSV does not say what a
// failure cost. Names that match nothing, or several differently priced requests, are listed
// as unpriced, never counted as $0.
func PriceLocust(file string, rows []LocustStat, p *plan.Plan, cat *pricing.Catalog) (*LocustCost, error) {
	lc := &LocustCost{File: file, Plan: p.Name, Catalog: planner.Catalog{AsOf: cat.AsOf, Source: cat.Source},
		Rows: []LocustPricedRow{}, Unpriced: []string{},
		Assumptions: []string{
			"every request is priced at the plan's expected cost per request, failed ones too (Locust's CSV does not say what a failure cost)",
			"prices as of " + cat.AsOf,
		}}
	steps := append([]*plan.Step(nil), p.OnStart...)
	for _, t := range p.Tasks {
		steps = append(steps, t.Steps...)
	}
	for _, r := range rows {
		pr := LocustPricedRow{Type: r.Type, Name: r.Name, Requests: r.Requests, Failures: r.Failures, Pricing: "unpriced"}
		lc.Requests += r.Requests
		st, match, reason := matchLocustName(r, steps, cat)
		if st == nil {
			pr.Reason = reason
		} else {
			pr.Step, pr.Match = st.Name, match
			_, exp, _, err := planner.StepCost(st, cat)
			if err != nil {
				pr.Reason = err.Error()
				st = nil
			} else {
				cost := exp.Mul(decimal.NewFromInt(r.Requests))
				pr.CostPerRequest, pr.Cost = &exp, &cost
				switch st.Cost.Kind {
				case plan.CostFree:
					pr.Pricing = "free"
				case plan.CostFlat:
					pr.Pricing = "flat"
				default:
					pr.Pricing, pr.Model = "expected tokens", st.Cost.Model
				}
			}
		}
		if pr.Cost != nil {
			lc.PricedRequests += r.Requests
			lc.Cost = lc.Cost.Add(*pr.Cost)
		} else {
			lc.UnpricedRequests += r.Requests
			lc.Unpriced = append(lc.Unpriced, strings.TrimSpace(r.Type+" "+r.Name))
		}
		lc.Rows = append(lc.Rows, pr)
	}
	if lc.PricedRequests > 0 {
		cpr := lc.Cost.Div(decimal.NewFromInt(lc.PricedRequests))
		lc.CostPerRequest = &cpr
	}
	return lc, nil
}

// matchLocustName finds the plan's request a Locust row stands for.
func matchLocustName(r LocustStat, steps []*plan.Step, cat *pricing.Catalog) (*plan.Step, string, string) {
	for _, st := range steps {
		if st.Name == r.Name {
			return st, "name", ""
		}
	}
	path := locustPath(r.Name)
	var found []*plan.Step
	for _, st := range steps {
		if r.Type != "" && !strings.EqualFold(st.Request.Method, r.Type) {
			continue
		}
		if pathPattern(st.Request.Path).MatchString(path) {
			found = append(found, st)
		}
	}
	switch len(found) {
	case 0:
		return nil, "", fmt.Sprintf("no request of the plan is named %q or has path %s with method %s", r.Name, path, r.Type)
	case 1:
		return found[0], "path", ""
	}
	// Several requests share the path: fine when they cost the same.
	_, first, _, err := planner.StepCost(found[0], cat)
	names := []string{found[0].Name}
	same := err == nil
	for _, st := range found[1:] {
		names = append(names, st.Name)
		_, exp, _, err := planner.StepCost(st, cat)
		same = same && err == nil && exp.Equal(first) && st.Cost.Kind == found[0].Cost.Kind
	}
	if same {
		return found[0], "path", ""
	}
	return nil, "", fmt.Sprintf("%s %s matches %s, priced differently; name the Locust request after one of them", r.Type, path, strings.Join(names, ", "))
}

// locustPath is the path of a Locust Name: Names are URLs or paths unless the locustfile named
// the request; the query is left out.
func locustPath(name string) string {
	if u, err := url.Parse(name); err == nil && u.Scheme != "" && u.Host != "" {
		name = u.Path
	}
	name, _, _ = strings.Cut(name, "?")
	return name
}

var templateRef = regexp.MustCompile(`\{\{[^}]*\}\}`)

// pathPattern matches the paths a plan's request path may produce: its {{...}} templates match
// any text within a path segment.
func pathPattern(planPath string) *regexp.Regexp {
	if u, err := url.Parse(planPath); err == nil && u.Scheme != "" && u.Host != "" {
		planPath = u.Path
	}
	planPath, _, _ = strings.Cut(planPath, "?")
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range templateRef.FindAllStringIndex(planPath, -1) {
		b.WriteString(regexp.QuoteMeta(planPath[last:loc[0]]))
		b.WriteString(`[^/]+`)
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(planPath[last:]))
	b.WriteString("/?$")
	return regexp.MustCompile(b.String())
}

// LocustTable writes a priced Locust run for the terminal.
func LocustTable(w io.Writer, lc *LocustCost) error {
	fmt.Fprintf(w, "Locust run %s priced with plan %s (prices as of %s)\n", lc.File, lc.Plan, lc.Catalog.AsOf)
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.Style().Format.Footer = text.FormatDefault
	t.AppendHeader(table.Row{"Type", "Name", "Requests", "Plan request", "Pricing", "Cost/req", "Cost"})
	for _, r := range lc.Rows {
		step, pricingText, cpr, cost := "-", r.Pricing, "unpriced", "unpriced"
		if r.Step != "" {
			step = r.Step
			if r.Match == "path" {
				step += " (by path)"
			}
		}
		if r.Model != "" {
			pricingText += ", " + r.Model
		}
		if r.Cost != nil {
			cpr, cost = pricing.FormatUSD(*r.CostPerRequest), pricing.FormatUSD(*r.Cost)
		}
		t.AppendRow(table.Row{r.Type, r.Name, groupThousands(float64(r.Requests)), step, pricingText, cpr, cost})
	}
	t.AppendFooter(table.Row{"", "Total priced", groupThousands(float64(lc.PricedRequests)), "", "", usd(lc.CostPerRequest), pricing.FormatUSD(lc.Cost)})
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 3, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight},
		{Number: 6, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight},
		{Number: 7, Align: text.AlignRight, AlignFooter: text.AlignRight, AlignHeader: text.AlignRight},
	})
	t.Render()
	if lc.UnpricedRequests > 0 {
		fmt.Fprintf(w, "Cost: %s for %s of %s requests; %s requests unpriced (their cost is unknown, not $0), so the run cost more\n",
			pricing.FormatUSD(lc.Cost), groupThousands(float64(lc.PricedRequests)), groupThousands(float64(lc.Requests)), groupThousands(float64(lc.UnpricedRequests)))
		for _, r := range lc.Rows {
			if r.Cost == nil {
				fmt.Fprintf(w, "unpriced: %s %s (%s requests): %s\n", r.Type, r.Name, groupThousands(float64(r.Requests)), r.Reason)
			}
		}
	} else {
		fmt.Fprintf(w, "Cost: %s for all %s requests\n", pricing.FormatUSD(lc.Cost), groupThousands(float64(lc.Requests)))
	}
	for _, a := range lc.Assumptions {
		fmt.Fprintf(w, "assumes: %s\n", a)
	}
	return nil
}
