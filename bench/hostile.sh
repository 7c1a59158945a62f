#!/usr/bin/env bash
# bench/hostile.sh: loadplan's memory against a hostile target, whose answers never end
# (bench/hostile: endless bodies and streams, 10 GB each at most). 25 users run each case for
# a while; the figure that matters is loadplan's peak RSS (the target: under 200 MB). It also
# prints the requests, their failures, and the bytes the server sent. See bench/README.md.
#
#   bench/hostile.sh [--users 25] [--duration 20s]
#
# The cases: "body", a JSON body whose string never ends, read for a check, a capture and its
# usage, and a body of zero bytes read for its usage (both over the 16 MiB cap); "sse", an
# SSE line that never ends (over 4 MiB); "events", SSE data lines that never end their event.
# The server runs on core 0, loadplan on core 1, as loadplan run sets its GC (GOGC 400 at 25
# users) unless GOGC is in the environment.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS=25
DURATION=20s
while [[ $# -gt 0 ]]; do
	case $1 in
	--users) USERS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
DUR_S=$(seconds "$DURATION")

check_cores
need_tools go time taskset ps jq curl
make_out hostile
build_loadplan run
HOSTILE=$OUT/hostile
(cd "$REPO" && go build -o "$HOSTILE" ./bench/hostile) || die "go build ./bench/hostile failed"

{
	echo "loadplan bench/hostile.sh: $(machine_line)"
	echo "$USERS users, $DURATION per case, endless answers from bench/hostile on 127.0.0.1"
} | tee "$OUT/summary.txt"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
timeout -k 5 "$(awk -v d="$DUR_S" 'BEGIN { printf "%d", 4 * (d + 60) }')" taskset -c "$MOCK_CPU" \
	"$HOSTILE" -addr "127.0.0.1:$PORT" >"$OUT/hostile.log" 2>&1 &
BENCH_PIDS+=("$!")
for _ in $(seq 100); do
	curl -sf -o /dev/null "$URL/health" && break
	sleep 0.1
done
curl -sf -o /dev/null "$URL/health" || die "bench/hostile did not start at $URL"

# plan CASE: the plan of one case.
plan() {
	local tasks
	case $1 in
	body) tasks='
  checked:
    request: {method: POST, path: /json, json: {max_tokens: 100}}
    check: {json: {$.reply: exists}}
    capture: {id: $.id}
    expect: {input_tokens: 10, output_tokens: 20}
  zeros:
    request: {method: POST, path: /zeros, json: {max_tokens: 100}}
    expect: {input_tokens: 10, output_tokens: 20}' ;;
	sse) tasks='
  line:
    request: {method: POST, path: /sse, json: {max_tokens: 100}, stream: true}
    expect: {input_tokens: 10, output_tokens: 20}' ;;
	events) tasks='
  events:
    request: {method: POST, path: /events, json: {max_tokens: 100}, stream: true}
    expect: {input_tokens: 10, output_tokens: 20}' ;;
	esac
	cat <<PLAN
version: 1
name: bench-hostile-$1
target: $URL
pricing: {model: claude-sonnet-4-5}
defaults: {usage: anthropic, timeout: 30s}
tasks:$tasks
scenarios:
  bench: {users: $USERS, duration: $DURATION}
PLAN
}

printf '\n%-7s %9s %9s %9s %10s  %s\n' case "peak RSS" requests failures "served MB" failures | tee -a "$OUT/summary.txt"
for c in body sse events; do
	plan "$c" >"$OUT/$c.yaml"
	s0=$(curl -sf "$URL/_served")
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/$c.time" \
		timeout -k 10 "$(awk -v d="$DUR_S" 'BEGIN { printf "%d", d + 60 }')" taskset -c "$GEN_CPU" \
		"$LP" run "$OUT/$c.yaml" --scenario bench --no-budget --quiet --json "$OUT/$c.json" >"$OUT/$c.log" 2>&1 || true
	s1=$(curl -sf "$URL/_served")
	read -r _ _ _ rss_kb <"$OUT/$c.time"
	jq -r --arg c "$c" --arg rss "$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f MB", k / 1024 }')" \
		--arg mb "$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.0f", (b - a) / 1048576 }')" \
		'"\($c)\t\($rss)\t\(.actual.requests)\t\(.actual.failures)\t\($mb)\t\([.failures[] | "\(.task): \(.error) ×\(.occurrences)"] | join("; "))"' \
		"$OUT/$c.json" | awk -F'\t' '{ printf "%-7s %9s %9s %9s %10s  %s\n", $1, $2, $3, $4, $5, $6 }' | tee -a "$OUT/summary.txt"
done
