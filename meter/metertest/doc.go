// Package metertest holds the rules every meter.Ledger keeps, as tests that each
// implementation runs against itself: the in-process meter.Local and the shared ledgers
// (package redisledger), so that "the same semantics" is checked, not claimed.
//
//	func TestConcurrentInvariant(t *testing.T) {
//		metertest.Concurrent(t, func(t *testing.T, budget *decimal.Decimal) []meter.Ledger {
//			return []meter.Ledger{meter.New(budget)}
//		}, metertest.Options{})
//	}
//
// A shared ledger returns several ledgers of one run (one per simulated worker); the
// goroutines of the test are spread over them.
package metertest
