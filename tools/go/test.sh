#!/usr/bin/env bash
# Runs the Go interop tests (tools/go/src/etimad/interop): a grpc-go client against the
# real daemon over TLS and mutual TLS. Needs ETIMAD_BIN, the etimadd executable to start:
#
#   ETIMAD_BIN=$PWD/.build/release/etimadd tools/go/test.sh
#   ETIMAD_BIN=... tools/go/test.sh -run TestDaemon/HealthOverTLS    # extra go test flags
#
# Same environment as build.sh (GOPATH mode, Debian's grpc-go). Exits with go test's status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gocode=${GOCODE:-/usr/share/gocode}

if [[ -z ${ETIMAD_BIN:-} ]]; then
  echo "test.sh: ETIMAD_BIN is not set; the daemon tests will fail (the parser test still runs)" >&2
elif [[ ${ETIMAD_BIN} == */* && ${ETIMAD_BIN} != /* ]]; then
  # go test runs in the package directory, so make a relative path absolute here
  # (a bare name is left to the PATH lookup).
  ETIMAD_BIN=$(cd "$(dirname "$ETIMAD_BIN")" && pwd)/$(basename "$ETIMAD_BIN")
fi
export ETIMAD_BIN=${ETIMAD_BIN:-}

export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$here:$gocode"
exec go test -v -count=1 "$@" etimad/interop/...
