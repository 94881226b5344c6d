#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from fuzz/corpus/<name>/.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    short=${name#fuzz_}
    work="$root/fuzz/corpus-work/$short"
    mkdir -p "$work"
    seeds=()
    [ -d "$root/fuzz/corpus/$short" ] && seeds+=("$root/fuzz/corpus/$short")
    echo "== $name for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 "$work" "${seeds[@]}" 2>&1 | tail -3; then
        status=1
    fi
done
exit $status
