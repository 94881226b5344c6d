#!/usr/bin/env bash
# Installs the Debian packages Sluice builds and tests with (a no-op when they are all present),
# and fetches Helm for the deploy test when it can (scripts/fetch-helm.sh).
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-dev clang-format
      libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev
      libsqlite3-dev libpq-dev libssl-dev libcmocka-dev python3-kubernetes python3-yaml
      jq curl procps)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# a real Helm for the deploy test (best effort, outside Debian: see the script)
bash "$(dirname "$0")/fetch-helm.sh" || true
