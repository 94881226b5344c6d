#!/usr/bin/env bash
# kubectl.sh - drives the real kubectl (1.32 on the machine image) against `sluice sim`: get,
# create, apply -f (a CRD, then objects of it), wait for Established, label, annotate, patch
# (merge and json), logs, get -w, delete. Each step's output is checked with grep. The sim is
# started through its command line (src/cli/cmd_sim.c).
set -u
if ! command -v kubectl >/dev/null 2>&1; then
    echo "SKIP: kubectl not found"
    exit 77
fi
SRC=${SLU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RUN_TIMEOUT=20
. "$(dirname "$0")/lib.bash"

start_sim --time-scale 10
grep -q "serving on http://127.0.0.1:" "$tmp/sim.log" || fail "no 'serving on' line"
K="kubectl --request-timeout=15s"

run "get namespaces" $K get namespaces
expect '^default +Active'
expect '^kube-system +Active'
run "get nodes" $K get nodes
expect 'Ready'
run "get default sa" $K get serviceaccount default -n kube-system
expect '^default '

# built-in objects: create, apply (twice), label, annotate, patch
run "create cm" $K create configmap cm1 --from-literal=a=1
expect 'configmap/cm1 created'
run "create again" bash -c "$K create configmap cm1 --from-literal=a=1 2>&1; true"
expect 'AlreadyExists|already exists'
cat >"$tmp/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: worker
  labels:
    app: demo
  annotations:
    sim.sluice.dev/run-seconds: "3"
spec:
  containers:
  - name: main
    image: busybox:1.36
YAML
run "apply pod" $K apply -f "$tmp/pod.yaml"
expect 'pod/worker created'
run "apply pod again" $K apply -f "$tmp/pod.yaml"
expect 'pod/worker unchanged'
run "label" $K label pod worker tier=backend
expect 'pod/worker labeled'
run "annotate" $K annotate pod worker note=hello
expect 'pod/worker annotated'
run "get labels" $K get pod worker --show-labels
expect 'tier=backend'
run "patch merge" $K patch configmap cm1 --type=merge -p '{"data":{"b":"2"}}'
expect 'configmap/cm1 patched'
run "patch json" $K patch configmap cm1 --type=json -p '[{"op":"add","path":"/data/c","value":"3"}]'
expect 'configmap/cm1 patched'
run "get cm" $K get configmap cm1 -o jsonpath='{.data.a}{.data.b}{.data.c}'
expect '^123$'
run "strategic patch" $K patch pod worker -p '{"metadata":{"labels":{"smp":"yes"}}}'
expect 'pod/worker patched'

# the pod runs (kubelet model) and writes a log
for _ in $(seq 100); do
    $K get pod worker -o jsonpath='{.status.phase}' >"$tmp/out" 2>&1
    grep -Eq 'Running|Succeeded' "$tmp/out" && break
    sleep 0.1
done
expect 'Running|Succeeded'
run "get pods" $K get pods
expect '^worker +[01]/1 '
run "logs" $K logs worker
[ -s "$tmp/out" ] || fail "empty log"
run "logs -f" $K logs -f worker --tail=1
[ -s "$tmp/out" ] || fail "empty followed log"

# watch in the background while objects change
timeout 6 $K get configmaps -w >"$tmp/watch" 2>&1 &
wpid=$!
sleep 1
run "create cm2" $K create configmap cm2 --from-literal=x=y
run "delete cm2" $K delete configmap cm2
expect 'configmap "cm2" deleted'
wait $wpid
cp "$tmp/watch" "$tmp/out"
expect '^cm1 '
expect '^cm2 '

# a CRD, then objects of it
run "apply crd" $K apply -f "$SRC/tests/data/crd-gizmo-sim.yaml"
expect 'customresourcedefinition.apiextensions.k8s.io/gizmos.simtest.sluice.dev created'
run "wait established" $K wait --for=condition=Established crd/gizmos.simtest.sluice.dev --timeout=10s
expect 'condition met'
cat >"$tmp/gizmo.yaml" <<'YAML'
apiVersion: simtest.sluice.dev/v1
kind: Gizmo
metadata:
  name: g1
spec:
  gears: 3
YAML
run "apply gizmo" $K apply -f "$tmp/gizmo.yaml"
expect 'gizmo.simtest.sluice.dev/g1 created'
run "get gizmos" $K get gz
expect '^NAME +GEARS +PHASE +AGE'
expect '^g1 +3 '
run "defaulted" $K get gizmo g1 -o jsonpath='{.spec.mode}'
expect '^slow$'
sed -i 's/gears: 3/gears: 5/' "$tmp/gizmo.yaml"
run "apply gizmo again" $K apply -f "$tmp/gizmo.yaml"
expect 'gizmo.simtest.sluice.dev/g1 configured'
run "patch gizmo" $K patch gizmo g1 --type=merge -p '{"spec":{"mode":"fast"}}'
expect 'patched'
run "label gizmo" $K label gizmo g1 color=blue
expect 'labeled'
run "get gizmo" $K get gizmo g1 -o jsonpath='{.spec.gears}{.spec.mode}{.metadata.labels.color}'
expect '^5fastblue$'
cat >"$tmp/bad.yaml" <<'YAML'
apiVersion: simtest.sluice.dev/v1
kind: Gizmo
metadata:
  name: bad
spec:
  gears: 0
YAML
run "invalid gizmo" bash -c "$K apply -f $tmp/bad.yaml 2>&1; true"
expect 'spec.gears'
cat >"$tmp/unknown.yaml" <<'YAML'
apiVersion: simtest.sluice.dev/v1
kind: Gizmo
metadata:
  name: unknown
spec:
  gears: 1
  wheels: 2
YAML
run "strict" bash -c "$K apply -f $tmp/unknown.yaml 2>&1; true"
expect 'unknown field "spec.wheels"'

# deletes
run "delete gizmo" $K delete gizmo g1
expect 'gizmo.simtest.sluice.dev "g1" deleted'
run "delete crd" $K delete crd gizmos.simtest.sluice.dev
expect 'deleted'
run "delete pod" $K delete pod worker --wait=true --timeout=15s
expect 'pod "worker" deleted'
run "gone" bash -c "$K get pod worker 2>&1; true"
expect 'NotFound|not found'
echo "PASS: kubectl against sluice sim"
