#!/usr/bin/env bash
# make demo: starts `sluice sim` with a few nodes and shows a real kubectl working against it.
set -euo pipefail
SLUICE=${1:-build/sluice}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
cleanup() { [ -n "${simpid:-}" ] && kill "$simpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting sluice sim (3 nodes of 8 cores / 32 GiB)"
"$SLUICE" sim --listen 127.0.0.1:0 --kubeconfig-out "$tmp/kubeconfig" --nodes 3x8c32Gi \
    --time-scale 5 2>"$tmp/sim.log" &
simpid=$!
for _ in $(seq 1 100); do [ -s "$tmp/kubeconfig" ] && break; sleep 0.1; done
[ -s "$tmp/kubeconfig" ] || { echo "sim did not start:"; cat "$tmp/sim.log"; exit 1; }
export KUBECONFIG="$tmp/kubeconfig"
grep server "$KUBECONFIG"

if ! command -v kubectl >/dev/null; then
    echo "kubectl is not installed: the demo shows the API through curl instead"
    server=$(awk '/server:/ {print $2}' "$KUBECONFIG")
    curl -s "$server/api/v1/nodes" | head -c 600; echo
    exit 0
fi

step "kubectl get nodes"
kubectl get nodes -o wide
step "kubectl create a pod that runs for 3 seconds"
kubectl apply -f - <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: hello
  annotations:
    sim.sluice.dev/run-seconds: "3"
spec:
  containers:
  - name: main
    image: busybox
    resources:
      requests: {cpu: 500m, memory: 256Mi}
YAML
kubectl wait --for=condition=Ready pod/hello --timeout=30s || true
kubectl get pods -o wide
step "kubectl logs hello"
sleep 1
kubectl logs hello || true
step "A CustomResourceDefinition and an object of it"
kubectl apply -f "$root/tests/data/crd-widget.yaml"
kubectl wait --for=condition=Established crd/widgets.demo.sluice.dev --timeout=10s
kubectl apply -f - <<'YAML'
apiVersion: demo.sluice.dev/v1
kind: Widget
metadata:
  name: w1
spec:
  size: 3
YAML
kubectl get widgets
step "Done: the simulated cluster serves the Kubernetes API"
