#!/usr/bin/env bash
# bench/montecarlo.sh: how often the actual cost of a run falls inside the [P5, P95] of
# `loadplan estimate --percentiles` (issue 16: within 80–98 % over 30 seeds of a 2-minute
# scenario). It estimates bench/plans/montecarlo.yaml once (Monte-Carlo, --draws, --seed 1),
# then runs it RUNS times with seeds 1..RUNS against one `loadplan mock` on a loopback port,
# PAR runs at a time (each with its own --json), and prints each run's cost and the coverage.
#
#   bench/montecarlo.sh                         # 30 runs of 2m, 6 at a time (about 11 min)
#   RUNS=10 DURATION=30s PAR=5 bench/montecarlo.sh
#   CALIBRATION=calibration.yaml bench/montecarlo.sh   # estimate with --calibration
#
# Every run starts its 10 users at once, as the simulation does; several runs share the mock,
# whose default profile does not slow down with load, so running them side by side does not
# change what each measures.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-30}
PAR=${PAR:-6}
DURATION=${DURATION:-2m}
DRAWS=${DRAWS:-2000}
PLAN=$BENCH_DIR/plans/montecarlo.yaml
need_tools jq curl
command -v python3 >/dev/null || die "python3 is needed to compare decimal costs"

make_out montecarlo
build_loadplan run
MOCK_CPU=${BENCH_MOCK_CPU:-0-$(($(nproc) - 1))}
start_mock

cal=()
[[ -n ${CALIBRATION:-} ]] && cal=(--calibration "$CALIBRATION")
log "estimate --percentiles (draws $DRAWS, seed 1, run time $DURATION)"
"$LP" estimate "$PLAN" --run-time "$DURATION" --percentiles --draws "$DRAWS" --seed 1 "${cal[@]}" | tee "$OUT/estimate.txt" >&2
"$LP" estimate "$PLAN" --run-time "$DURATION" --percentiles --draws "$DRAWS" --seed 1 "${cal[@]}" --output json >"$OUT/estimate.json"
P5=$(jq -r '.scenarios[0].percentiles.cost.p5' "$OUT/estimate.json")
P95=$(jq -r '.scenarios[0].percentiles.cost.p95' "$OUT/estimate.json")
EXP=$(jq -r '.scenarios[0].cost.expected' "$OUT/estimate.json")

secs=$(seconds "$DURATION")
limit=$(awk -v s="$secs" 'BEGIN { printf "%d", s + 120 }')
log "$RUNS runs of $DURATION, $PAR at a time, against $MOCK_URL"
export LP PLAN DURATION MOCK_URL OUT limit
seq 1 "$RUNS" | xargs -P "$PAR" -I{} bash -c \
	'timeout -k 5 "$limit" "$LP" run "$PLAN" --host "$MOCK_URL" --run-time "$DURATION" --seed {} --quiet --json "$OUT/run-{}.json" >"$OUT/run-{}.log" 2>&1 || echo "run {} exited $?" >>"$OUT/run-{}.log"'

python3 - "$OUT" "$RUNS" "$P5" "$P95" "$EXP" <<'PY'
import json, sys
from decimal import Decimal
out, runs, p5, p95, exp = sys.argv[1], int(sys.argv[2]), Decimal(sys.argv[3]), Decimal(sys.argv[4]), Decimal(sys.argv[5])
inside, costs = 0, []
for i in range(1, runs + 1):
    try:
        s = json.load(open(f"{out}/run-{i}.json"))
    except (OSError, ValueError) as e:
        print(f"run {i}: no summary ({e})"); continue
    c = Decimal(s["actual"]["cost"])
    ok = p5 <= c <= p95
    inside += ok
    costs.append(c)
    print(f"run {i:2d}: seed {s['seed']}, {s['actual']['requests']} requests, cost {c}, {s['stop_reason']}, {'inside' if ok else 'OUTSIDE'}")
n = len(costs)
mean = sum(costs) / n if n else Decimal(0)
print(f"estimate: expected {exp}, P5 {p5}, P95 {p95}; actual mean {mean.quantize(Decimal('0.000001'))}, min {min(costs)}, max {max(costs)}")
print(f"coverage: {inside}/{n} runs inside [P5, P95] = {Decimal(100 * inside) / n:.1f}% (target 80-98%)")
PY
