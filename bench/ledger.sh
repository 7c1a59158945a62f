#!/usr/bin/env bash
# bench/ledger.sh: what keeping the budget's ledger in Redis costs. Two measures:
#   1. the Go benchmarks: reserve + settle per request through Redis on loopback (one request at
#      a time, and 64 at once) against the in-process meter, and a bare round trip (PING);
#   2. a run: the non-streaming /v1/messages of the mock with no delays, 50 users, capped
#      (every request reserves and settles), with the in-process meter and with --ledger,
#      interleaved: req/s counted by the mock, and loadplan's and redis-server's CPU per 1,000.
# See bench/README.md.
#
#   bench/ledger.sh [--duration 5s] [--reps 3] [--count 5]
#
# The mock and redis-server share core 0, loadplan runs on core 1 (two cores: there is no
# third). redis-server is Debian's package, installed if missing, on a free loopback port,
# without persistence.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=5s
REPS=3
COUNT=5
while [[ $# -gt 0 ]]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--count) COUNT=$2; shift 2 ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(seconds "$DURATION")

check_cores
need_tools go time taskset ps jq curl
command -v redis-server >/dev/null || apt_install redis-server
command -v redis-cli >/dev/null || apt_install redis-tools
make_out ledger
build_loadplan run

echo "loadplan bench/ledger.sh: $(machine_line)"
echo "$(redis-server --version)"

# 1. The Go benchmarks (each starts its own redis-server). The figure is the median of COUNT.
log "go test -bench (count $COUNT)"
(cd "$REPO" && go test -p 1 -run '^$' -bench 'ReserveSettle|Ping' -benchtime 2s -count "$COUNT" \
	./meter ./meter/redisledger) >"$OUT/gobench.txt" 2>&1 || { cat "$OUT/gobench.txt" >&2; die "go test -bench failed"; }
echo
printf '%-40s %12s %10s %10s\n' "package.benchmark" "µs/op (med)" "B/op" "allocs/op"
awk '/^pkg: / { pkg = $2; sub(/.*\//, "", pkg) }
	/^Benchmark/ { n = pkg "." $1; sub(/-[0-9]+$/, "", n); v[n] = v[n] " " $3; b[n] = $5; a[n] = $7; if (!(n in seen)) { seen[n] = 1; order[++k] = n } }
	END { for (i = 1; i <= k; i++) { n = order[i]; c = split(substr(v[n], 2), x, " ")
		for (p = 1; p <= c; p++) for (q = p + 1; q <= c; q++) if (x[q] + 0 < x[p] + 0) { t = x[p]; x[p] = x[q]; x[q] = t }
		m = (c % 2) ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
		printf "%-40s %12.2f %10s %10s\n", n, m / 1000, b[n], a[n] } }' "$OUT/gobench.txt" | tee "$OUT/gobench-median.txt"

# 2. A run with each meter.
MOCK_TIMEOUT=$(awk -v d="$DUR_S" -v r="$REPS" 'BEGIN { printf "%d", 2 * r * (d + 30) + 120 }')
start_mock --time-scale 0 --seed 1
REDIS_PORT=$(free_port)
timeout -k 5 "$MOCK_TIMEOUT" taskset -c "$MOCK_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
	--save '' --appendonly no --loglevel warning >"$OUT/redis.log" 2>&1 &
REDIS_TIMEOUT_PID=$!
BENCH_PIDS+=("$REDIS_TIMEOUT_PID")
for _ in $(seq 100); do
	[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
	sleep 0.1
done
[[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] || die "redis-server did not start on port $REDIS_PORT"
REDIS_PROC=$(generator_pid "$REDIS_TIMEOUT_PID" 1)
log "redis-server at 127.0.0.1:$REDIS_PORT on core $MOCK_CPU"

printf '\n%-6s %-8s %10s %12s %14s\n' rep meter "req/s" "CPU ms/1k" "redis ms/1k" | tee "$OUT/runs.txt"
for rep in $(seq "$REPS"); do
	for meter in local redis; do
		extra=()
		[[ $meter == redis ]] && extra=(--ledger "redis://127.0.0.1:$REDIS_PORT/0" --run-id "bench-$rep")
		c0=$(served /v1/messages)
		r0=$(cpu_ticks "$REDIS_PROC")
		t0=$(now)
		/usr/bin/time -f '%e %U %S %M' -o "$OUT/$meter-$rep.time" \
			timeout -k 10 "$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 60 }')" taskset -c "$GEN_CPU" \
			"$LP" run "$BENCH_DIR/plans/messages.yaml" --scenario bench --users 50 --run-time "$DURATION" \
			--host "$MOCK_URL" --budget 1000000 --allow-over-budget --quiet --json "$OUT/$meter-$rep.json" \
			"${extra[@]}" >"$OUT/$meter-$rep.log" 2>&1 || die "loadplan run ($meter) failed: $(cat "$OUT/$meter-$rep.log")"
		t1=$(now)
		c1=$(served /v1/messages)
		r1=$(cpu_ticks "$REDIS_PROC")
		read -r _ u s _ <"$OUT/$meter-$rep.time"
		awk -v rep="$rep" -v m="$meter" -v c="$((c1 - c0))" -v t="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
			-v u="$u" -v s="$s" -v r="$((r1 - r0))" -v tk="$TICKS" \
			'BEGIN { printf "%-6s %-8s %10.0f %12.1f %14.1f\n", rep, m, c / t, 1e6 * (u + s) / c, (m == "redis" ? 1e6 * r / tk / c : 0) }' |
			tee -a "$OUT/runs.txt"
	done
done
echo
echo "req/s counts the mock's answers over loadplan's whole run (start-up included); CPU ms/1k is"
echo "loadplan's user+system time per 1,000 requests; redis ms/1k redis-server's. Raw: $OUT"
