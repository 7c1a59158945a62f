# Shared by the bench scripts (sourced, not run). Bash only; needs Linux (/proc, taskset).
#
# Every script: builds loadplan from this checkout, installs the tools it needs, sends load only
# to a mock it starts on 127.0.0.1, bounds every process with `timeout`, and stops every
# process it started when it exits (trap EXIT), also on Ctrl-C.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
VEGETA_VERSION=v12.13.0

log() { printf '[%s %s] %s\n' "${0##*/}" "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# The processes this script started (their ids); cleanup stops them and their children.
BENCH_PIDS=()

# kill_tree PID: stops PID and its descendants, children first (by process id only).
kill_tree() {
	local pid=$1 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		kill_tree "$child"
	done
	kill -TERM "$pid" 2>/dev/null || true
}

cleanup() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		kill_tree "$pid"
	done
	for pid in "${BENCH_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	BENCH_PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# forget PID: a process that ended on its own need not be stopped.
forget() {
	local pid keep=()
	for pid in "${BENCH_PIDS[@]}"; do
		[[ $pid == "$1" ]] || keep+=("$pid")
	done
	BENCH_PIDS=("${keep[@]+"${keep[@]}"}")
}

# seconds DURATION: "10s", "2m", "1m30s", "500ms" or a bare number of seconds → seconds (float).
seconds() {
	local d=$1
	[[ $d =~ ^[0-9.]+$ ]] && {
		echo "$d"
		return
	}
	awk -v d="$d" 'BEGIN {
		t = 0; s = d
		while (s != "") {
			if (!match(s, /^[0-9.]+(ms|h|m|s)/)) { print "bad duration " d > "/dev/stderr"; exit 1 }
			tok = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
			n = tok + 0; u = tok; sub(/^[0-9.]+/, "", u)
			t += n * (u == "ms" ? 0.001 : u == "s" ? 1 : u == "m" ? 60 : 3600)
		}
		print t
	}'
}

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo
APT_UPDATED=
apt_install() { # apt_install PACKAGE...: Debian/Ubuntu packages
	command -v apt-get >/dev/null || die "install $* (no apt-get here)"
	if [[ -z $APT_UPDATED ]]; then
		$SUDO apt-get update -qq >&2
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

# need_tools TOOL...: installs what is missing. Tools: time taskset ps jq curl hey wrk vegeta go.
need_tools() {
	local t
	for t in "$@"; do
		case $t in
		time) [[ -x /usr/bin/time ]] || apt_install time ;;
		taskset) command -v taskset >/dev/null || apt_install util-linux ;;
		ps) command -v ps >/dev/null || apt_install procps ;;
		jq | curl | hey | wrk) command -v "$t" >/dev/null || apt_install "$t" ;;
		go) command -v go >/dev/null || die "Go is needed to build loadplan (https://go.dev/dl/)" ;;
		vegeta)
			VEGETA=$(command -v vegeta || true)
			local gobin
			gobin=$(go env GOBIN)
			[[ -n $gobin ]] || gobin="$(go env GOPATH)/bin"
			if [[ -z $VEGETA && -x $gobin/vegeta ]]; then
				VEGETA=$gobin/vegeta
			fi
			if [[ -z $VEGETA ]]; then
				log "installing vegeta $VEGETA_VERSION (go install)"
				GOFLAGS= go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >&2
				VEGETA=$gobin/vegeta
			fi
			;;
		*) die "need_tools: unknown tool $t" ;;
		esac
	done
}

# The machine must have two cores for the pinning (mock on core 0, generator on core 1).
check_cores() {
	local n
	n=$(nproc --all)
	[[ $n -ge 2 ]] || die "these benchmarks pin the mock to core 0 and the load generator to core 1: $n core(s) here"
	MOCK_CPU=${BENCH_MOCK_CPU:-0}
	GEN_CPU=${BENCH_GEN_CPU:-1}
}

# OUT: where a script writes its raw results; BENCH_OUT overrides.
make_out() {
	OUT=${BENCH_OUT:-$REPO/bench/results/$1-$(date +%Y%m%d-%H%M%S)}
	mkdir -p "$OUT"
	log "results in $OUT"
}

# build_loadplan [run]: LP is a loadplan built from this checkout (BENCH_LOADPLAN=PATH uses
# a binary already built instead); with "run", one that has the run command.
build_loadplan() {
	if [[ -n ${BENCH_LOADPLAN:-} ]]; then
		LP=$BENCH_LOADPLAN
		log "using $LP (BENCH_LOADPLAN)"
	else
		build_loadplan_here
	fi
	if [[ ${1:-} == run ]]; then
		[[ $("$LP" run --help 2>&1 || true) == *--no-budget* ]] || die "this loadplan has no run command yet"
	fi
}

build_loadplan_here() {
	LP=$OUT/loadplan
	log "building loadplan ($(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$REPO" && git diff --quiet HEAD -- . 2>/dev/null || echo '+changes'))"
	(cd "$REPO" && go build -o "$LP" ./cmd/loadplan) || die "go build ./cmd/loadplan failed"
}

