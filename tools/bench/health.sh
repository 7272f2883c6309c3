#!/usr/bin/env bash
# Benchmarks grpc.health.v1.Health/Check on the release daemon against grpc-go on the same
# machine, with the same certificate and the same load client, and prints calls/s and
# latency for both and the ratio swift/go. The ratio is the figure to track: absolute
# numbers depend on the machine (STACK-NOTES.md has reference figures).
#
#   tools/bench/health.sh                  # builds everything, N=50000 calls per run
#   SKIP_BUILD=1 N=20000 tools/bench/health.sh
#
# Environment:
#   N            calls per run (default 50000); each run also makes WARMUP uncounted calls
#   WARMUP       loadgen warm-up calls per run (default 1000)
#   CONCURRENCY  concurrency levels (default "16 64")
#   SKIP_BUILD=1 do not run swift build (the Go tools are always built; that is quick)
#   ETIMADD, PROBE  executables to use (default .build/release/etimadd, etimad-probe)
#
# Two clients drive both servers: loadgen (grpc-go, tools/go) and etimad-probe bench.
# Everything runs on 127.0.0.1; every run is bounded by RUN_TIMEOUT seconds (default 600);
# everything the script starts is stopped when it exits. Needs python3 to read JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

N=${N:-50000}
WARMUP=${WARMUP:-1000}
CONCURRENCY=${CONCURRENCY:-"16 64"}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
ETIMADD=${ETIMADD:-$root/.build/release/etimadd}
PROBE=${PROBE:-$root/.build/release/etimad-probe}
loadgen=$root/tools/go/bin/loadgen
healthserver=$root/tools/go/bin/healthserver

if [[ ${SKIP_BUILD:-} != 1 ]]; then
  swift build -c release --product etimadd
  swift build -c release --product etimad-probe
fi
"$root/tools/go/build.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etimad-bench.XXXXXX")

# Stops what we started: SIGTERM, up to 10 s to go, then SIGKILL. `jobs -pr` lists only
# this shell's children that are still running, so no recycled pid is ever signalled.
cleanup() {
  local running i
  running=$(jobs -pr)
  if [[ -n $running ]]; then
    kill -TERM $running 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      [[ -z $(jobs -pr) ]] && break
      sleep 0.1
    done
    running=$(jobs -pr)
    [[ -z $running ]] || kill -KILL $running 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME PATTERN CMD... runs CMD in the background with its output in $tmp/NAME.out
# and .err, waits up to 60 s for a stdout line starting with PATTERN and puts that line
# in $ready. (Not called as $(start ...): the server must be a child of this shell.)
start() {
  local name=$1 pattern=$2 pid i
  shift 2
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  for ((i = 0; i < 600; i++)); do
    ready=$(grep -m1 "^$pattern" "$tmp/$name.out" || true)
    [[ -n $ready ]] && return
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready; its stderr:" >&2
      tail -n 20 "$tmp/$name.err" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name not ready within 60 s" >&2
  exit 1
}

# field LINE KEY prints the value of KEY=VALUE in a ready line.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# bounded CMD... runs one load run in the background (so that a signal to this script
# is handled at once) with the RUN_TIMEOUT limit, and returns its exit status.
bounded() {
  timeout "$RUN_TIMEOUT" "$@" &
  wait $!
}

# summary FILE prints "rps p50 p99 errors" from a loadgen or probe JSON result.
summary() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
errors = r.get("errors", {})
failed = sum(errors.values()) if isinstance(errors, dict) else errors
print("%.1f %.3f %.3f %s" % (r["rps"], r["p50_ms"], r["p99_ms"], failed))
EOF
}

data=$tmp/data
start etimadd "etimadd ready " "$ETIMADD" serve --data-dir "$data" --host 127.0.0.1 \
  --public-port 0 --agency-port 0 --metrics-port 0 --log-level warning
ca=$(field "$ready" ca)
swift_addr=127.0.0.1:$(field "$ready" public | sed 's/.*://')
for f in "$ca" "$data/tls/server.pem" "$data/tls/server-key.pem"; do
  [[ -r $f ]] || { echo "missing $f (the daemon's TLS files)" >&2; exit 1; }
done

start healthserver "ready addr=" "$healthserver" -addr 127.0.0.1:0 \
  -cert "$data/tls/server.pem" -key "$data/tls/server-key.pem"
go_addr=$(field "$ready" addr)
declare -A addr=([swift]=$swift_addr [go]=$go_addr)

echo
echo "Health/Check over TLS on 127.0.0.1, N=$N calls per run; swift=$swift_addr go=$go_addr"
printf '%-8s %5s  %-9s %10s %9s %9s %7s\n' client conc server calls/s p50_ms p99_ms errors

# report CLIENT C prints the two rows and the ratio for one client and concurrency,
# reading $tmp/CLIENT-C-SERVER.json.
report() {
  local client=$1 c=$2 server rps p50 p99 errors
  declare -A got
  for server in swift go; do
    local out=$tmp/$client-$c-$server.json
    if [[ -s $out ]] && read -r rps p50 p99 errors < <(summary "$out"); then
      got[$server]=$rps
      printf '%-8s %5s  %-9s %10s %9s %9s %7s\n' "$client" "$c" "$server" "$rps" "$p50" "$p99" "$errors"
    else
      printf '%-8s %5s  %-9s %s\n' "$client" "$c" "$server" "failed: $(tail -n 1 "$tmp/$client-$c-$server.err" 2>/dev/null)"
    fi
  done
  if [[ -n ${got[swift]:-} && -n ${got[go]:-} ]]; then
    printf '%-8s %5s  %-9s %9.2fx\n' "$client" "$c" swift/go "$(python3 -c "print(${got[swift]} / ${got[go]})")"
  fi
}

# The servers take turns (swift, then go) at each concurrency so that slow drift in the
# machine's load affects both alike.
for c in $CONCURRENCY; do
  for server in swift go; do
    bounded "$loadgen" -addr "${addr[$server]}" -ca "$ca" -n "$N" -c "$c" -warmup "$WARMUP" \
      -format json >"$tmp/loadgen-$c-$server.json" 2>"$tmp/loadgen-$c-$server.err" || true
  done
  report loadgen "$c"
done

for c in $CONCURRENCY; do
  for server in swift go; do
    if ! bounded "$PROBE" bench grpc.health.v1.Health/Check -d '{}' -n "$N" -c "$c" \
      --addr "${addr[$server]}" --tls-ca-cert "$ca" --format json \
      >"$tmp/probe-$c-$server.json" 2>"$tmp/probe-$c-$server.err"; then
      echo "etimad-probe bench failed against $server (c=$c): $(tail -n 1 "$tmp/probe-$c-$server.err")" >&2
      : >"$tmp/probe-$c-$server.json"
    fi
  done
  report probe "$c"
done
