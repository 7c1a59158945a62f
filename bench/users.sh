#!/usr/bin/env bash
# bench/users.sh: many users, little traffic each: 10,000 users that wait 1 s between requests,
# against a mock that answers in 1 s. The figure that matters is loadplan's peak RSS (the
# target: under 300 MB); it also prints the requests (the server's count and loadplan's), the
# late starts and the latency loadplan measured. See bench/README.md.
#
#   bench/users.sh [--users 10000] [--duration 60s] [--spawn-rate 1000]
#
# The mock runs on core 0, loadplan on core 1. Both need a socket per user: the script raises
# the open-file limit (ulimit -n 65536, or as far as the hard limit allows).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS=10000
DURATION=60s
SPAWN=1000
while [[ $# -gt 0 ]]; do
	case $1 in
	--users) USERS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--spawn-rate) SPAWN=$2; shift 2 ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(seconds "$DURATION")

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
[[ $NOFILE == unlimited || $NOFILE -ge $((USERS + 1024)) ]] ||
	die "open-file limit $NOFILE (hard limit $(ulimit -Hn)) is too low for $USERS users: raise it (as root: ulimit -Hn 65536)"

check_cores
need_tools go time taskset ps jq curl
make_out users
build_loadplan run

echo "loadplan bench/users.sh: $(machine_line)"
echo "$USERS users at $SPAWN/s, wait 1s, server latency 1s, $DURATION; open files $NOFILE;" \
	"loopback ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range), somaxconn $(cat /proc/sys/net/core/somaxconn)"

MOCK_TIMEOUT=$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 180 }')
start_mock --config "$BENCH_DIR/mock/latency-1s.yaml" --time-scale 1 --seed 1

JSON=$OUT/users.json
c0=$(served /health)
s0=$(cpu_stat)
# GODEBUG=gctrace=1: one line per collection in the log, from which the timeline shows the
# live heap and the goroutine stacks.
GODEBUG=gctrace=1 /usr/bin/time -f '%e %U %S %M' -o "$OUT/users.time" \
	timeout -k 10 "$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 120 }')" taskset -c "$GEN_CPU" \
	"$LP" run "$BENCH_DIR/plans/users.yaml" --scenario bench --users "$USERS" --spawn-rate "$SPAWN" \
	--run-time "$DURATION" --host "$MOCK_URL" --no-budget --quiet --json "$JSON" >"$OUT/users.log" 2>&1 &
TIME_PID=$!
BENCH_PIDS+=("$TIME_PID")

# The timeline: every 5 s, loadplan's RSS, the server's requests/s, loadplan's open files
# (sockets), and its live heap and goroutine stacks at its last garbage collection.
LP_PID=$(generator_pid "$TIME_PID")
printf '\n%6s %9s %10s %10s %7s %9s %9s\n' "t (s)" "RSS MB" "served" "req/s" "fds" "heap MB" "stacks MB" | tee "$OUT/timeline.txt"
t0=$(now)
prev_c=$c0
prev_t=$t0
peak=0
while kill -0 "$TIME_PID" 2>/dev/null; do
	sleep_until "$(awk -v t="$prev_t" 'BEGIN { printf "%.3f", t + 5 }')"
	kill -0 "$TIME_PID" 2>/dev/null || break
	rss=$(vmrss "$LP_PID")
	[[ $rss -gt $peak ]] && peak=$rss
	c=$(served /health)
	t=$(now)
	awk -v t="$t" -v t0="$t0" -v pt="$prev_t" -v rss="$rss" -v c="$c" -v c0="$c0" -v pc="$prev_c" \
		-v fds="$(fd_count "$LP_PID")" -v gc="$(gc_last "$OUT/users.log")" \
		'BEGIN { split(gc, g, " "); printf "%6.0f %9.1f %10d %10.0f %7d %9s %9s\n", t - t0, rss / 1024, c - c0, (c - pc) / (t - pt), fds, g[1], g[2] }' | tee -a "$OUT/timeline.txt"
	prev_c=$c
	prev_t=$t
done
rc=0
wait "$TIME_PID" || rc=$?
forget "$TIME_PID"
s1=$(cpu_stat)
c1=$(served /health)

read -r wall user sys maxrss < <(tail -1 "$OUT/users.time")
echo
echo "loadplan exit $rc (log, with its gctrace: $OUT/users.log), wall ${wall}s, CPU user ${user}s + sys ${sys}s, steal $(steal_pct "$s0" "$s1") %, load average after: $(load_average)"
awk -v m="$maxrss" -v p="$peak" 'BEGIN { printf "peak RSS (GNU time): %.1f MB (highest 5-s sample %.1f MB) — target < 300 MB: %s\n", m / 1024, p / 1024, (m / 1024 < 300 ? "met" : "NOT met") }'
if [[ -s $JSON ]]; then
	jq -r --argjson served "$((c1 - c0))" '
		"requests: \(.actual.requests) sent by loadplan, \($served) served by the mock, \(.estimate.requests.expected | floor) estimated",
		"failures: \(.actual.failures); late starts: \(.actual.late_starts // "n/a"); stop reason: \(.stop_reason)",
		"requests/s: \(.actual.rps | . * 10 | round / 10) (ideal at full load: users / 2 s)",
		"latency (loadplan): p50 \(.tasks[0].latency_ms.p50) ms, p95 \(.tasks[0].latency_ms.p95) ms, p99 \(.tasks[0].latency_ms.p99) ms, max \(.tasks[0].latency_ms.max) ms",
		(if (.failures | length) > 0 then "failure kinds: " + ([.failures[] | "\(.error) ×\(.occurrences)"] | join("; ")) else empty end)
	' "$JSON"
else
	echo "no summary written ($JSON): see $OUT/users.log"
	tail -20 "$OUT/users.log"
fi
