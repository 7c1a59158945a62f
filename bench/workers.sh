#!/usr/bin/env bash
# bench/workers.sh: a run spread over worker processes (loadplan run --workers N). Two measures:
#   1. the budget under faults: N randomized runs (default 20) of TestWorkersRandomBudgets:
#      mock profiles flaky or slow, budgets of $0.010 to $0.060, 4 to 8 worker processes, one
#      Redis; each line gives the ledger's spent, the budget, and what the mock billed;
#   2. requests/s of 1 and 2 worker processes (and of the plain, one-process run) on the mock's
#      /v1/messages with no delays, 50 users, capped (every request reserves and settles in
#      Redis), interleaved, counted by the mock.
# See bench/README.md.
#
#   bench/workers.sh [--runs 20] [--duration 5s] [--reps 3] [--seed N]
#
# Two cores: the mock, redis-server, the coordinator and the workers share them (no pinning:
# with 2 workers every process competes for the same two cores, so the figure says what a
# second process buys on this machine, not what a second machine would).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=20
DURATION=5s
REPS=3
SEED=$(date +%s)
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(seconds "$DURATION")

check_cores
need_tools go time ps jq curl
command -v redis-server >/dev/null || apt_install redis-server
make_out workers
build_loadplan run

echo "loadplan bench/workers.sh: $(machine_line)"
echo "$(redis-server --version)"

# 1. Randomized runs with faults (--runs 0: none).
if [[ $RUNS -gt 0 ]]; then
log "$RUNS randomized runs (seed $SEED)"
(cd "$REPO" && LOADPLAN_FLEET_RUNS=$RUNS LOADPLAN_FLEET_SEED=$SEED timeout 900 go test -count 1 -v \
	-run '^TestWorkersRandomBudgets$' ./cmd/loadplan) >"$OUT/random.txt" 2>&1 || { cat "$OUT/random.txt" >&2; die "randomized runs failed"; }
grep -E 'run [0-9]+ \(seed' "$OUT/random.txt" | sed 's/^ *fleet_test.go:[0-9]*: //' | tee "$OUT/random-runs.txt"
fi

# 2. Requests/s of 1 and 2 workers.
start_mock --time-scale 0 --seed 1
printf '\n%-6s %-10s %10s\n' rep mode "req/s" | tee "$OUT/runs.txt"
for rep in $(seq "$REPS"); do
	for mode in plain w1 w2; do
		extra=()
		case $mode in
		w1) extra=(--workers 1) ;;
		w2) extra=(--workers 2) ;;
		esac
		c0=$(served /v1/messages)
		t0=$(now)
		timeout -k 10 "$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 120 }')" \
			"$LP" run "$BENCH_DIR/plans/messages.yaml" --scenario bench --users 50 --run-time "$DURATION" \
			--host "$MOCK_URL" --budget 1000000 --allow-over-budget --quiet --json "$OUT/$mode-$rep.json" \
			"${extra[@]}" >"$OUT/$mode-$rep.log" 2>&1 || die "loadplan run ($mode) failed: $(cat "$OUT/$mode-$rep.log")"
		c1=$(served /v1/messages)
		# The rate over the run's own duration (its summary's duration_s): a fleet's start
		# barrier and its processes' start-up are not load.
		d=$(jq -r .duration_s "$OUT/$mode-$rep.json")
		awk -v rep="$rep" -v m="$mode" -v c="$((c1 - c0))" -v d="$d" \
			'BEGIN { printf "%-6s %-10s %10.0f\n", rep, m, c / d }' | tee -a "$OUT/runs.txt"
		: "$t0"
	done
done
echo
echo "req/s: the mock's answers over the run's duration_s. plain: one process, in-process meter;"
echo "w1/w2: 1 or 2 worker processes, Redis ledger (redis-server started by loadplan). Raw: $OUT"
