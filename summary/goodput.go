package summary

import "github.com/shopspring/decimal"

// DeriveGoodput sets g's SLOAttainment (Good / requests) and CostPerGoodRequest (the whole
// cost over Good) from its Good and the row's requests and cost; each is nil when its
// divisor is 0.
func DeriveGoodput(g *Goodput, requests int64, cost decimal.Decimal) {
	g.SLOAttainment, g.CostPerGoodRequest = nil, nil
	if requests > 0 {
		a := float64(g.Good) / float64(requests)
		g.SLOAttainment = &a
	}
	if g.Good > 0 {
		c := cost.Div(decimal.NewFromInt(g.Good))
		g.CostPerGoodRequest = &c
	}
}

// WastedShare is the share of cost that was wasted (0 to 1); nil with no cost or no goodput.
func WastedShare(g *Goodput, cost decimal.Decimal) *float64 {
	if g == nil || !cost.IsPositive() {
		return nil
	}
	f, _ := g.WastedCost.Div(cost).Float64() // a share, not money
	return &f
}

// mergeGoodput sums the parts' good and wasted cost and derives the rest over the merged
// requests, cost and duration; nil when a part has none (written before loadplan knew of it).
func mergeGoodput(parts []*Goodput, requests int64, cost decimal.Decimal, durationS float64) *Goodput {
	if len(parts) == 0 {
		return nil
	}
	g := &Goodput{}
	for _, p := range parts {
		if p == nil {
			return nil
		}
		g.Good += p.Good
		g.WastedCost = g.WastedCost.Add(p.WastedCost)
	}
	if durationS > 0 {
		g.GoodputRPS = float64(g.Good) / durationS
	}
	DeriveGoodput(g, requests, cost)
	return g
}
