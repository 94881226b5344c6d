#!/usr/bin/env bash
# test_cli.sh - the user commands of `sluice` (submit, apply, get, describe, logs, delete, events).
# Covers src/cli/cmd_submit.c, cmd_apply.c, cmd_get.c, cmd_describe.c, cmd_logs.c, cmd_delete.c,
# cmd_events.c, cmd_version.c and common.c.
#
# Part 1 needs no cluster (no kubeconfig at all): `submit --dry-run` of SparkPi in both modes,
# checked field by field with jq, and the error messages of bad command lines.
# Part 2 runs against a `sluice sim` child on 127.0.0.1 (time-scale 20): `submit --native --wait`
# runs SparkPi to completion (executors appear and go), a failing driver makes --wait exit 1,
# `logs` reads driver and executor logs (also -f), `apply -f` installs the upstream CRDs and
# examples (created / unchanged / configured), `get apps` (table, wide, -A, name, json, -w),
# `describe app`, `events`, `submit` of a SparkApplication with --wait driven by status writes,
# `submit --status/--kill`, and `delete`.
set -u
SHARED=${SLU_SHARED_DIR:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
REF=$SHARED/reference/kubeflow-spark-operator
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not found"; exit 77; }
bg=
cleanup_extra() {
    [ -n "$bg" ] && kill "$bg" 2>/dev/null
}
. "$(dirname "$0")/lib.bash"

# ok STEP CMD...: CMD must exit 0; stdout in $tmp/out, stderr in $tmp/err
ok() {
    local step=$1; shift
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" || fail "$step: exit $? from: $*"
}
# ko STEP CMD...: CMD must exit 1
ko() {
    local step=$1; shift
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "$step: expected exit 1, got $rc from: $*"
}
expect_err() {
    grep -Eq -- "$1" "$tmp/err" || fail "expected /$1/ on stderr"
}
# jqeq FILTER VALUE: jq -r FILTER of the last stdout is VALUE
jqeq() {
    local got
    got=$(jq -r "$1" "$tmp/out") || fail "jq $1 failed"
    [ "$got" = "$2" ] || fail "jq $1: expected '$2', got '$got'"
}

PI=(--class org.apache.spark.examples.SparkPi --name spark-pi
    --conf spark.kubernetes.container.image=apache/spark:4.0.0
    local:///opt/spark/examples/jars/spark-examples.jar)
APPID=spark-0123456789abcdef0123456789abcdef

# ---------------------------------------------------------------- part 1: no cluster
export HOME=$tmp/nohome
unset KUBECONFIG KUBERNETES_SERVICE_HOST SPARK_CONF_DIR SPARK_HOME
mkdir -p "$HOME"

ok "native dry-run json" "$SLUICE" submit --native --dry-run -o json --unique-id 0a1b2c \
    --app-id $APPID --conf spark.executor.instances=2 "${PI[@]}" 100
jqeq '.kind' List
jqeq '.apiVersion' v1
jqeq '[.items[].kind] | join(",")' Pod,Service,ConfigMap
jqeq '.items[0].metadata.name' spark-pi-0a1b2c-driver
jqeq '.items[0].metadata.labels["spark-app-selector"]' $APPID
jqeq '.items[0].metadata.labels["spark-role"]' driver
jqeq '.items[0].metadata.labels["spark-version"]' 4.0.0
jqeq '.items[0].spec.containers[0].name' spark-kubernetes-driver
jqeq '.items[0].spec.containers[0].image' apache/spark:4.0.0
jqeq '.items[0].spec.containers[0].args | join(" ")' \
    "driver --properties-file /opt/spark/conf/spark.properties --class org.apache.spark.examples.SparkPi local:///opt/spark/examples/jars/spark-examples.jar 100"
jqeq '.items[1].metadata.name' spark-pi-0a1b2c-driver-svc
jqeq '.items[2].metadata.name' spark-drv-0a1b2c-conf-map
jqeq '.items[2].data["spark.properties"] | test("spark.executor.instances=2")' true
jqeq '.items[2].data["spark.properties"] | test("spark.app.id='$APPID'")' true
jqeq '[.items[].metadata.ownerReferences] | map(select(. != null)) | length' 0

ok "native dry-run yaml" "$SLUICE" submit --native --dry-run -o yaml --unique-id 0a1b2c \
    --app-id $APPID "${PI[@]}"
expect '^kind: List'
expect '^    name: spark-pi-0a1b2c-driver$'
expect "spark-app-selector: $APPID"

ok "native dry-run -o name" "$SLUICE" submit --native --dry-run -o name --unique-id 0a1b2c "${PI[@]}"
expect '^pod/spark-pi-0a1b2c-driver$'
expect '^service/spark-pi-0a1b2c-driver-svc$'
expect '^configmap/spark-drv-0a1b2c-conf-map$'

ok "spark 3.5 dry-run" "$SLUICE" submit --native --dry-run -o json --spark-version 3.5 \
    --unique-id 0a1b2c "${PI[@]}"
jqeq '.items[0].metadata.labels["spark-version"]' 3.5.0

ok "app dry-run json" "$SLUICE" submit --dry-run -o json --unique-id 0a1b2c -n jobs \
    --num-executors 3 "${PI[@]}" 10
jqeq '.kind' SparkApplication
jqeq '.apiVersion' sparkoperator.k8s.io/v1beta2
jqeq '.metadata.name' spark-pi-0a1b2c
jqeq '.metadata.namespace' jobs
jqeq '.spec.mainClass' org.apache.spark.examples.SparkPi
jqeq '.spec.image' apache/spark:4.0.0
jqeq '.spec.arguments | join(",")' 10
jqeq '.spec.executor.instances' 3
jqeq '.spec.sparkVersion' 4.0.0

ok "app dry-run --proxy-user" "$SLUICE" submit --dry-run -o json --proxy-user alice "${PI[@]}"
jqeq '.spec.proxyUser' alice

ok "app dry-run yaml" "$SLUICE" submit --dry-run --unique-id 0a1b2c --spark-version 3.5 "${PI[@]}"
expect '^kind: SparkApplication'
expect "sparkVersion: '?3.5.0'?"

# `sluice version` / `--version` (src/cli/cmd_version.c)
ok "version" "$SLUICE" version
expect '^sluice [0-9]+\.[0-9]+\.[0-9]+$'
ok "--version" "$SLUICE" --version
expect '^sluice [0-9]+\.[0-9]+\.[0-9]+$'
ko "version with an argument" "$SLUICE" version x
expect_err 'takes no arguments'

# errors, spark-submit's words, exit 1
ko "unknown option" "$SLUICE" submit --foo "${PI[@]}"
expect_err '^Error: Unrecognized option: --foo$'
expect_err 'Usage: sluice submit'
ko "no resource" "$SLUICE" submit --class A
expect_err '^Error: Missing application resource\.$'
ko "bad conf" "$SLUICE" submit --conf nokey "${PI[@]}"
expect_err 'Invalid argument to --conf: nokey'
ko "missing value" "$SLUICE" submit --class
expect_err "Missing argument for option '--class'"
ko "bad version" "$SLUICE" submit --dry-run --spark-version 2.4 "${PI[@]}"
expect_err 'spark-version must be 3.5 or 4.0'
ko "bad unique id" "$SLUICE" submit --dry-run --unique-id 'NOT_HEX' "${PI[@]}"
expect_err 'unique-id'
ko "bad output" "$SLUICE" submit --dry-run -o xml "${PI[@]}"
expect_err 'output must be one of'
ko "bad master" "$SLUICE" submit --dry-run --master spark://x:7077 "${PI[@]}"
expect_err 'k8s://'
ko "no image" "$SLUICE" submit --native --dry-run --class A a.jar
expect_err 'image'
ko "no image (SparkApplication)" "$SLUICE" submit --dry-run --class A local:///a.jar
expect_err 'Must specify the driver container image'
ok "submit help" "$SLUICE" submit --help
expect '^Usage: sluice submit'
expect ' --native '
ko "no kubeconfig" "$SLUICE" submit "${PI[@]}"
expect_err 'Error: .*(kubeconfig|config)'
ko "get unknown flag" "$SLUICE" get apps --bogus
expect_err '^Error: unknown flag: --bogus$'
ko "get unknown type" "$SLUICE" get widgets
expect_err 'widgets'
ko "apply no file" "$SLUICE" apply
expect_err 'must specify -f FILE'
ko "apply a directory" "$SLUICE" apply -f "$tmp"
expect_err 'is a directory'
for c in apply get describe logs delete events; do
    ok "$c help" "$SLUICE" $c --help
    expect "^Usage: sluice $c"
done

# ---------------------------------------------------------------- part 2: against the sim
start_sim --time-scale 20
SERVER=$(awk '/server:/ {print $2; exit}' "$tmp/kc")

# native SparkPi, followed to the end: executors appear and go
ok "native wait" "$SLUICE" submit --native --wait --unique-id 111111 \
    --conf spark.executor.instances=2 "${PI[@]}" 100
expect '^pod/spark-pi-111111-driver created$'
expect '^service/spark-pi-111111-driver-svc created$'
expect '^configmap/spark-drv-111111-conf-map created$'
expect '^Submission ID: default:spark-pi-111111-driver$'
expect 'driver spark-pi-111111-driver: Running, executors: 2 running / 2$'
expect 'driver spark-pi-111111-driver: Succeeded, executors: 0 running / 0$'
expect 'finished: driver pod spark-pi-111111-driver succeeded'
ok "logs" "$SLUICE" logs spark-pi-111111-driver
expect 'Pi is roughly 3\.14'
ok "logs tail" "$SLUICE" logs spark-pi-111111-driver --tail 1
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "--tail 1 gave $(wc -l <"$tmp/out") lines"

# --master k8s://URL is the API server (the kubeconfig here points at a closed port)
sed "s#server: .*#server: http://127.0.0.1:9#" "$tmp/kc" >"$tmp/kc-wrong"
ok "master" "$SLUICE" submit --native --kubeconfig "$tmp/kc-wrong" --master "k8s://$SERVER" \
    --unique-id 666666 -o name "${PI[@]}"
expect '^pod/spark-pi-666666-driver$'

# a failing driver: --wait exits 1 and says why
ko "native wait failure" "$SLUICE" submit --native --wait --unique-id 222222 \
    --conf spark.kubernetes.driver.annotation.sim.sluice.dev/fail=driver "${PI[@]}"
expect_err '^Error: driver pod spark-pi-222222-driver failed: exit code 1'

# executor logs while the job runs, then -f to the end
ok "native no wait" "$SLUICE" submit --native --unique-id 333333 \
    --conf spark.kubernetes.driver.annotation.sim.sluice.dev/work-core-seconds=60 "${PI[@]}"
# the other objects got the driver pod as owner (the driver deletes them when it ends)
ok "owner refs" curl -sf "$SERVER/api/v1/namespaces/default/services/spark-pi-333333-driver-svc"
jqeq '.metadata.ownerReferences[0].kind' Pod
jqeq '.metadata.ownerReferences[0].name' spark-pi-333333-driver
jqeq '.metadata.ownerReferences[0].controller' true
for _ in $(seq 100); do
    "$SLUICE" logs spark-pi-333333-driver --executor 1 >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ] && break
    sleep 0.2
done
[ -s "$tmp/out" ] || fail "no log from executor 1"
ko "no such executor" "$SLUICE" logs spark-pi-333333-driver --executor 99
expect_err 'no executor 99 found'
ok "status" "$SLUICE" submit --status 'default:spark-pi-333333-*'
expect 'pod name: spark-pi-333333-driver'
ok "logs -f" "$SLUICE" logs -f spark-pi-333333-driver
expect 'Pi is roughly 3\.14'
expect 'Shutdown hook called'

# kill: the driver pod goes
ok "native again" "$SLUICE" submit --native --unique-id 444444 \
    --conf spark.kubernetes.driver.annotation.sim.sluice.dev/work-core-seconds=100000 "${PI[@]}"
ok "kill" "$SLUICE" submit --kill 'default:spark-pi-444444-driver'
expect 'Deleting driver pod: spark-pi-444444-driver'
ko "kill unknown" "$SLUICE" submit --kill 'default:nosuch-driver'
expect_err 'no driver pod found'
ko "logs unknown" "$SLUICE" logs nosuch
expect_err 'no SparkApplication or driver pod named "nosuch"'

# CRDs and examples through apply (upstream files, read in place)
ko "apply before CRD" "$SLUICE" apply -f "$REF/examples/spark-pi-custom-resource.yaml"
expect_err 'no matches for kind "SparkApplication"'
ko "get apps before CRD" "$SLUICE" get apps
expect_err 'Are the SparkApplication CRDs installed'
ok "apply CRDs" "$SLUICE" apply -f "$REF/crds/sparkoperator.k8s.io_sparkapplications.yaml"
expect '^customresourcedefinition.apiextensions.k8s.io/sparkapplications.sparkoperator.k8s.io created$'
ok "apply CRD 2" "$SLUICE" apply -f "$REF/crds/sparkoperator.k8s.io_scheduledsparkapplications.yaml"
ok "apply CRD again" "$SLUICE" apply -f "$REF/crds/sparkoperator.k8s.io_sparkapplications.yaml"
expect 'sparkapplications.sparkoperator.k8s.io unchanged$'
ko "submit to a missing namespace" "$SLUICE" submit -n no-such-ns "${PI[@]}"
expect_err 'namespaces "no-such-ns" not found'
if grep -q 'CRDs installed' "$tmp/err"; then fail "CRD hint for a missing namespace"; fi
ok "apply example" "$SLUICE" apply -f "$REF/examples/spark-pi-custom-resource.yaml"
expect '^sparkapplication.sparkoperator.k8s.io/spark-pi-custom-resource created$'
ok "apply example again" "$SLUICE" apply -f "$REF/examples/spark-pi-custom-resource.yaml"
expect '^sparkapplication.sparkoperator.k8s.io/spark-pi-custom-resource unchanged$'
sed 's/instances: 1$/instances: 2/' "$REF/examples/spark-pi-custom-resource.yaml" >"$tmp/pi2.yaml"
ok "apply changed (stdin)" bash -c "\"$SLUICE\" apply -f - <\"$tmp/pi2.yaml\""
expect '^sparkapplication.sparkoperator.k8s.io/spark-pi-custom-resource configured$'
ko "apply ns mismatch" "$SLUICE" apply -f "$tmp/pi2.yaml" -n other
expect_err 'does not match the namespace "other"'
cat >"$tmp/multi.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: jobs
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: pi-jobs
spec:
  type: Scala
  mode: cluster
  image: apache/spark:3.5.1
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  mainClass: org.apache.spark.examples.SparkPi
  sparkVersion: 3.5.1
  driver: {}
  executor: {instances: 1}
---
apiVersion: v1
kind: Event
metadata:
  name: spark-pi-custom-resource.e1
  namespace: default
involvedObject:
  apiVersion: sparkoperator.k8s.io/v1beta2
  kind: SparkApplication
  name: spark-pi-custom-resource
  namespace: default
reason: SparkApplicationAdded
message: SparkApplication spark-pi-custom-resource was added, enqueuing it for submission
type: Normal
source: {component: spark-operator}
firstTimestamp: "2020-01-01T00:00:00Z"
lastTimestamp: "2020-01-01T00:00:00Z"
YAML
# -n jobs: the namespace and the app go in; the Event (namespace default) is refused, exit 1
ko "apply multi" "$SLUICE" apply -f "$tmp/multi.yaml" -n jobs
expect '^namespace/jobs created$'
expect '^sparkapplication.sparkoperator.k8s.io/pi-jobs created$'
ko "apply multi again" "$SLUICE" apply -f "$tmp/multi.yaml" -n jobs
expect '^namespace/jobs unchanged$'
expect '^sparkapplication.sparkoperator.k8s.io/pi-jobs unchanged$'
expect_err 'does not match the namespace "jobs"'
ok "apply multi default" "$SLUICE" apply -f "$tmp/multi.yaml"
expect '^sparkapplication.sparkoperator.k8s.io/pi-jobs created$'
expect '^event/spark-pi-custom-resource.e1 created$'

# get
ok "get apps" "$SLUICE" get apps
expect '^NAME +STATUS +ATTEMPTS +START +FINISH +AGE$'
expect '^spark-pi-custom-resource +<none> +<none> +<none> +<none> +[0-9]+s$'
expect '^pi-jobs '
ok "get apps -n jobs" "$SLUICE" get apps -n jobs
expect '^pi-jobs '
grep -q spark-pi-custom-resource "$tmp/out" && fail "-n jobs listed default's app"
ok "get -A wide" "$SLUICE" get apps -A -o wide
expect '^NAMESPACE +NAME +STATUS +ATTEMPTS +START +FINISH +AGE +DRIVER +EXECUTORS +APP-ID$'
expect '^jobs +pi-jobs '
expect '^default +spark-pi-custom-resource '
ok "get name" "$SLUICE" get app spark-pi-custom-resource -o name
expect '^sparkapplication.sparkoperator.k8s.io/spark-pi-custom-resource$'
ok "get json" "$SLUICE" get apps -o json
jqeq '.kind' List
jqeq '[.items[].metadata.name] | sort | join(",")' pi-jobs,spark-pi-custom-resource
ok "get yaml" "$SLUICE" get app spark-pi-custom-resource -o yaml
expect '^kind: SparkApplication$'
expect '^    instances: 2$'
ko "get missing" "$SLUICE" get app nosuch
expect_err '^Error from server \(NotFound\): .*"nosuch" not found'
expect_err 'looked in namespace "default"; .sluice get apps -A'
ok "get scheduledapps" "$SLUICE" get scheduledapps
expect_err 'No resources found in default namespace'

# a SparkApplication from submit; --wait follows status written here (as the operator would)
"$SLUICE" submit --wait --unique-id 555555 --num-executors 1 "${PI[@]}" 10 >"$tmp/wait.out" 2>&1 &
bg=$!
for _ in $(seq 100); do curl -sf "$SERVER/apis/sparkoperator.k8s.io/v1beta2/namespaces/default/sparkapplications/spark-pi-555555" >/dev/null && break; sleep 0.1; done
"$SLUICE" get apps -w >"$tmp/watch.out" 2>&1 &
wpid=$!
sleep 0.5
for st in SUBMITTED RUNNING COMPLETED; do
    ex='{}'
    [ $st = RUNNING ] && ex='{"spark-pi-555555-exec-1":"RUNNING"}'
    curl -sf -XPATCH -H 'Content-Type: application/merge-patch+json' \
        "$SERVER/apis/sparkoperator.k8s.io/v1beta2/namespaces/default/sparkapplications/spark-pi-555555/status" \
        -d "{\"status\":{\"driverInfo\":{\"podName\":\"spark-pi-555555-driver\"},\"applicationState\":{\"state\":\"$st\"},\"executionAttempts\":1,\"executorState\":$ex}}" \
        >/dev/null || fail "status patch $st"
    sleep 0.3
done
wait $bg
rc=$?
bg=
cp "$tmp/wait.out" "$tmp/out"
[ $rc -eq 0 ] || fail "submit --wait of a SparkApplication: exit $rc"
expect '^sparkapplication.sparkoperator.k8s.io/spark-pi-555555 created$'
expect 'application spark-pi-555555: SUBMITTED'
expect 'application spark-pi-555555: RUNNING, executors: 1 running / 1'
expect 'SparkApplication spark-pi-555555 completed'
kill $wpid 2>/dev/null; wait $wpid 2>/dev/null
cp "$tmp/watch.out" "$tmp/out"
expect '^spark-pi-555555 +RUNNING +1 '
expect '^spark-pi-555555 +COMPLETED +1 '

# describe and events
ok "describe" "$SLUICE" describe app spark-pi-custom-resource
expect '^Name: +spark-pi-custom-resource$'
expect '^  Image: +docker.io/apache/spark:4.0.4$'
expect '^    Instances: +2$'
expect '^  Pod: +spark-pi-custom-resource-driver$'
expect 'SparkApplicationAdded'
ok "describe 555555" "$SLUICE" describe app spark-pi-555555
expect '^  State: +COMPLETED$'
expect '^  Count: +1 running / 1 total$'
ko "describe missing" "$SLUICE" describe app nosuch
expect_err 'NotFound'
ok "events" "$SLUICE" events spark-pi-custom-resource
expect '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$'
expect 'Normal +SparkApplicationAdded +sparkapplication/spark-pi-custom-resource +SparkApplication spark-pi-custom-resource was added'
ok "events json" "$SLUICE" events spark-pi-custom-resource -o json
jqeq '.items | length' 1

# delete
ok "delete" "$SLUICE" delete app spark-pi-custom-resource
expect '^sparkapplication.sparkoperator.k8s.io "spark-pi-custom-resource" deleted$'
ko "delete again" "$SLUICE" delete app spark-pi-custom-resource
expect_err 'NotFound'
ok "delete ignore" "$SLUICE" delete app spark-pi-custom-resource --ignore-not-found
ok "get after delete" "$SLUICE" get apps
grep -q spark-pi-custom-resource "$tmp/out" && fail "deleted app still listed"

echo "PASS"
