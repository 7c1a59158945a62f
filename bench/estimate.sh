#!/usr/bin/env bash
# bench/estimate.sh: how close is the estimate to what a run costs? Runs the example's smoke
# scenario and a 2-minute normal scenario on the embedded mock (mock://, default profile) and
# prints, for each, the expected cost of the estimate, the actual cost, the error, and the
# requests expected and sent; then, task by task, requests, mean tokens per request and cost,
# estimated and actual, to show where a difference comes from. See bench/README.md.
#
#   bench/estimate.sh [--seeds 42] [--normal-time 2m] [--no-smoke] [--mock-check]
#
# The target (issue 5): within 5 % on the 2-minute normal run. --seeds 42,1042,2042 runs one
# set per seed (in parallel: the load is light, about 2.5 requests/s each) to show the spread
# that chance alone gives a run of this size (any two seeds are independent). --mock-check
# adds a large run (thousands of requests per task, no delays) that measures the token model
# without the task-mix noise.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEEDS=42
NORMAL_TIME=2m
SMOKE=yes
MOCK_CHECK=
PLAN=$REPO/examples/ai-service.yaml
while [[ $# -gt 0 ]]; do
	case $1 in
	--seeds) SEEDS=$2; shift 2 ;;
	--normal-time) NORMAL_TIME=$2; shift 2 ;;
	--no-smoke) SMOKE=; shift ;;
	--mock-check) MOCK_CHECK=yes; shift ;;
	-h | --help) sed -n '2,14p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
IFS=, read -r -a SEED_LIST <<<"$SEEDS"
NORMAL_S=$(seconds "$NORMAL_TIME")

need_tools go ps jq curl
make_out estimate
build_loadplan run

echo "loadplan bench/estimate.sh: $(machine_line)"
echo "plan $PLAN on mock:// (default profile); seeds ${SEEDS}; normal for $NORMAL_TIME"

# one_seed SEED: smoke, then normal, one after the other (a run's in-process mock is its own).
one_seed() {
	local seed=$1 rc
	if [[ -n $SMOKE ]]; then
		rc=0
		timeout -k 10 150 "$LP" run "$PLAN" --scenario smoke --seed "$seed" --quiet \
			--json "$OUT/smoke-$seed.json" >"$OUT/smoke-$seed.log" 2>&1 || rc=$?
		echo "$rc" >"$OUT/smoke-$seed.rc"
	fi
	rc=0
	timeout -k 10 "$(awk -v d="$NORMAL_S" 'BEGIN { printf "%d", d + 120 }')" "$LP" run "$PLAN" --scenario normal \
		--run-time "$NORMAL_TIME" --seed "$seed" --quiet --json "$OUT/normal-$seed.json" >"$OUT/normal-$seed.log" 2>&1 || rc=$?
	echo "$rc" >"$OUT/normal-$seed.rc"
}

log "running ${#SEED_LIST[@]} seed(s) in parallel: smoke (30 s) then normal ($NORMAL_TIME)"
SEED_PIDS=()
for seed in "${SEED_LIST[@]}"; do
	one_seed "$seed" &
	SEED_PIDS+=("$!")
	BENCH_PIDS+=("$!")
done
for pid in "${SEED_PIDS[@]}"; do
	wait "$pid" || true
	forget "$pid"
done

