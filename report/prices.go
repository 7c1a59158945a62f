package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// PricesTable writes prices per million tokens, with the catalog's date and source. When a
// model has tiers, a Tier column appears and the model gets a row per tier under its standard
// one: its prompt-size tiers ("prompt > 200k": every token of a request whose prompt is
// longer), then its service tiers ("priority", and their own prompt-size tiers).
func PricesTable(w io.Writer, c *pricing.Catalog, prices []pricing.Price) {
	tiered := slices.ContainsFunc(prices, pricing.Price.Tiered)
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	header := table.Row{"Model", "Provider", "Input", "Cache write 5m", "Cache write 1h", "Cache read", "Output"}
	first := 3 // the first price column
	if tiered {
		header = slices.Insert(header, 2, any("Tier"))
		first = 4
	}
	t.AppendHeader(header)
	for _, p := range prices {
		row := func(model, provider, tier string, r pricing.Rates) {
			cells := table.Row{model, provider, perM(r.InputPerMTok), perM(r.CacheWrite5mPerMTok),
				perM(r.CacheWrite1hPerMTok), perM(r.CacheReadPerMTok), perM(r.OutputPerMTok)}
			if tiered {
				cells = slices.Insert(cells, 2, any(tier))
			}
			t.AppendRow(cells)
		}
		row(p.Model, p.Provider, pricing.TierStandard, p.Rates)
		for _, a := range p.Above {
			row("", "", "prompt > "+tokenCount(a.Tokens), a.Rates)
		}
		for _, name := range slices.Sorted(maps.Keys(p.ServiceTiers)) {
			st := p.ServiceTiers[name]
			row("", "", name, st.Rates)
			for _, a := range st.Above {
				row("", "", name+", prompt > "+tokenCount(a.Tokens), a.Rates)
			}
		}
	}
	t.SetColumnConfigs(rightAligned(first, first+4))
	t.Render()
	fmt.Fprintf(w, "USD per million tokens, as of %s; source: %s\n", c.AsOf, c.Source)
	if tiered {
		fmt.Fprintln(w, "A prompt-size tier prices every token of a request whose prompt (input, cache reads and writes) is longer; "+
			"a service tier, a response served at it. A service tier not listed has no price: a response served at it is charged its reservation, flagged estimated.")
	}
}

// tokenCount writes a threshold as users write it: 200k, 1m, or the number.
func tokenCount(n int64) string {
	switch {
	case n%1_000_000 == 0:
		return strconv.FormatInt(n/1_000_000, 10) + "m"
	case n%1_000 == 0:
		return strconv.FormatInt(n/1_000, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

func perM(d decimal.Decimal) string { return "$" + d.StringFixed(max(2, -d.Exponent())) }

// PriceJSON is one row of `loadplan prices --output json`; prices are decimal strings.
type PriceJSON struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	RatesJSON
	// Above are the prompt-size tiers; ServiceTiers the prices of the other service tiers.
	Above        []AboveJSON         `json:"above,omitempty"`
	ServiceTiers map[string]TierJSON `json:"service_tiers,omitempty"`
}

// RatesJSON are the prices of the five token buckets, USD per million tokens.
type RatesJSON struct {
	Input        decimal.Decimal `json:"input_per_mtok"`
	CacheWrite5m decimal.Decimal `json:"cache_write_5m_per_mtok"`
	CacheWrite1h decimal.Decimal `json:"cache_write_1h_per_mtok"`
	CacheRead    decimal.Decimal `json:"cache_read_per_mtok"`
	Output       decimal.Decimal `json:"output_per_mtok"`
}

// AboveJSON is a prompt-size tier: the prices of a request whose prompt has more than Tokens.
type AboveJSON struct {
	Tokens int64 `json:"tokens"`
	RatesJSON
}

// TierJSON is a service tier's prices.
type TierJSON struct {
	RatesJSON
	Above []AboveJSON `json:"above,omitempty"`
}

func ratesJSON(r pricing.Rates) RatesJSON {
	return RatesJSON{r.InputPerMTok, r.CacheWrite5mPerMTok, r.CacheWrite1hPerMTok, r.CacheReadPerMTok, r.OutputPerMTok}
}

func aboveJSON(list []pricing.Above) []AboveJSON {
	var out []AboveJSON
	for _, a := range list {
		out = append(out, AboveJSON{Tokens: a.Tokens, RatesJSON: ratesJSON(a.Rates)})
	}
	return out
}

// PricesJSON is the JSON form of a catalog.
func PricesJSON(c *pricing.Catalog, prices []pricing.Price) any {
	rows := make([]PriceJSON, len(prices))
	for i, p := range prices {
		rows[i] = PriceJSON{Model: p.Model, Provider: p.Provider, RatesJSON: ratesJSON(p.Rates), Above: aboveJSON(p.Above)}
		if len(p.ServiceTiers) > 0 {
			rows[i].ServiceTiers = map[string]TierJSON{}
			for name, t := range p.ServiceTiers {
				rows[i].ServiceTiers[name] = TierJSON{RatesJSON: ratesJSON(t.Rates), Above: aboveJSON(t.Above)}
			}
		}
	}
	return map[string]any{"as_of": c.AsOf, "source": c.Source, "prices": rows}
}
