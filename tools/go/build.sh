#!/usr/bin/env bash
# Builds the Go benchmark tools into tools/go/bin/ (git-ignored):
#   healthserver  grpc-go reference server for grpc.health.v1.Health over TLS
#   loadgen       ghz-like load client for Health/Check (drives both servers alike)
#
# Environment: Debian's Go (golang-go, 1.19) and Debian's grpc-go 1.33
# (golang-google-grpc-dev), whose sources live under /usr/share/gocode/src. There is no
# network and no module proxy, so this builds in GOPATH mode: GO111MODULE=off,
# GOPROXY=off, GOPATH=tools/go:/usr/share/gocode (our sources are in tools/go/src/etimad).
# Override GOCODE to point at another GOPATH tree holding google.golang.org/grpc.
# Running it again rebuilds only what changed (Go's build cache).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gocode=${GOCODE:-/usr/share/gocode}

export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$here:$gocode"
mkdir -p "$here/bin"
for tool in healthserver loadgen; do
  go build -o "$here/bin/$tool" "etimad/$tool"
  echo "built $here/bin/$tool"
done
