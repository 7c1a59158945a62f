#!/usr/bin/env bash
# bench/compare.sh: loadplan against vegeta, hey and wrk, on the mock's GET /health and
# non-streaming POST /v1/messages (loadplan reading the Anthropic usage of every response),
# then loadplan against wrk on a /health that takes 50 ms. See bench/README.md.
#
#   bench/compare.sh [--duration 10s] [--reps 5] [--tools loadplan,vegeta,hey,wrk]
#                    [--targets health,messages] [--no-50ms | --only-50ms] [--pause 1]
#
# Tool loadplan-metrics is loadplan with --metrics-addr, scraped once a second by curl (on the
# mock's core) as a Prometheus server would: the cost of the metrics to the generator. Tool
# loadplan-web is loadplan with --web, its page's event stream (/events) read by curl (on the
# mock's core) as an open browser tab would: the cost of the live page.
#
# The mock runs on core 0, the generator under test on core 1, 50 connections each, runs
# interleaved (A B C D A B C D ...). Per run: requests/s counted by the server (its ledger),
# the generator's CPU ms (user+sys, GNU time) per 1,000 requests the server counted, its peak
# RSS, and the CPU steal over the run (/proc/stat). Raw runs: $OUT/runs.tsv.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=10s
REPS=5
TOOLS=loadplan,vegeta,hey,wrk
TARGETS=health,messages
CASE50=yes
MAIN=yes
PAUSE=1
CONC=50
while [[ $# -gt 0 ]]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--tools) TOOLS=$2; shift 2 ;;
	--targets) TARGETS=$2; shift 2 ;;
	--no-50ms) CASE50=; shift ;;
	--only-50ms) MAIN=; shift ;;
	--pause) PAUSE=$2; shift 2 ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(seconds "$DURATION")
[[ $REPS -ge 1 ]] || die "--reps must be at least 1"
awk -v d="$DUR_S" 'BEGIN { exit !(d >= 2) }' || die "--duration must be at least 2s"
IFS=, read -r -a TOOL_LIST <<<"$TOOLS"
IFS=, read -r -a TARGET_LIST <<<"$TARGETS"

check_cores
need_tools go time taskset ps jq curl
for t in "${TOOL_LIST[@]}"; do
	case $t in
	loadplan | loadplan-metrics | loadplan-web) ;;
	vegeta | hey | wrk) need_tools "$t" ;;
	*) die "unknown tool $t (loadplan, loadplan-metrics, loadplan-web, vegeta, hey, wrk)" ;;
	esac
done
[[ -n $CASE50 ]] && need_tools wrk
make_out compare
if [[ " ${TOOL_LIST[*]} " == *" loadplan"* || -n $CASE50 ]]; then
	build_loadplan run
else
	build_loadplan
fi
mkdir -p "$OUT/runs"
# Whatever happens, no process outlives its run by more than this.
RUN_TIMEOUT=$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 60 }')
# The server-side rate is measured over the middle of each run: MARGIN seconds after the start
# and before the end are left out (start-up, connection set-up, shut-down).
MARGIN=$(awk -v d="$DUR_S" 'BEGIN { m = d / 10; if (m < 0.5) m = 0.5; if (m > 2) m = 2; print m }')
RUNS=$OUT/runs.tsv
printf 'target\ttool\trep\tserver_reqs\twall_s\trps\trps_whole\tcpu_ms_per_1k\tuser_s\tsys_s\trss_mb\tsteal_pct\tothers_pct\tmock_cpu_pct\texit\tclient_reqs\tnote\n' >"$RUNS"

# Target definitions: the mock path each one counts, and how each tool sends it.
write_targets() {
	printf 'GET %s/health\n' "$MOCK_URL" >"$OUT/health.targets"
	{
		printf 'POST %s/v1/messages\n' "$MOCK_URL"
		printf 'Content-Type: application/json\nx-api-key: bench-not-a-key\nanthropic-version: 2023-06-01\n'
		printf '@%s\n' "$BENCH_DIR/messages.json"
	} >"$OUT/messages.targets"
}

# tool_cmd TOOL TARGET REP: sets CMD, the command line of one run.
tool_cmd() {
	local tool=$1 target=$2 rep=$3 plan path
	case $target in
	health) plan=$BENCH_DIR/plans/health.yaml path=/health ;;
	messages) plan=$BENCH_DIR/plans/messages.yaml path=/v1/messages ;;
	health-50ms) plan=$BENCH_DIR/plans/wait50ms.yaml path=/health ;;
	esac
	case $tool in
	loadplan | loadplan-metrics | loadplan-web)
		CMD=("$LP" run "$plan" --scenario bench --users "$CONC" --run-time "$DURATION" --host "$MOCK_URL"
			--no-budget --quiet --json "$OUT/runs/$target-$tool-$rep.json")
		if [[ $tool == loadplan-metrics ]]; then
			METRICS_PORT=$(free_port)
			CMD+=(--metrics-addr "127.0.0.1:$METRICS_PORT")
		fi
		if [[ $tool == loadplan-web ]]; then
			WEB_PORT=$(free_port)
			CMD+=(--web="127.0.0.1:$WEB_PORT")
		fi ;;
	vegeta)
		CMD=("$VEGETA" attack -rate=0 -workers="$CONC" -max-workers="$CONC" -duration="$DURATION"
			-targets="$OUT/${target%-50ms}.targets" -output=/dev/null) ;;
	hey)
		CMD=(hey -c "$CONC" -z "$DURATION")
		[[ $target == messages ]] && CMD+=(-m POST -T application/json -D "$BENCH_DIR/messages.json"
			-H "x-api-key: bench-not-a-key" -H "anthropic-version: 2023-06-01")
		CMD+=("$MOCK_URL$path") ;;
	wrk)
		CMD=(wrk -t1 -c"$CONC" -d"$DURATION")
		[[ $target == messages ]] && CMD+=(-s "$BENCH_DIR/messages.lua")
		CMD+=("$MOCK_URL$path") ;;
	esac
	PATH_COUNTED=$path
}

