# lib.bash - sourced by the shell integration tests (kubectl.sh, test_deploy.sh, test_cli.sh,
# test_python_client.sh): a temporary directory, a `sluice sim` child and its cleanup, and the
# step helpers. Named .bash, not .sh, because CMake registers every tests/integration/*.sh as a
# test.
#
# Sourcing it needs SLUICE (the sluice binary) and sets:
#   tmp   a fresh temporary directory, removed on exit (step output goes to $tmp/out)
#   pid   the sim started by start_sim (empty before); killed and reaped on exit
# and an EXIT trap that calls cleanup_extra first when the test defines it (for its own
# background processes), then stops the sim and removes $tmp.
# RUN_TIMEOUT (seconds, default 30) bounds each `run` step.
: "${SLUICE:?SLUICE must point at the sluice binary}"
tmp=$(mktemp -d /tmp/slu-"$(basename "$0" .sh)"-XXXXXX)
pid=
cleanup() {
    if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# fail MESSAGE: says why, shows the last step's output (and stderr when kept apart) and the end
# of the sim's log, and exits 1
fail() {
    echo "FAIL: $*"
    echo "--- last output:"; cat "$tmp/out" 2>/dev/null
    if [ -e "$tmp/err" ]; then echo "--- last stderr:"; cat "$tmp/err"; fi
    echo "--- sim log:"; tail -20 "$tmp/sim.log" 2>/dev/null
    exit 1
}

# run STEP CMD...: runs CMD (must succeed within RUN_TIMEOUT), stdout and stderr to $tmp/out
run() {
    local step=$1; shift
    timeout "${RUN_TIMEOUT:-30}" "$@" >"$tmp/out" 2>&1 || fail "$step: exit $? from: $*"
}

# expect PATTERN [FILE]: the last output (or FILE) matches PATTERN (extended regex)
expect() {
    grep -Eq -- "$1" "${2:-$tmp/out}" || fail "expected /$1/ in ${2:-the output}"
}

# start_sim [ARG...]: starts `$SLUICE sim --listen 127.0.0.1:0 --kubeconfig-out $tmp/kc ARG...`
# (stderr to $tmp/sim.log) in the background as $pid, waits up to 10 s for the kubeconfig, and
# exports KUBECONFIG=$tmp/kc. Fails the test when the sim exits first or writes none.
start_sim() {
    "$SLUICE" sim --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kc" "$@" 2>"$tmp/sim.log" &
    pid=$!
    for _ in $(seq 100); do
        [ -s "$tmp/kc" ] && break
        kill -0 "$pid" 2>/dev/null || fail "the sim exited before serving"
        sleep 0.1
    done
    [ -s "$tmp/kc" ] || fail "the sim did not write its kubeconfig"
    export KUBECONFIG=$tmp/kc
}
