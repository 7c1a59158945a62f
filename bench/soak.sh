#!/usr/bin/env bash
# bench/soak.sh: a long run at a moderate load, to show that loadplan's memory stays flat.
# It runs bench/plans/soak.yaml (the example's traffic mix, usage read from every response,
# a capped budget) against the mock at --time-scale 0.1 and samples loadplan's RSS
# (/proc/PID/status VmRSS) every --interval seconds; it prints the timeline, the ratio of the
# last sample to the first, and the slope of RSS after the first minutes. See bench/README.md.
#
#   bench/soak.sh [--minutes 30] [--users 50] [--interval 30]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MINUTES=30
USERS=50
INTERVAL=30
while [[ $# -gt 0 ]]; do
	case $1 in
	--minutes) MINUTES=$2; shift 2 ;;
	--users) USERS=$2; shift 2 ;;
	--interval) INTERVAL=$2; shift 2 ;;
	-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')
[[ $DUR_S -ge $((2 * INTERVAL)) ]] || die "--minutes must cover at least two --interval samples"

check_cores
need_tools go time taskset ps jq curl
make_out soak
build_loadplan run

echo "loadplan bench/soak.sh: $(machine_line)"
echo "$USERS users (bench/plans/soak.yaml), ${MINUTES} min, RSS sampled every ${INTERVAL}s; mock on core $MOCK_CPU at --time-scale 0.1, loadplan on core $GEN_CPU"

MOCK_TIMEOUT=$((DUR_S + 300))
start_mock --profile default --time-scale 0.1 --seed 1

JSON=$OUT/soak.json
c0=$(served_all)
s0=$(cpu_stat)
GODEBUG=gctrace=1 /usr/bin/time -f '%e %U %S %M' -o "$OUT/soak.time" \
	timeout -k 10 $((DUR_S + 120)) taskset -c "$GEN_CPU" \
	"$LP" run "$BENCH_DIR/plans/soak.yaml" --scenario soak --users "$USERS" --run-time "${DUR_S}s" \
	--host "$MOCK_URL" --quiet --json "$JSON" >"$OUT/soak.log" 2>&1 &
TIME_PID=$!
BENCH_PIDS+=("$TIME_PID")
LP_PID=$(generator_pid "$TIME_PID")

TL=$OUT/timeline.tsv
printf 't_s\trss_mb\tserved\treq_s\tfds\theap_mb\tstacks_mb\n' >"$TL"
printf '\n%7s %9s %10s %8s %6s %8s %9s\n' "t (s)" "RSS MB" "served" "req/s" "fds" "heap MB" "stacks MB"
t0=$(now)
prev_c=$c0
prev_t=$t0
next=$INTERVAL
while kill -0 "$TIME_PID" 2>/dev/null; do
	sleep_until "$(awk -v t="$t0" -v n="$next" 'BEGIN { printf "%.3f", t + n }')"
	kill -0 "$TIME_PID" 2>/dev/null || break
	rss=$(vmrss "$LP_PID")
	[[ $rss -gt 0 ]] || break
	c=$(served_all)
	t=$(now)
	awk -v t="$t" -v t0="$t0" -v pt="$prev_t" -v rss="$rss" -v c="$c" -v c0="$c0" -v pc="$prev_c" \
		-v fds="$(fd_count "$LP_PID")" -v gc="$(gc_last "$OUT/soak.log")" \
		'BEGIN { split(gc, g, " "); printf "%.0f\t%.1f\t%d\t%.0f\t%d\t%s\t%s\n", t - t0, rss / 1024, c - c0, (c - pc) / (t - pt), fds, g[1], g[2] }' | tee -a "$TL" |
		awk -F'\t' '{ printf "%7s %9s %10s %8s %6s %8s %9s\n", $1, $2, $3, $4, $5, $6, $7 }'
	prev_c=$c
	prev_t=$t
	next=$((next + INTERVAL))
done
rc=0
wait "$TIME_PID" || rc=$?
forget "$TIME_PID"
s1=$(cpu_stat)

read -r wall user sys maxrss < <(tail -1 "$OUT/soak.time")
echo
echo "loadplan exit $rc (log, with its gctrace: $OUT/soak.log), wall ${wall}s, CPU user ${user}s + sys ${sys}s, steal $(steal_pct "$s0" "$s1") %, load average after: $(load_average)"
# Flatness: last/first sample, and the least-squares slope of RSS over the samples after the
# first two minutes (the warm-up: connections, histograms and buffers growing to size).
awk -F'\t' -v maxrss="$maxrss" 'NR > 1 {
		n++; t[n] = $1; r[n] = $2
	}
	END {
		if (n < 2) { print "too few samples"; exit }
		printf "RSS: first sample %.1f MB (t=%ds), last %.1f MB (t=%ds): last/first %.2f; max %.1f MB (GNU time)\n", r[1], t[1], r[n], t[n], r[n] / r[1], maxrss / 1024
		for (i = 1; i <= n; i++) if (t[i] >= 120) { m++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i] }
		if (m >= 3) {
			slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
			printf "slope after the first 2 min: %+.2f MB per 10 min over %d samples\n", slope * 600, m
		} else print "slope: needs samples after the first 2 minutes (run longer)"
	}' "$TL"
if [[ -s $JSON ]]; then
	jq -r '"requests \(.actual.requests), failures \(.actual.failures), \(.actual.rps | . * 10 | round / 10) req/s, cost $\(.actual.cost) (fake: the mock), stop reason \(.stop_reason)"' "$JSON"
else
	echo "no summary written ($JSON): see $OUT/soak.log"
	tail -20 "$OUT/soak.log"
fi
