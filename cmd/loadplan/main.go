// Command loadplan estimates what a load test of a paid API will cost, refuses to start past
// a budget, runs it with a live cost meter that never spends more than the budget, and reports
// the actual cost of each scenario beside latency, throughput and failures.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A closed stdout (loadplan run ... | head -1) is a failed write, exit 5 once the reports
	// are written (checkedWriter), not a death by SIGPIPE before them.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