# free_port: a loopback TCP port nothing listens on.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# start_mock ARGS...: runs `loadplan mock ARGS` pinned to MOCK_CPU on a free loopback port,
# bounded by MOCK_TIMEOUT seconds; sets MOCK_URL, MOCK_PID (the timeout process) and MOCK_PROC
# (the mock) and waits until it answers. A port taken between the check and the bind (another
# program's) is retried on another port.
start_mock() {
	local port attempt
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		MOCK_URL=http://127.0.0.1:$port
		timeout -k 5 "${MOCK_TIMEOUT:-3600}" taskset -c "$MOCK_CPU" "$LP" mock --addr "127.0.0.1:$port" "$@" \
			>"$OUT/mock.log" 2>&1 &
		MOCK_PID=$!
		BENCH_PIDS+=("$MOCK_PID")
		for _ in $(seq 100); do
			if curl -sf -o /dev/null "$MOCK_URL/health"; then
				MOCK_PROC=$(generator_pid "$MOCK_PID" 1)
				log "mock ($*) at $MOCK_URL on core $MOCK_CPU"
				return
			fi
			kill -0 "$MOCK_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_mock
		grep -q "address already in use" "$OUT/mock.log" || break
		log "port $port was taken: trying another"
	done
	cat "$OUT/mock.log" >&2
	die "the mock did not start at $MOCK_URL"
}

stop_mock() {
	kill_tree "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	forget "$MOCK_PID"
}

# served PATH: how many requests the mock has answered on PATH so far, any status (its
# ledger). Deltas of this count are the requests the server saw. (The ledger is read, never
# reset: POST /_mock/reset is not needed for a delta.)
served() {
	curl -sf "$MOCK_URL/_mock/ledger" | jq --arg p "$1" '[(.requests[$p] // {})[]] | add // 0'
}

# served_all: how many requests the mock has answered on all its paths, any status.
served_all() {
	curl -sf "$MOCK_URL/_mock/ledger" | jq '[.requests[][]] | add // 0'
}

# ledger_tokens: the ledger's token totals, as "input output cache_read cache_write cost".
ledger_tokens() {
	curl -sf "$MOCK_URL/_mock/ledger" | jq -r '"\(.tokens.input) \(.tokens.output) \(.tokens.cache_read) \(.tokens.cache_write) \(.cost)"'
}

# cpu_stat: "steal total idle irq" clock ticks of all CPUs from /proc/stat (total =
# user..steal, idle = idle + iowait, irq = irq + softirq: the kernel's packet processing,
# which no process is charged for and which grows with the request rate).
cpu_stat() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t, $5 + $6, $7 + $8; exit }' /proc/stat
}

# cpu_ticks PID: the user+system clock ticks PID has used so far (0 when it is gone).
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# clock ticks per second (/proc/stat's unit)
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)

# steal_pct "S0 T0" "S1 T1": CPU steal over an interval, in % of all CPU time.
steal_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		dt = y[2] - x[2]; printf "%.1f", (dt > 0 ? 100 * (y[1] - x[1]) / dt : 0) }'
}

now() { date +%s.%N; }

# sleep_until T: sleeps until the epoch time T (float), if it is in the future.
sleep_until() {
	local d
	d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$d"
}

# vmrss PID: the resident set of PID in kB (0 when it is gone).
vmrss() {
	awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

# machine_line: one line that says where and when a benchmark ran.
machine_line() {
	printf '%s · %s · %s cores (%s) · Go %s · load average %s\n' \
		"$(date -u +'%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(nproc --all)" \
		"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
		"$(go env GOVERSION 2>/dev/null | sed 's/^go//')" "$(load_average)"
}

# generator_pid PID [DEPTH]: the process that `/usr/bin/time timeout taskset CMD` (started as
# PID) runs, once it is there: taskset execs CMD, so it is PID's grandchild (DEPTH 2; for
# `timeout taskset CMD`, DEPTH 1). Waits up to 10 s.
generator_pid() {
	local p d
	for _ in $(seq 100); do
		p=$1
		for d in $(seq "${2:-2}"); do
			[[ -n $p ]] && p=$(ps -o pid= --ppid "$p" 2>/dev/null | head -1 | tr -d ' ' || true)
		done
		if [[ -n $p ]]; then
			echo "$p"
			return
		fi
		sleep 0.1
	done
	die "the process started as $1 did not start its command"
}

# gc_last LOG: from a Go program's GODEBUG=gctrace=1 output, the last collection's heap live
# after it and its goroutine stacks, as "HEAP_MB STACKS_MB" ("- -" before the first one).
gc_last() {
	awk '/^gc [0-9]+ @/ { for (i = 1; i <= NF; i++) { if ($i ~ /->.*->/) { split($i, h, "->"); live = h[3] }
		if ($(i + 1) == "MB" && $(i + 2) == "stacks,") st = $i } }
		END { print (live == "" ? "-" : live), (st == "" ? "-" : st) }' "$1" 2>/dev/null || echo "- -"
}

# fd_count PID: open file descriptors of PID (its sockets, mostly).
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}
