#!/usr/bin/env bash
# bench/fuzz.sh: a fuzzing campaign over every fuzz target of the module, one after the
# other, each for SECONDS seconds with one worker, and the executions of each and in all.
# Each target holds its inputs to a time and allocation budget (internal/fuzzcheck); a crash
# is left in the package's testdata/fuzz/ by go test (keep it there as a regression seed).
# See bench/README.md.
#
#   bench/fuzz.sh [--time 60] [--only REGEXP]
#
# Each target runs as
#   go test -run '^$' -fuzz '^FuzzX$' -fuzztime Ns -fuzzminimizetime 1s -parallel 1 ./pkg/
# and its executions are the last "execs:" figure go test prints. Exit 1 if any target failed.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

SECONDS_EACH=60
ONLY=.
while [[ $# -gt 0 ]]; do
	case $1 in
	--time) SECONDS_EACH=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) echo "usage: bench/fuzz.sh [--time SECONDS] [--only REGEXP]" >&2; exit 2 ;;
	esac
done

total=0
failed=0
LOG=$(mktemp -d)
trap '[[ $failed == 0 ]] && rm -rf "$LOG" || echo "the logs of the failed targets: $LOG" >&2' EXIT
printf '%-34s %12s %10s  %s\n' target execs per_s result
while IFS=: read -r file _ decl; do
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$decl")
	pkg=./$(dirname "${file#./}")
	[[ "$pkg:$name" =~ $ONLY ]] || continue
	out=$LOG/$name.$(tr / _ <<<"$pkg").log
	result=ok
	corpus=$pkg/testdata/fuzz/$name
	before=$({ ls "$corpus" 2>/dev/null || true; } | wc -l) # none yet: a new target
	# A bound on top of -fuzztime: the build, the seed corpus and a last minimisation.
	if ! timeout $((SECONDS_EACH + 300)) go test -run '^$' -fuzz "^${name}\$" -fuzztime "${SECONDS_EACH}s" \
		-fuzzminimizetime 1s -parallel 1 "$pkg" >"$out" 2>&1; then
		result=FAIL
		# Go's fuzzing coordinator may fail a target with a bare "context deadline exceeded"
		# as -fuzztime ends (a race in internal/fuzz on a busy machine): no input failed and
		# none was written. That is not a finding; a written crasher is.
		if [[ $({ ls "$corpus" 2>/dev/null || true; } | wc -l) == "$before" ]] && grep -q '^    context deadline exceeded$' "$out" &&
			! grep -qE 'Failing input|panic:' "$out"; then
			result="ok (go's fuzztime deadline race, no failing input)"
		else
			failed=1
		fi
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
	total=$((total + execs))
	printf '%-34s %12d %10d  %s\n' "${pkg#./}.$name" "$execs" $((execs / SECONDS_EACH)) "$result"
	if [[ $result == FAIL ]]; then
		grep -E -A3 -- '--- FAIL|Failing input|panic:|budget' "$out" | head -20 | sed 's/^/    /'
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
printf '%-34s %12d\n' total "$total"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); ${SECONDS_EACH}s per target, -parallel 1, $(nproc) CPUs, $(go version | cut -d' ' -f3)"
exit $failed
