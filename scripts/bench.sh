#!/usr/bin/env bash
# make bench: builds the benchmarks, runs each one (each bounded by a timeout), prints a summary.
#
# Usage: scripts/bench.sh [BUILD_DIR]      (default: build)
# Environment: WRITES_N (20000 requests per phase), INFORMER_N (100000 pods), WATCH_N (100000
# events), BENCH_TIMEOUT (seconds per benchmark, default 150). Figures and how to read them:
# docs/benchmarks.md.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
WRITES_N=${WRITES_N:-20000}
INFORMER_N=${INFORMER_N:-100000}
WATCH_N=${WATCH_N:-100000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-150}

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
fi
cmake --build "$build" -j2 --target sluice bench_sim_writes bench_informer bench_watch || exit 1
SLUICE="$build/sluice"
export SLUICE

out=$(mktemp)
trap 'rm -f "$out"' EXIT
failed=()

run() { # name args...
    local name=$1
    shift
    printf '\n\033[1m== %s\033[0m\n' "$name"
    local t0=$SECONDS
    timeout --signal=TERM --kill-after=10 "$BENCH_TIMEOUT" "$build/$name" "$SLUICE" "$@" | tee -a "$out" |
        grep -v '^RESULT '
    local rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 124 ] && echo "$name: timed out after ${BENCH_TIMEOUT}s" >&2
        failed+=("$name (exit $rc)")
    fi
    echo "($name took $((SECONDS - t0)) s)"
}

printf 'Machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
run bench_sim_writes "$WRITES_N"
run bench_informer "$INFORMER_N"
run bench_watch "$WATCH_N"

# RESULT lines: "RESULT bench=B phase=P key=value ..." -> "B.P.key value"
get() { awk -v want="$1" '$1 == "RESULT" {
        b = ""; p = "";
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "bench") b = kv[2]; if (kv[1] == "phase") p = kv[2] }
        for (i = 2; i <= NF; i++) { split($i, kv, "="); if (b "." p "." kv[1] == want) v = kv[2] }
    } END { print (v == "" ? "-" : v) }' "$out"; }

printf '\n\033[1m== Summary\033[0m (%s cores, load average now %s)\n' "$(nproc)" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'sim writes (4 threads):   pod create %s/s (aim >= 5000: %s); raw libcurl POST %s/s (create/raw %s); GET %s/s; store in-process %s/s\n' \
    "$(get sim_writes.summary.create_per_second)" "$(get sim_writes.summary.met)" \
    "$(get sim_writes.raw-post.per_second)" "$(get sim_writes.summary.create_vs_raw)" \
    "$(get sim_writes.get.per_second)" "$(get sim_writes.store.per_second)"
printf '                          CPU per create: client %s us, sim %s us\n' \
    "$(get sim_writes.create.client_cpu_us)" "$(get sim_writes.create.sim_cpu_us)"
rss=$(get informer.compact.rss_mb)
met=$(awk -v r="$rss" 'BEGIN { if (r == "-") print "-"; else print (r + 0 <= 150 ? "yes" : "no") }')
printf 'informer (%s pods):   compact+projection sync %s s, RSS %s MB (aim <= 150 MB: %s)\n' \
    "$INFORMER_N" "$(get informer.compact.sync_seconds)" "$rss" "$met"
printf '                          projection only %s s / %s MB; full objects %s s / %s MB; plain paged list %s s\n' \
    "$(get informer.projected.sync_seconds)" "$(get informer.projected.rss_mb)" \
    "$(get informer.full.sync_seconds)" "$(get informer.full.rss_mb)" \
    "$(get informer.list.seconds)"
printf 'watch (%s events):    client %s events/s; raw HTTP %s events/s; client/raw %s\n' \
    "$WATCH_N" "$(get watch.summary.client_per_second)" "$(get watch.summary.raw_per_second)" \
    "$(get watch.summary.client_vs_raw)"
printf '                          CPU per event: client %s us, sim %s us\n' \
    "$(get watch.summary.client_cpu_us)" "$(get watch.summary.sim_cpu_us)"
echo "Wall-clock rates depend on the load of the machine; the CPU figures much less (docs/benchmarks.md)."
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
