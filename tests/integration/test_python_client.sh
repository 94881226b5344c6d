#!/usr/bin/env bash
# test_python_client.sh - the official Kubernetes Python client (Debian python3-kubernetes)
# against `sluice sim`: starts $SLUICE sim on 127.0.0.1:0 and runs test_python_client.py with
# the kubeconfig it writes. Exit 77 (CTest: skipped) when no python3 can import kubernetes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# pyenv and virtualenvs may shadow the Debian interpreter that has the package
py=""
for cand in python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import kubernetes' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
if [ -z "$py" ]; then
    echo "SKIP: the Python kubernetes client is not installed (apt-get install python3-kubernetes)"
    exit 77
fi

. "$here/lib.bash"
start_sim --time-scale 20

echo "python client $("$py" -c 'import kubernetes; print(kubernetes.__version__)') ($py)"
status=0
timeout 120 "$py" "$here/test_python_client.py" "$tmp/kc" || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL: the sim is gone"
    status=1
else
    # stop it as a user would: a clean exit, and no sanitizer report (leaks show at exit)
    kill "$pid"
    sim_rc=0
    wait "$pid" || sim_rc=$?
    pid=
    if [ "$sim_rc" -ne 0 ] || grep -q "Sanitizer\|runtime error" "$tmp/sim.log"; then
        echo "FAIL: the sim exited with $sim_rc or reported a sanitizer error"
        status=1
    fi
fi
if [ "$status" -ne 0 ]; then
    echo "--- sim log"
    tail -50 "$tmp/sim.log"
fi
exit "$status"