# run_one TARGET TOOL REP: one timed, pinned run; appends a line to runs.tsv.
run_one() {
	local target=$1 tool=$2 rep=$3 tf log c0 c1 c2 c3 w0 w1 w2 w3 s0 s1 m0 m1 pid rc=0 note=
	local client=- tok scraper=
	tool_cmd "$tool" "$target" "$rep"
	tf=$OUT/runs/$target-$tool-$rep.time
	log=$OUT/runs/$target-$tool-$rep.log
	c0=$(served "$PATH_COUNTED")
	[[ $tool == loadplan* && $target == messages ]] && tok=$(ledger_tokens)
	m0=$(cpu_ticks "$MOCK_PROC")
	s0=$(cpu_stat)
	w0=$(now)
	BENCH_BODY=$BENCH_DIR/messages.json /usr/bin/time -f '%e %U %S %M' -o "$tf" \
		timeout -k 5 "$RUN_TIMEOUT" taskset -c "$GEN_CPU" "${CMD[@]}" >"$log" 2>&1 &
	pid=$!
	BENCH_PIDS+=("$pid")
	if [[ $tool == loadplan-metrics ]]; then
		# A Prometheus server's scrapes, once a second, from the mock's core.
		timeout -k 5 "$RUN_TIMEOUT" taskset -c "$MOCK_CPU" bash -c \
			'while kill -0 '"$pid"' 2>/dev/null; do curl -s -o /dev/null "http://127.0.0.1:'"$METRICS_PORT"'/metrics"; sleep 1; done' &
		scraper=$!
		BENCH_PIDS+=("$scraper")
	fi
	if [[ $tool == loadplan-web ]]; then
		# An open page: its event stream, read from the mock's core (retried until the page serves).
		timeout -k 5 "$RUN_TIMEOUT" taskset -c "$MOCK_CPU" bash -c \
			'while kill -0 '"$pid"' 2>/dev/null; do curl -sN -o /dev/null "http://127.0.0.1:'"$WEB_PORT"'/events"; sleep 0.2; done' &
		scraper=$!
		BENCH_PIDS+=("$scraper")
	fi
	sleep_until "$(awk -v t="$w0" -v m="$MARGIN" 'BEGIN { printf "%.3f", t + m }')"
	c1=$(served "$PATH_COUNTED")
	w1=$(now)
	sleep_until "$(awk -v t="$w0" -v d="$DUR_S" -v m="$MARGIN" 'BEGIN { printf "%.3f", t + d - m }')"
	c2=$(served "$PATH_COUNTED")
	w2=$(now)
	wait "$pid" || rc=$?
	forget "$pid"
	if [[ -n $scraper ]]; then
		kill_tree "$scraper"
		wait "$scraper" 2>/dev/null || true
		forget "$scraper"
	fi
	w3=$(now)
	s1=$(cpu_stat)
	m1=$(cpu_ticks "$MOCK_PROC")
	c3=$(served "$PATH_COUNTED")
	if [[ $tool == loadplan* && -s $OUT/runs/$target-$tool-$rep.json ]]; then
		client=$(jq -r '.actual.requests' "$OUT/runs/$target-$tool-$rep.json")
		local fails
		fails=$(jq -r '.actual.failures' "$OUT/runs/$target-$tool-$rep.json")
		[[ $fails == 0 ]] || note="failures=$fails"
		if [[ $target == messages ]]; then
			# loadplan's own token count against what the mock billed over the same run.
			local before after mine
			before=$tok
			after=$(ledger_tokens)
			mine=$(jq -r '"\(.actual.tokens.input) \(.actual.tokens.output) \(.actual.tokens.cache_read) \(.actual.tokens.cache_write) \(.actual.cost)"' \
				"$OUT/runs/$target-$tool-$rep.json")
			note="$note$(awk -v a="$before" -v b="$after" -v m="$mine" 'BEGIN {
				split(a, x, " "); split(b, y, " "); split(m, z, " "); d = ""
				for (i = 1; i <= 4; i++) if (y[i] - x[i] != z[i]) d = d sprintf(" tok%d:%d/%d", i, z[i], y[i] - x[i])
				printf "%s", d == "" ? " usage=ledger" : " usage≠ledger" d }')"
		fi
	fi
	[[ $tool == wrk ]] && client=$(awk '/requests in/ { print $1 }' "$log")
	[[ $rc -eq 0 ]] || note="$note see $log"
	awk -v target="$target" -v tool="$tool" -v rep="$rep" -v c0="$c0" -v c1="$c1" -v c2="$c2" -v c3="$c3" \
		-v w1="$w1" -v w2="$w2" -v t="$(tail -1 "$tf" 2>/dev/null)" -v steal="$(steal_pct "$s0" "$s1")" \
		-v s0="$s0" -v s1="$s1" -v mt="$((m1 - m0))" -v hz="$TICKS" \
		-v rc="$rc" -v client="$client" -v note="${note# }" 'BEGIN {
		split(t, x, " "); wall = x[1]; u = x[2]; s = x[3]; rss = x[4] / 1024
		# others: user and system CPU of other processes (not steal, not interrupts, not the
		# generator, not the mock), in % of both cores: what a shared machine takes
		split(s0, a, " "); split(s1, b, " "); dt = b[2] - a[2]
		busy = dt - (b[3] - a[3]) - (b[1] - a[1]) - (b[4] - a[4]) - (u + s) * hz - mt
		others = dt > 0 ? 100 * (busy < 0 ? 0 : busy) / dt : 0
		mockpct = wall > 0 ? 100 * mt / hz / wall : 0
		n = c3 - c0
		rps = (w2 > w1) ? (c2 - c1) / (w2 - w1) : 0
		whole = wall > 0 ? n / wall : 0
		cpu = n > 0 ? 1e6 * (u + s) / n : "-"
		printf "%s\t%s\t%s\t%d\t%.2f\t%.0f\t%.0f\t%s\t%.2f\t%.2f\t%.1f\t%s\t%.1f\t%.0f\t%s\t%s\t%s\n", target, tool, rep, n, wall, rps, whole,
			(cpu == "-" ? "-" : sprintf("%.1f", cpu)), u, s, rss, steal, others, mockpct, rc, client, note
	}' >>"$RUNS"
	tail -1 "$RUNS" | awk -F'\t' '{ printf "  %-12s %-9s rep %s: %6s req/s (server), %7s CPU ms/1k, %6.1f MB, steal %4s %%, others %4s %%, mock %3s %%, exit %s %s\n", $1, $2, $3, $6, $8, $11, $12, $13, $14, $15, $17 }' >&2
	sleep "$PAUSE"
}

