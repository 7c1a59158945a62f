package report

import (
	"fmt"
	"io"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// PricesTable writes prices per million tokens, with the catalog's date and source.
func PricesTable(w io.Writer, c *pricing.Catalog, prices []pricing.Price) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"Model", "Provider", "Input", "Cache write 5m", "Cache write 1h", "Cache read", "Output"})
	for _, p := range prices {
		t.AppendRow(table.Row{p.Model, p.Provider, perM(p.InputPerMTok), perM(p.CacheWrite5mPerMTok), perM(p.CacheWrite1hPerMTok), perM(p.CacheReadPerMTok), perM(p.OutputPerMTok)})
	}
	t.SetColumnConfigs(rightAligned(3, 7))
	t.Render()
	fmt.Fprintf(w, "USD per million tokens, as of %s; source: %s\n", c.AsOf, c.Source)
}

func perM(d decimal.Decimal) string { return "$" + d.StringFixed(max(2, -d.Exponent())) }

// PriceJSON is one row of `loadplan prices --output json`; prices are decimal strings.
type PriceJSON struct {
	Model        string          `json:"model"`
	Provider     string          `json:"provider"`
	Input        decimal.Decimal `json:"input_per_mtok"`
	CacheWrite5m decimal.Decimal `json:"cache_write_5m_per_mtok"`
	CacheWrite1h decimal.Decimal `json:"cache_write_1h_per_mtok"`
	CacheRead    decimal.Decimal `json:"cache_read_per_mtok"`
	Output       decimal.Decimal `json:"output_per_mtok"`
}

// PricesJSON is the JSON form of a catalog.
func PricesJSON(c *pricing.Catalog, prices []pricing.Price) any {
	rows := make([]PriceJSON, len(prices))
	for i, p := range prices {
		rows[i] = PriceJSON{p.Model, p.Provider, p.InputPerMTok, p.CacheWrite5mPerMTok, p.CacheWrite1hPerMTok, p.CacheReadPerMTok, p.OutputPerMTok}
	}
	return map[string]any{"as_of": c.AsOf, "source": c.Source, "prices": rows}
}