# summary_line SCENARIO SEED: one line of the table below.
summary_line() {
	local f=$OUT/$1-$2.json
	if [[ ! -s $f ]]; then
		printf '%-7s %5s  no summary (exit %s): see %s\n' "$1" "$2" "$(cat "$OUT/$1-$2.rc" 2>/dev/null)" "$OUT/$1-$2.log"
		tail -5 "$OUT/$1-$2.log" | sed 's/^/         /'
		return
	fi
	jq -r --arg sc "$1" --arg seed "$2" --arg rc "$(cat "$OUT/$1-$2.rc")" "$JQ_DEFS"'
		(.estimate.cost.expected | tonumber) as $e | (.actual.cost | tonumber) as $a | decompose as $s
		| [$sc, $seed, (.estimate.requests.expected | r(.; 1)), .actual.requests,
		   r($e; 4), r($a; 4), (if .actual.estimate_error_pct == null then "null" else r(.actual.estimate_error_pct; 2) end),
		   r(100 * ($a - $e) / $e; 2), r($s.mix; 2), r($s.tokens; 2), .stop_reason, $rc]
		| @tsv' "$f" | awk -F'\t' '{ printf "%-7s %5s %9s %7s %10s %10s %8s %8s %8s %8s  %s, exit %s\n", $1, $2, $3, $4, "$" $5, "$" $6, $7 "%", $8 "%", $9 "%", $10 "%", $11, $12 }'
}

# split: the error of a run in two parts. mix: what the estimate would have been with the task
# counts the run drew (each task at the estimate's cost per request), against the estimate;
# tokens: the actual cost against that (what the responses' tokens and cache hits did).
JQ_DEFS='
	def r(x; n): x * pow(10; n) | round / pow(10; n);
	def decompose:
		(.estimate.tasks | map({key: .name, value: .}) | from_entries) as $est
		| ([.tasks[] | (if (.name | startswith("on_start")) then "on_start" else .name end) as $k | $est[$k] as $t
			| if $t != null and $t.requests.expected > 0 then .requests * (($t.cost.expected | tonumber) / $t.requests.expected) else 0 end]
			| add) as $given
		| (.estimate.cost.expected | tonumber) as $e | (.actual.cost | tonumber) as $a
		| {mix: (100 * ($given - $e) / $e), tokens: (if $given > 0 then 100 * ($a - $given) / $given else 0 end)};
'


echo
printf '%-7s %5s %9s %7s %10s %10s %8s %8s %8s %8s  %s\n' scenario seed "req est" "req act" "cost est" "cost act" "error" "(check)" "mix" "tokens" "stop"
for sc in ${SMOKE:+smoke} normal; do
	for seed in "${SEED_LIST[@]}"; do
		summary_line "$sc" "$seed"
	done
done
echo "error = actual.estimate_error_pct of the summary; (check) = (actual - expected) / expected recomputed here;"
echo "it splits into mix (the task counts drawn, each task at its estimated cost per request) and tokens (actual cost over that)"

# task_table FILE: task by task, estimate against run: requests, mean tokens per request,
# cost, cost per request (and its difference), cache hit rate, mean latency.
task_table() {
	jq -r "$JQ_DEFS"'
		def r1(x): r(x; 1);
		def per(t; n): if n > 0 then "\(r1(t.input / n))/\(r1(t.cache_read / n))/\(r1(t.cache_write / n))/\(r1(t.output / n))" else "-" end;
		(.estimate.tasks | map({key: .name, value: .}) | from_entries) as $est
		| .tasks[]
		| (if (.name | startswith("on_start")) then "on_start" else .name end) as $k
		| $est[$k] as $e
		| ($e.cost.expected | tonumber) as $ec | (.cost | tonumber) as $ac
		| (if $e.requests.expected > 0 then $ec / $e.requests.expected else 0 end) as $ecpr
		| (if .requests > 0 then $ac / .requests else 0 end) as $acpr
		| [.name, r1($e.requests.expected), .requests, per($e.tokens; $e.requests.expected), per(.tokens; .requests),
		   r($ec; 4), r($ac; 4), r($ecpr * 1000; 3), r($acpr * 1000; 3),
		   (if $ecpr > 0 then "\(r(100 * ($acpr - $ecpr) / $ecpr; 1))%" else "-" end),
		   (if .requests > 0 then r1(.cache_hit_rate * 100) else "-" end), .latency_ms.avg]
		| @tsv' "$1" | awk -F'\t' 'BEGIN { printf "  %-17s %7s %6s  %-24s %-24s %9s %9s %7s %7s %7s %5s %6s\n", "task", "req est", "act", "tokens/req est", "tokens/req act", "cost est", "act", "$/1k e", "$/1k a", "diff", "hit%", "avg ms" }
		{ printf "  %-17s %7s %6s  %-24s %-24s %9s %9s %7s %7s %7s %5s %6.0f\n", $1, $2, $3, $4, $5, "$" $6, "$" $7, $8, $9, $10, $11, $12 }'
	jq -r '"  total: \(.actual.requests) requests (estimate \(.estimate.requests.expected)), \(.actual.failures) failures, cost $\(.actual.cost) (estimate $\(.estimate.cost.expected), low $\(.estimate.cost.low), worst $\(.estimate.cost.worst)), run \(.duration_s | . * 10 | round / 10) s"' "$1"
}