# warm_up TARGET: 2 s of wrk on the target, not recorded, so that the first run measured does
# not pay for the mock's start (heap growth, first connections).
warm_up() {
	tool_cmd wrk "$1" 0
	CMD=(wrk -t1 -c"$CONC" -d2s "${CMD[@]:3}")
	BENCH_BODY=$BENCH_DIR/messages.json timeout -k 5 30 taskset -c "$GEN_CPU" "${CMD[@]}" >/dev/null 2>&1 || true
}

echo "loadplan bench/compare.sh: $(machine_line)"
echo "duration $DURATION, $REPS reps, $CONC connections, mock on core $MOCK_CPU, generators on core $GEN_CPU"

if [[ -n $MAIN ]]; then
	MOCK_TIMEOUT=$(awk -v d="$DUR_S" -v r="$REPS" -v n="${#TOOL_LIST[@]}" -v k="${#TARGET_LIST[@]}" \
		'BEGIN { printf "%d", k * r * n * (d + 10) + 120 }')
	start_mock --time-scale 0 --seed 1
	write_targets
	for target in "${TARGET_LIST[@]}"; do
		case $target in health | messages) ;; *) die "unknown target $target (health, messages)" ;; esac
		log "target $target: ${TOOL_LIST[*]} × $REPS, interleaved"
		warm_up "$target"
		for rep in $(seq "$REPS"); do
			for tool in "${TOOL_LIST[@]}"; do
				run_one "$target" "$tool" "$rep"
			done
		done
	done
	stop_mock
fi

if [[ -n $CASE50 ]]; then
	# The 50 ms case: a server that takes 50 ms, 50 users that do not wait, loadplan vs wrk.
	MOCK_TIMEOUT=$(awk -v d="$DUR_S" -v r="$REPS" 'BEGIN { printf "%d", 2 * r * (d + 10) + 120 }')
	start_mock --config "$BENCH_DIR/mock/latency-50ms.yaml" --time-scale 1 --seed 1
	write_targets
	log "target health-50ms: loadplan wrk × $REPS, interleaved"
	warm_up health-50ms
	for rep in $(seq "$REPS"); do
		for tool in loadplan wrk; do
			run_one health-50ms "$tool" "$rep"
		done
	done
	stop_mock
fi

echo
echo "load average after: $(load_average)"
awk -f "$BENCH_DIR/summarise.awk" "$RUNS"
echo
echo "raw runs ($RUNS): rps = server-counted requests/s over the middle of the run; rps_whole over the process's lifetime"
column -t -s $'\t' "$RUNS" 2>/dev/null || cat "$RUNS"
