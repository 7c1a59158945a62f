#!/usr/bin/env bash
# bench/estimate.sh: how close is the estimate to what a run costs? Runs the example's smoke
# scenario and a 2-minute normal scenario on the embedded mock (mock://, default profile) and
# prints, for each, the expected cost of the estimate, the actual cost, the error, and the
# requests expected and sent; then, task by task, requests, mean tokens per request and cost,
# estimated and actual, to show where a difference comes from. See bench/README.md.
#
#   bench/estimate.sh [--seeds 42] [--normal-time 2m] [--no-smoke]
#
# The target (issue 5): within 5 % on the 2-minute normal run. --seeds 42,1,2,3 runs one set
# per seed (in parallel: the load is light, about 2.5 requests/s each) to show the spread that
# chance alone gives a run of this size.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEEDS=42
NORMAL_TIME=2m
SMOKE=yes
PLAN=$REPO/examples/ai-service.yaml
while [[ $# -gt 0 ]]; do
	case $1 in
	--seeds) SEEDS=$2; shift 2 ;;
	--normal-time) NORMAL_TIME=$2; shift 2 ;;
	--no-smoke) SMOKE=; shift ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
IFS=, read -r -a SEED_LIST <<<"$SEEDS"
NORMAL_S=$(seconds "$NORMAL_TIME")

need_tools go jq
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
	jq -r --arg sc "$1" --arg seed "$2" --arg rc "$(cat "$OUT/$1-$2.rc")" '
		def r(x; n): x * pow(10; n) | round / pow(10; n);
		(.estimate.cost.expected | tonumber) as $e | (.actual.cost | tonumber) as $a
		| [$sc, $seed, (.estimate.requests.expected | r(.; 1)), .actual.requests,
		   r($e; 4), r($a; 4), (if .actual.estimate_error_pct == null then "null" else r(.actual.estimate_error_pct; 2) end),
		   r(100 * ($a - $e) / $e; 2), .stop_reason, $rc]
		| @tsv' "$f" | awk -F'\t' '{ printf "%-7s %5s %9s %7s %10s %10s %8s %8s  %s, exit %s\n", $1, $2, $3, $4, "$" $5, "$" $6, $7 "%", $8 "%", $9, $10 }'
}

echo
printf '%-7s %5s %9s %7s %10s %10s %8s %8s  %s\n' scenario seed "req est" "req act" "cost est" "cost act" "error" "(check)" "stop"
for sc in ${SMOKE:+smoke} normal; do
	for seed in "${SEED_LIST[@]}"; do
		summary_line "$sc" "$seed"
	done
done
echo "error = actual.estimate_error_pct of the summary; (check) = (actual - expected) / expected recomputed here"

# Task by task, for each normal run: where the estimate and the run differ.
for seed in "${SEED_LIST[@]}"; do
	f=$OUT/normal-$seed.json
	[[ -s $f ]] || continue
	echo
	echo "normal, seed $seed, task by task: requests, mean tokens per request (input / cache read / cache write / output), cost — estimate | actual"
	jq -r '
		def r(x): x * 10 | round / 10;
		def per(t; n): if n > 0 then "\(r(t.input / n))/\(r(t.cache_read / n))/\(r(t.cache_write / n))/\(r(t.output / n))" else "-" end;
		(.estimate.tasks | map({key: .name, value: .}) | from_entries) as $est
		| .tasks[]
		| (if (.name | startswith("on_start")) then "on_start" else .name end) as $k
		| $est[$k] as $e
		| [.name, r($e.requests.expected), .requests, per($e.tokens; $e.requests.expected), per(.tokens; .requests),
		   ($e.cost.expected | tonumber * 10000 | round / 10000), (.cost | tonumber * 10000 | round / 10000),
		   (if .requests > 0 then (.cache_hit_rate * 1000 | round / 10) else "-" end), .latency_ms.avg]
		| @tsv' "$f" | awk -F'\t' 'BEGIN { printf "  %-18s %8s %6s  %-26s %-26s %9s %9s %6s %8s\n", "task", "req est", "act", "tokens/req est", "tokens/req act", "cost est", "act", "hit%", "avg ms" }
		{ printf "  %-18s %8s %6s  %-26s %-26s %9s %9s %6s %8.0f\n", $1, $2, $3, $4, $5, "$" $6, "$" $7, $8, $9 }'
	jq -r '"  total: \(.actual.requests) requests (estimate \(.estimate.requests.expected)), \(.actual.failures) failures, cost $\(.actual.cost) (estimate $\(.estimate.cost.expected), low $\(.estimate.cost.low), worst $\(.estimate.cost.worst)), run \(.duration_s | . * 10 | round / 10) s"' "$f"
done

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
