package meter_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/loadplan/loadplan/meter"
)

func ExampleLocal() {
	budget := decimal.RequireFromString("0.01")
	l := meter.New(&budget)
	ctx := context.Background()

	// A request whose worst case is $0.006 that cost $0.0042.
	r, _ := l.Reserve(ctx, decimal.RequireFromString("0.006"))
	_ = l.Settle(r, meter.Charge{Actual: decimal.RequireFromString("0.0042")})

	// 0.0042 + 0.006 > 0.01 and nothing is in flight: the run stops.
	_, err := l.Reserve(ctx, decimal.RequireFromString("0.006"))
	fmt.Println(errors.Is(err, meter.ErrBudgetExhausted))

	s := l.Snapshot()
	fmt.Println(s.Spent, s.Reserved, s.Exhausted)
	// Output:
	// true
	// 0.0042 0 true
}
