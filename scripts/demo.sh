#!/usr/bin/env bash
# make demo: a simulated cluster, the SparkApplication CRDs, `sluice operator`, and Spark
# applications submitted with spark-submit's command line and with Kubeflow YAML, followed to
# their end. Needs nothing but the sluice binary (kubectl is used for one extra view if present).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

step "Starting sluice sim: 4 nodes of 8 cores / 32 GiB, model time 20x real time"
"$SLUICE" sim --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kubeconfig" --nodes 4x8c32Gi \
    --time-scale 20 2>"$tmp/sim.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/kubeconfig" ] && break; sleep 0.1; done
[ -s "$tmp/kubeconfig" ] || { echo "sim did not start:"; cat "$tmp/sim.log"; exit 1; }
export KUBECONFIG="$tmp/kubeconfig"
grep server: "$KUBECONFIG"

step "Installing the CRDs (sparkoperator.k8s.io/v1beta2) and the driver service account"
run "$SLUICE" apply -f "$root/deploy/crds/sparkoperator.k8s.io_sparkapplications.yaml"
run "$SLUICE" apply -f "$root/deploy/crds/sparkoperator.k8s.io_scheduledsparkapplications.yaml"
run "$SLUICE" apply -f "$root/deploy/spark-rbac.yaml"

step "Starting sluice operator (leader election on, metrics on 127.0.0.1)"
"$SLUICE" operator --leader-elect --lease-namespace default --metrics-listen 127.0.0.1:0 \
    --log-level warn 2>"$tmp/operator.log" &
pids+=($!)

step "spark-submit's command line: SparkPi through the operator, followed to its end"
run "$SLUICE" submit --name spark-pi --class org.apache.spark.examples.SparkPi \
    --conf spark.kubernetes.container.image=apache/spark:4.0.4 \
    --conf spark.executor.instances=3 --executor-memory 2g --executor-cores 2 \
    --conf spark.kubernetes.driver.annotation.sim.sluice.dev/work-core-seconds=120 \
    --wait local:///opt/spark/examples/jars/spark-examples.jar 1000

step "Three more at once with --wait (one fails on purpose); the last line of each"
subs=()
for n in 1 2; do
    "$SLUICE" submit --name "etl-$n" --class com.example.Etl \
        --conf spark.kubernetes.container.image=apache/spark:4.0.4 \
        --conf spark.executor.instances=$((n + 1)) \
        --wait local:///opt/app/etl.jar "--day=2026-11-2$n" 2>&1 | tail -1 &
    subs+=($!)
done
"$SLUICE" submit --name broken --class com.example.Broken \
    --conf spark.kubernetes.container.image=apache/spark:4.0.4 \
    --conf spark.kubernetes.driver.annotation.sim.sluice.dev/fail=driver \
    --wait local:///opt/app/broken.jar 2>&1 | tail -1 &
subs+=($!)
for p in "${subs[@]}"; do wait "$p" || true; done

step "Kubeflow YAML, unchanged: the operator's own PySpark example"
run "$SLUICE" apply -f "$root/tests/data/demo/spark-pi-python.yaml"

step "Waiting for all applications to finish"
for _ in $(seq 1 120); do
    states=$("$SLUICE" get apps -o json | grep -c '"state": "\(COMPLETED\|FAILED\)"' || true)
    total=$("$SLUICE" get apps -o name | wc -l)
    [ "$states" -ge "$total" ] && break
    sleep 0.5
done
run "$SLUICE" get apps -o wide

step "The driver log of spark-pi (the end of it)"
run "$SLUICE" logs "$("$SLUICE" get apps -o name | grep -m1 '/spark-pi' | cut -d/ -f2)" --tail 8

step "Why 'broken' failed"
run "$SLUICE" describe app "$("$SLUICE" get apps -o name | grep -m1 '/broken' | cut -d/ -f2)" | \
    grep -iE 'state|error|exit' | head -8

if command -v kubectl >/dev/null; then
    step "kubectl sees the same objects"
    run kubectl get sparkapplications
fi
step "Done"
