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
if [ -x "$OUT" ] && [ "$OUT" -nt "$SRC" ] && [ "$OUT" -nt "$ROBFIG/parser.go" ] && [ "$OUT" -nt "$ROBFIG/spec.go" ]; then
  exit 0
fi
mkdir -p .tools/go-cache
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$ROOT/.tools/go-cache" GOFLAGS= GOPROXY=off \
  CGO_ENABLED=0 go build -o "$OUT.tmp" "$SRC"
mv -f "$OUT.tmp" "$OUT"
echo "build-cron-judge: built $OUT"
