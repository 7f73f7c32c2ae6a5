#!/usr/bin/env bash
# Build the robfig/cron v3.0.1 judge (tests/cron_judge/main.go) into .tools/cron-judge, offline.
# Needs Debian's golang-go and golang-github-robfig-cron-dev (GOPATH=/usr/share/gocode); no network.
# Idempotent: does nothing when the binary is newer than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=tests/cron_judge/main.go
OUT=.tools/cron-judge
ROBFIG=/usr/share/gocode/src/github.com/robfig/cron
if ! command -v go >/dev/null 2>&1; then
  echo "build-cron-judge: 'go' not found (apt-get install golang-go)" >&2; exit 1
fi
if [ ! -f "$ROBFIG/parser.go" ]; then
  echo "build-cron-judge: $ROBFIG missing (apt-get install golang-github-robfig-cron-dev)" >&2; exit 1
fi
# Kubernetes vendors robfig/cron v3.0.1; the judge must be exactly that version.
if command -v dpkg-query >/dev/null 2>&1; then
  ver=$(dpkg-query -W -f='${Version}' golang-github-robfig-cron-dev 2>/dev/null || true)
  case "$ver" in
    3.0.1*|"") ;;
    *) echo "build-cron-judge: golang-github-robfig-cron-dev is $ver, need 3.0.1 (what Kubernetes vendors)" >&2; exit 1 ;;
  esac
fi
grep -q '^module github.com/robfig/cron/v3' "$ROBFIG/go.mod" || {
  echo "build-cron-judge: $ROBFIG is not robfig/cron v3" >&2; exit 1; }
if [ -x "$OUT" ] && [ "$OUT" -nt "$SRC" ] && [ "$OUT" -nt "$ROBFIG/parser.go" ] && [ "$OUT" -nt "$ROBFIG/spec.go" ]; then
  exit 0
fi
mkdir -p .tools/go-cache
TMP="$OUT.tmp.$$"
trap 'rm -f "$TMP"' EXIT
# GOPATH mode against Debian's source tree: no module download, no network (GOPROXY=off).
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$ROOT/.tools/go-cache" GOFLAGS= GOPROXY=off \
  CGO_ENABLED=0 go build -o "$TMP" "$SRC"
mv -f "$TMP" "$OUT"   # atomic: concurrent builders (xdist workers) never see a half-written binary
echo "build-cron-judge: built $OUT"