# Task by task, for each normal run: where the estimate and the run differ.
for seed in "${SEED_LIST[@]}"; do
	f=$OUT/normal-$seed.json
	[[ -s $f ]] || continue
	echo
	echo "normal, seed $seed, task by task: requests; mean tokens per request (input/cache read/cache write/output); cost; cost per 1,000 requests; estimate | actual"
	task_table "$f"
done

if [[ -n $MOCK_CHECK ]]; then
	# The token model alone: thousands of requests per task against a mock with no delays, so
	# that chance (the task mix, the draws) is small next to any bias of the mock's
	# distributions or of the planner's arithmetic. Smoke's wait, --users 600, 30 s, uncapped.
	need_tools taskset curl
	check_cores
	MOCK_TIMEOUT=300
	start_mock --profile default --time-scale 0 --seed 7
	before=$(ledger_tokens)
	rc=0
	timeout -k 10 150 taskset -c "$GEN_CPU" "$LP" run "$PLAN" --scenario smoke --users 600 --run-time 30s \
		--host "$MOCK_URL" --no-budget --seed 7 --quiet --json "$OUT/mock-check.json" >"$OUT/mock-check.log" 2>&1 || rc=$?
	after=$(ledger_tokens)
	stop_mock
	echo
	echo "mock check (exit $rc): the example's tasks, smoke's wait, 600 users, 30 s, mock --time-scale 0; per task, estimate's cost per request against the mock's"
	if [[ -s $OUT/mock-check.json ]]; then
		task_table "$OUT/mock-check.json" | grep -v '^  total'
		jq -r --arg b "$before" --arg a "$after" "$JQ_DEFS"' decompose as $s
			| ($b | split(" ")) as $x | ($a | split(" ")) as $y
			| "  cost at the drawn task counts: $\((.actual.cost | tonumber) / (1 + $s.tokens / 100) | r(.; 4)) estimated, $\(.actual.cost) actual: \(r($s.tokens; 2)) % (tokens and cache hits alone)",
			  "  loadplan metered $\(.actual.cost); the mock ledger billed $\(($y[4] | tonumber) - ($x[4] | tonumber)) over the run"' "$OUT/mock-check.json"
	else
		tail -5 "$OUT/mock-check.log"
	fi
fi

if [[ ${#SEED_LIST[@]} -gt 1 ]]; then
	echo
	for sc in ${SMOKE:+smoke} normal; do
		for seed in "${SEED_LIST[@]}"; do
			[[ -s $OUT/$sc-$seed.json ]] && jq -r '[.estimate.cost.expected, .actual.cost] | @tsv' "$OUT/$sc-$seed.json"
		done | awk -F'\t' -v sc="$sc" '{ n++; e = $1; a += $2; err = 100 * ($2 - $1) / $1; s += err; ss += err * err }
			END { if (n) { m = s / n; printf "%s over %d seeds: mean error %+.2f %%, standard deviation %.2f %% (estimate $%s, mean actual $%.4f)\n", sc, n, m, (n > 1 ? sqrt((ss - n * m * m) / (n - 1)) : 0), e, a / n } }'
	done
fi
echo "load average after: $(load_average)"
