#!/usr/bin/env bash
# test_deploy.sh - the deployment artefacts of deploy/ as shipped, applied with the real kubectl
# to `sluice sim`: the CRDs are accepted and become Established; every Kubeflow example
# (../shared/reference/kubeflow-spark-operator/examples) is accepted under kubectl's strict field
# validation and comes back with the same spec (nothing pruned); `kubectl get sparkapp` prints the
# upstream columns with values from the status; an invalid app is refused naming its fields; the
# RBAC and operator manifests are applied where the sim serves their kinds, and otherwise must at
# least parse (kubectl reports a missing kind, not a YAML error), with a visible note.
# Without kubectl: falls back to `sluice apply -f` when the binary has it, else skips (77).
set -u
SRC=${SLU_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${SLU_SHARED_DIR:-$SRC/../shared}
EXAMPLES=$SHARED/reference/kubeflow-spark-operator/examples
opid=
cleanup_extra() {
    [ -n "$opid" ] && kill "$opid" 2>/dev/null && wait "$opid" 2>/dev/null
}
. "$(dirname "$0")/lib.bash"

# runfail STEP CMD...: runs CMD, which must fail, output to $tmp/out
runfail() {
    local step=$1; shift
    if timeout 30 "$@" >"$tmp/out" 2>&1; then fail "$step: succeeded: $*"; fi
}

# The examples to apply: all but spark-pi-prometheus.yaml, which upstream is a template
# ("image: {IMAGE_REGISTRY}/...") and not valid YAML.
examples=()
if [ -d "$EXAMPLES" ]; then
    for f in "$EXAMPLES"/*.yaml; do
        case $(basename "$f") in
        spark-pi-prometheus.yaml) echo "note: skipping spark-pi-prometheus.yaml (not valid YAML upstream)" ;;
        *) examples+=("$f") ;;
        esac
    done
else
    echo "note: no Kubeflow examples in $EXAMPLES (set SLU_SHARED_DIR): only the CRDs and manifests are checked"
fi

if ! command -v kubectl >/dev/null 2>&1; then
    if "$SLUICE" apply --help >/dev/null 2>&1; then
        echo "note: kubectl not found: applying with \`sluice apply -f\` only"
        start_sim
        for f in "$SRC"/deploy/crds/*.yaml; do
            run "apply $(basename "$f")" "$SLUICE" apply --kubeconfig "$tmp/kc" -f "$f"
        done
        for f in "${examples[@]}"; do
            run "apply $(basename "$f")" "$SLUICE" apply --kubeconfig "$tmp/kc" -f "$f"
        done
        if [ ${#examples[@]} -gt 0 ]; then
            run "get apps" "$SLUICE" get apps --kubeconfig "$tmp/kc" -n default
            expect '^spark-pi '
        fi
        echo "PASS (reduced, without kubectl): deploy artefacts against sluice sim"
        exit 0
    fi
    echo "SKIP: kubectl not found (and this sluice has no \`apply\` command)"
    exit 77
fi

# The CRDs on disk are what the generator writes (deploy/crds/ and the chart's copies).
if command -v python3 >/dev/null 2>&1; then
    run "gen-crds --check" python3 "$SRC/scripts/gen-crds.py" --check
fi

start_sim
K="kubectl --request-timeout=20s"

# ---------------------------------------------------------------- the CRDs, exactly as shipped
run "apply crds" $K apply -f "$SRC/deploy/crds/"
expect 'customresourcedefinition.apiextensions.k8s.io/sparkapplications.sparkoperator.k8s.io created'
expect 'customresourcedefinition.apiextensions.k8s.io/scheduledsparkapplications.sparkoperator.k8s.io created'
run "wait established" $K wait --for=condition=Established --timeout=15s \
    crd/sparkapplications.sparkoperator.k8s.io crd/scheduledsparkapplications.sparkoperator.k8s.io
expect 'sparkapplications.sparkoperator.k8s.io condition met'
expect 'scheduledsparkapplications.sparkoperator.k8s.io condition met'
run "apply crds again" $K apply -f "$SRC/deploy/crds/"
expect 'sparkapplications.sparkoperator.k8s.io unchanged'
run "api-resources" $K api-resources --api-group=sparkoperator.k8s.io
expect '^sparkapplications +sparkapp +sparkoperator.k8s.io/v1beta2 +true +SparkApplication'
expect '^scheduledsparkapplications +scheduledsparkapp +sparkoperator.k8s.io/v1beta2 +true +ScheduledSparkApplication'

# ---------------------------------------------------------------- the Kubeflow examples
# JSON specs of the SparkApplication/ScheduledSparkApplication objects in a stream of kubectl
# JSON outputs (one object, a List, or several), sorted keys.
specs() {
    jq -S -s '[.[] | (.items // [.])[]
               | select(.kind == "SparkApplication" or .kind == "ScheduledSparkApplication")
               | {kind, name: .metadata.name, spec}]'
}
have_jq=1
command -v jq >/dev/null 2>&1 || { have_jq=0; echo "note: jq not found: the spec round trip is not compared"; }
for f in "${examples[@]}"; do
    name=$(basename "$f")
    # kubectl 1.32 asks the server for strict field validation by default: an undeclared field
    # would fail here
    run "apply $name" $K apply --validate=strict -f "$f"
    expect '(sparkapplication|scheduledsparkapplication)\.sparkoperator\.k8s\.io/[a-z0-9.-]+ created'
    if [ $have_jq = 1 ]; then
        $K create --dry-run=client -o json -f "$f" 2>"$tmp/out" | specs >"$tmp/sent.json" ||
            fail "$name: client-side conversion"
        $K get -o json -f "$f" 2>"$tmp/out" | specs >"$tmp/stored.json" || fail "$name: get"
        [ "$(jq length "$tmp/sent.json")" -ge 1 ] || fail "$name: no application in the file"
        if ! cmp -s "$tmp/sent.json" "$tmp/stored.json"; then
            diff "$tmp/sent.json" "$tmp/stored.json" >"$tmp/out"
            fail "$name: the stored spec differs from the file (fields pruned?)"
        fi
    fi
    # two upstream examples reuse another's name (spark-pi, spark-pi-python): one at a time
    run "delete $name" $K delete --wait=false -f "$f"
    expect 'deleted'
done

if [ ${#examples[@]} -gt 0 ]; then
    for f in spark-pi.yaml spark-pi-python.yaml spark-pi-ttl.yaml spark-pi-scheduled.yaml; do
        run "apply $f" $K apply -f "$EXAMPLES/$f"
        expect 'created'
    done
    # the upstream columns, filled from the status
    run "patch status" $K patch sparkapp spark-pi --subresource=status --type=merge \
        -p '{"status":{"applicationState":{"state":"RUNNING"},"executionAttempts":1,"lastSubmissionAttemptTime":"2026-01-02T03:04:05Z"}}'
    expect 'patched'
    run "get sparkapp" $K get sparkapp
    expect '^NAME +SUSPEND +STATUS +ATTEMPTS +START +FINISH +AGE$'
    expect '^spark-pi +RUNNING +1 +2026-01-02T03:04:05Z( +<none>)? +[0-9]+[smh]'
    expect '^spark-pi-python '
    run "get sparkapp (short name, one)" $K get sparkapp spark-pi-ttl
    expect '^spark-pi-ttl +'
    run "get scheduledsparkapp" $K get scheduledsparkapp
    expect '^NAME +SCHEDULE +TIMEZONE +SUSPEND +LAST RUN +LAST RUN NAME +AGE$'
    expect '^spark-pi-scheduled +@every '
fi

# ---------------------------------------------------------------- invalid applications
cat >"$tmp/bad.yaml" <<'YAML'
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: bad
spec:
  type: Go
  sparkVersion: 4.0.4
  driver:
    cores: 0
  executor:
    instances: 1
YAML
runfail "invalid app" $K apply -f "$tmp/bad.yaml"
expect 'spec.type'
expect 'Unsupported value: "Go"'
expect 'spec.driver.cores'
expect 'spec.mainApplicationFile'
cat >"$tmp/unknown.yaml" <<'YAML'
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: unknown
spec:
  type: Scala
  sparkVersion: 4.0.4
  mainApplicationFile: local:///x.jar
  driver:
    cores: 1
    coresPerTask: 2
  executor:
    instances: 1
YAML
runfail "unknown field" $K apply --validate=strict -f "$tmp/unknown.yaml"
expect 'unknown field "spec.driver.coresPerTask"'

# ---------------------------------------------------------------- RBAC and the operator
# The kinds in the manifests, and which of them the sim serves.
run "api-resources" $K api-resources -o name
cp "$tmp/out" "$tmp/served"
served() { # served PLURAL.GROUP (core: PLURAL)
    grep -qx -- "$1" "$tmp/served"
}
plural_of() {
    case $1 in
    Namespace) echo namespaces ;;
    ServiceAccount) echo serviceaccounts ;;
    Service) echo services ;;
    Deployment) echo deployments.apps ;;
    ClusterRole) echo clusterroles.rbac.authorization.k8s.io ;;
    ClusterRoleBinding) echo clusterrolebindings.rbac.authorization.k8s.io ;;
    Role) echo roles.rbac.authorization.k8s.io ;;
    RoleBinding) echo rolebindings.rbac.authorization.k8s.io ;;
    *) echo "unknown-kind-$1" ;;
    esac
}
missing_kinds=()
for m in operator.yaml rbac.yaml spark-rbac.yaml; do
    file=$SRC/deploy/$m
    [ -f "$file" ] || fail "deploy/$m is missing"
    awk '/^kind: /{k=$2} /^  name: /{if (k) {print k, $2; k=""}}' "$file" >"$tmp/objects"
    [ -s "$tmp/objects" ] || fail "deploy/$m: no objects found"
    # kubectl's client-side validation fetches the schema of every kind in the file, and fails
    # the whole file on a kind the server does not know: only validate when all are served
    validate=--validate=strict
    while read -r kind name; do
        served "$(plural_of "$kind")" || validate=--validate=false
    done <"$tmp/objects"
    # applied in name order, as `kubectl apply -f deploy/` does: operator.yaml (with the
    # Namespace) first
    timeout 30 $K apply $validate -f "$file" >"$tmp/out" 2>&1
    rc=$?
    # every document parsed: a YAML error would stop kubectl before any object is sent
    grep -Eqi 'error (converting|parsing) YAML|yaml: line' "$tmp/out" && fail "deploy/$m: YAML error"
    file_missing=0
    while read -r kind name; do
        plural=$(plural_of "$kind")
        # singular lower-case kind as kubectl prints it, e.g. "clusterrole.rbac.authorization.k8s.io"
        lk=$(echo "$kind" | tr 'A-Z' 'a-z')
        if served "$plural"; then
            expect "^${lk}(\\.[a-z.0-9]+)?/$name (created|configured|unchanged)"
        else
            expect "no matches for kind \"$kind\""
            missing_kinds+=("$kind/$name")
            file_missing=1
        fi
    done <"$tmp/objects"
    if [ $file_missing = 0 ] && [ $rc -ne 0 ]; then
        fail "deploy/$m: kubectl apply failed (exit $rc)"
    fi
done
run "get sa" $K get serviceaccount -n sluice-system sluice-operator
run "get svc" $K get service -n sluice-system sluice-operator-metrics
expect '^sluice-operator-metrics +ClusterIP'
run "get spark sa" $K get serviceaccount -n default spark
# ---------------------------------------------------------------- the Helm chart
# helm_render.py renders the templates (the Go-template subset they use; Helm is not a Debian
# package), checks that with default values they say what the plain manifests say, and the result
# is applied like the manifests. With a real Helm (scripts/fetch-helm.sh) the chart is also
# linted and rendered by it, and must give the same objects.
if python3 -c 'import yaml' 2>/dev/null; then
    run "helm render" python3 "$SRC/tests/integration/helm_render.py" "$SRC/deploy/helm/sluice" \
        --check-against "$SRC/deploy"
    cp "$tmp/out" "$tmp/chart.yaml"
    run "helm render (other values)" python3 "$SRC/tests/integration/helm_render.py" \
        "$SRC/deploy/helm/sluice" --release other --namespace default --set-json \
        '{"leaderElection":{"enabled":false},"extraArgs":["--resync=60"],"spark":{"jobNamespaces":["default","kube-system"]},"nodeSelector":{"pool":"system"},"podAnnotations":{"a":"b"}}'
    expect '^ +- --resync=60$'
    expect 'namespace: kube-system'
    grep -q -- '--leader-elect' "$tmp/out" && fail "leaderElection.enabled=false still passes --leader-elect"
    timeout 30 $K apply --validate=false -f "$tmp/chart.yaml" >"$tmp/out" 2>&1
    grep -Eqi 'error (converting|parsing) YAML|yaml: line' "$tmp/out" && fail "rendered chart: YAML error"
    expect '^serviceaccount/sluice-operator (configured|unchanged)'
    expect '^service/sluice-operator-metrics (configured|unchanged)'
    echo "the Helm chart renders (without Helm) to the plain manifests' objects"
    # ---- and with the real Helm when there is one (scripts/fetch-helm.sh, or on the PATH):
    # lint, and `helm template` must give exactly the objects helm_render.py gives, for the
    # defaults and for the other values
    HELM=${SLU_HELM:-}
    [ -z "$HELM" ] && [ -x "$SRC/.tools/helm/helm" ] && HELM=$SRC/.tools/helm/helm
    [ -z "$HELM" ] && command -v helm >/dev/null 2>&1 && HELM=helm
    if [ -n "$HELM" ]; then
        run "helm lint" "$HELM" lint "$SRC/deploy/helm/sluice"
        expect '1 chart\(s\) linted, 0 chart\(s\) failed'
        cat >"$tmp/cmp.py" <<'PY'
import json, sys, yaml
def objs(p):
    return sorted(json.dumps(d, sort_keys=True) for d in yaml.safe_load_all(open(p)) if d)
a, b = objs(sys.argv[1]), objs(sys.argv[2])
if a != b:
    print("helm template and helm_render.py differ:")
    print("only helm:", [x for x in a if x not in b])
    print("only helm_render.py:", [x for x in b if x not in a])
    sys.exit(1)
print(len(a), "objects alike")
PY
        run "helm template" "$HELM" template sluice "$SRC/deploy/helm/sluice" \
            --namespace sluice-system --kube-version 1.29.0
        cp "$tmp/out" "$tmp/helm.yaml"
        run "helm template = helm_render.py" python3 "$tmp/cmp.py" "$tmp/helm.yaml" "$tmp/chart.yaml"
        echo '{"leaderElection":{"enabled":false},"extraArgs":["--resync=60"],"spark":{"jobNamespaces":["default","kube-system"]},"nodeSelector":{"pool":"system"},"podAnnotations":{"a":"b"}}' >"$tmp/values.json"
        run "helm template (other values)" "$HELM" template other "$SRC/deploy/helm/sluice" \
            --namespace default --kube-version 1.29.0 -f "$tmp/values.json"
        cp "$tmp/out" "$tmp/helm2.yaml"
        python3 "$SRC/tests/integration/helm_render.py" "$SRC/deploy/helm/sluice" --release other \
            --namespace default --set-json "$(cat "$tmp/values.json")" >"$tmp/chart2.yaml" ||
            fail "helm_render.py (other values)"
        run "helm template = helm_render.py (other values)" python3 "$tmp/cmp.py" "$tmp/helm2.yaml" \
            "$tmp/chart2.yaml"
        echo "the real Helm ($("$HELM" version --short 2>/dev/null)) renders the chart to the same objects"
    else
        echo "note: no helm (scripts/fetch-helm.sh fetches one): the chart was rendered by helm_render.py only"
    fi
else
    echo "note: no python3 with PyYAML: the Helm chart's templates are not rendered"
fi

# ---------------------------------------------------------------- the Dockerfile's runtime stage
# Docker cannot build here (no daemon), so check statically what its last ldd step would: every
# shared library the binary links (ELF NEEDED) comes from a package the runtime stage installs
# (or from libc6, which every Debian image has).
if command -v readelf >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
    runtime_pkgs=$(awk '/^FROM /{stage++} stage==2' "$SRC/deploy/Dockerfile" |
        grep -Eo '^ +[a-z0-9][a-z0-9.+-]+ *\\?$' | tr -d ' \\')
    [ -n "$runtime_pkgs" ] || fail "Dockerfile: no package list in the runtime stage"
    for lib in $(readelf -d "$SLUICE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case $lib in lib*san.so*) continue ;; esac # a sanitizer build's runtime, not the image's
        pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v -- '-i386\|-dev:' | head -1 | cut -d: -f1)
        [ -n "$pkg" ] || { echo "note: $lib: no Debian package owns it here; not checked"; continue; }
        case " libc6 $(echo $runtime_pkgs) " in
        *" $pkg "*) ;;
        *) echo "$lib comes from $pkg" >"$tmp/out"; fail "Dockerfile: the runtime stage lacks $pkg (for $lib)" ;;
        esac
    done
    echo "the Dockerfile's runtime stage installs every library the binary links"
else
    echo "note: no readelf or dpkg: the Dockerfile's library list is not checked"
fi

# ---------------------------------------------------------------- the Deployment's command line
# `sluice operator` with the very args of deploy/operator.yaml (only the listen address made
# local and free, and a kubeconfig since this is not a pod): it must take them, serve /healthz
# and /readyz, and win the Lease in the lease namespace.
awk '/^        args:/{a=1; next} a && /^        - /{sub(/^        - /, ""); print; next} {a=0}' \
    "$SRC/deploy/operator.yaml" >"$tmp/args"
grep -qx 'operator' "$tmp/args" || fail "operator.yaml: no 'operator' argument"
grep -qx -- '--leader-elect' "$tmp/args" || fail "operator.yaml: no --leader-elect"
lease_ns=$(sed -n 's/^--lease-namespace=//p' "$tmp/args")
[ -n "$lease_ns" ] || fail "operator.yaml: no --lease-namespace"
mapfile -t args < <(sed 's/^--metrics-listen=.*/--metrics-listen=127.0.0.1:0/' "$tmp/args")
"$SLUICE" "${args[@]}" --kubeconfig "$tmp/kc" >"$tmp/op.log" 2>&1 &
opid=$!
for _ in $(seq 100); do
    grep -q 'became the leader' "$tmp/op.log" && break
    kill -0 $opid 2>/dev/null || { cp "$tmp/op.log" "$tmp/out"; fail "the operator exited with the Deployment's args: ${args[*]}"; }
    sleep 0.1
done
cp "$tmp/op.log" "$tmp/out"
expect 'became the leader'
run "lease" $K get lease -n "$lease_ns"
expect '^sluice-operator-lock '
port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/op.log" | head -1)
if [ -n "$port" ] && command -v curl >/dev/null 2>&1; then
    run "healthz" curl -fsS "http://127.0.0.1:$port/healthz"
    run "readyz" curl -fsS "http://127.0.0.1:$port/readyz"
    run "metrics" curl -fsS "http://127.0.0.1:$port/metrics"
    expect '^spark_application_'
    echo "the operator took the Deployment's args, won the Lease in $lease_ns and answered /healthz, /readyz, /metrics"
else
    echo "note: no metrics address in the operator log or no curl: probes not checked"
fi
kill $opid 2>/dev/null
wait $opid 2>/dev/null

if [ ${#missing_kinds[@]} -gt 0 ]; then
    echo "NOTE: the sim does not serve these kinds, so they were only parsed (by kubectl), not applied:"
    printf '  %s\n' "${missing_kinds[@]}"
fi
echo "PASS: deploy/ (CRDs, ${#examples[@]} Kubeflow examples, RBAC, operator) against sluice sim"
