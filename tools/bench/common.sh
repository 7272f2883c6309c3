# Sourced by the benchmarks (`source "$(dirname "$0")/common.sh" NAME`): the release daemon and
# probe ($ETIMADD, $PROBE; built first unless SKIP_BUILD=1), a temporary directory $tmp, and
# cleanup on exit that stops the daemon whose pid the script puts in $daemon and removes $tmp.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
ETIMADD=${ETIMADD:-$root/.build/release/etimadd}
PROBE=${PROBE:-$root/.build/release/etimad-probe}
if [[ ${SKIP_BUILD:-} != 1 ]]; then
  swift build -c release --product etimadd
  swift build -c release --product etimad-probe
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etimad-$1-bench.XXXXXX")
daemon=
cleanup() {
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# serve: starts the daemon on $tmp/data (loopback, ports chosen by the system, warnings only),
# waits for its ready line and sets $daemon (its pid), $public, $agency and $metrics (host:port
# each). A command in the array SERVE_WRAPPER (such as strace) runs the daemon if set; $daemon
# is then the daemon's own pid, $wrapper the wrapper's.
SERVE_WRAPPER=()
wrapper=
serve() {
  "${SERVE_WRAPPER[@]}" "$ETIMADD" serve --data-dir "$tmp/data" --host 127.0.0.1 --public-port 0 --agency-port 0 \
    --metrics-port 0 --log-level warning >"$tmp/serve.out" 2>"$tmp/serve.err" &
  daemon=$!
  wrapper=
  for _ in $(seq 1 300); do grep -q '^etimadd ready' "$tmp/serve.out" && break; sleep 0.1; done
  if [[ ${#SERVE_WRAPPER[@]} -gt 0 ]]; then
    wrapper=$daemon
    daemon=$(pgrep -n -f "$ETIMADD serve --data-dir $tmp/data")
  fi
  public=$(sed -n 's/^etimadd ready public=\([^ ]*\).*/\1/p' "$tmp/serve.out")
  agency=$(sed -n 's/^etimadd ready .* agency=\([^ ]*\).*/\1/p' "$tmp/serve.out")
  metrics=$(sed -n 's/^etimadd ready .* metrics=\([^ ]*\).*/\1/p' "$tmp/serve.out")
  [[ -n $public && -n $agency ]] || { cat "$tmp/serve.err"; exit 1; }
}

# stop: SIGTERM to the daemon; waits for it (and its wrapper) to exit.
stop() {
  kill -TERM "$daemon" 2>/dev/null || true
  while kill -0 "$daemon" 2>/dev/null; do sleep 0.1; done
  [[ -n $wrapper ]] && wait "$wrapper" 2>/dev/null || true
  daemon=
}

# metric NAME: the value of a gauge or counter on the daemon's metrics endpoint.
metric() {
  python3 -c 'import sys, urllib.request
for line in urllib.request.urlopen(sys.argv[1]).read().decode().splitlines():
    if line.split(" ")[0] == sys.argv[2]: print(int(float(line.split(" ")[1]))); break
else: print(0)' "http://$metrics/metrics" "$1"
}

# The grpc-go load client (tools/go, built here once): it spends ~1/3 of the probe's CPU per
# call on the shared cores, so the daemon's own cost shows more plainly.
#   lg NAME [loadgen flags...]   one measurement, kept under NAME (-addr, -ca etc. given by caller)
#   lg_table                     prints the kept measurements against the first one, then forgets them
# A closed-loop row (no -rate) also prints concurrency / throughput: Little's law makes that the
# mean latency, so no p99 below it is possible at that concurrency on this machine. An open-loop
# row (-rate R) times each call from when it was due, so its percentiles include queueing.
tools/go/build.sh >/dev/null
LOADGEN=$root/tools/go/bin/loadgen
lg_names=()
lg_results=()
lg() {
  local name=$1
  shift
  lg_names+=("$name")
  lg_results+=("$("$LOADGEN" -format json "$@")")
}
# lg_versus NAME [flags...]: Health/Check and the method the flags name, both closed loop and
# then open loop at $RATE for 8 s, with the caller's ${common[@]} flags; then the table.
lg_versus() {
  local name=$1
  shift
  lg "Health/Check" "${common[@]}"
  lg "$name" "${common[@]}" "$@"
  lg "Health/Check" "${common[@]}" -rate "$RATE" -n $((RATE * 8))
  lg "$name" "${common[@]}" "$@" -rate "$RATE" -n $((RATE * 8))
  lg_table
}
lg_table() {
  python3 - "${lg_names[@]}" -- "${lg_results[@]}" <<'PY'
import json, sys
args = sys.argv[1:]
split = args.index("--")
names, results = args[:split], [json.loads(r) for r in args[split + 1:]]
first = results[0]
for name, r in zip(names, results):
    errors = sum(r["errors"].values())
    mode = f"open loop {r['offered_rps']:.0f}/s" if r.get("offered_rps") else "closed loop"
    line = (f"  {name:22} {mode:18} c={r['concurrency']:<3} {r['rps']:8.0f} calls/s ({r['rps'] / first['rps']:4.2f}x)"
            f"  p50 {r['p50_ms']:7.3f} ms  p99 {r['p99_ms']:7.3f} ms  errors {errors}")
    if not r.get("offered_rps"):
        line += f"  (mean latency c/throughput = {r['concurrency'] / r['rps'] * 1000:.2f} ms)"
    print(line)
PY
  lg_names=()
  lg_results=()
}
